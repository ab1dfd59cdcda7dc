package routing

import "math"

// Point is a planar coordinate.
type Point struct{ X, Y float64 }

// EuclideanMatrix is a Matrix computed on demand from planar coordinates:
// distance is the Euclidean distance in double precision (no rounding) and
// duration is distance divided by Speed (Speed 0 means 1). It needs memory
// proportional to the number of points only.
type EuclideanMatrix struct {
	Points []Point
	Speed  float64
}

// Size returns the number of points.
func (m *EuclideanMatrix) Size() int { return len(m.Points) }

// Distance returns the Euclidean distance between points from and to.
func (m *EuclideanMatrix) Distance(from, to int) float64 {
	a, b := m.Points[from], m.Points[to]
	dx, dy := a.X-b.X, a.Y-b.Y
	return math.Sqrt(dx*dx + dy*dy)
}

// Duration returns Distance / Speed.
func (m *EuclideanMatrix) Duration(from, to int) float64 {
	d := m.Distance(from, to)
	if m.Speed != 0 {
		d /= m.Speed
	}
	return d
}

// DenseMatrix is a Matrix stored as two flat row-major slices of N*N
// values. A nil Distances slice means distance equals duration.
type DenseMatrix struct {
	N         int
	Durations []float64
	Distances []float64
}

// NewDenseMatrix returns an n×n DenseMatrix with all off-diagonal pairs
// set to Unreachable; fill it with Set.
func NewDenseMatrix(n int) *DenseMatrix {
	m := &DenseMatrix{N: n, Durations: make([]float64, n*n), Distances: make([]float64, n*n)}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				m.Durations[i*n+j] = Unreachable
				m.Distances[i*n+j] = Unreachable
			}
		}
	}
	return m
}

// Set sets the duration and distance from one location to another.
func (m *DenseMatrix) Set(from, to int, duration, distance float64) {
	m.Durations[from*m.N+to] = duration
	m.Distances[from*m.N+to] = distance
}

// Size returns N.
func (m *DenseMatrix) Size() int { return m.N }

// Duration returns the stored duration.
func (m *DenseMatrix) Duration(from, to int) float64 { return m.Durations[from*m.N+to] }

// Distance returns the stored distance (the duration if Distances is nil).
func (m *DenseMatrix) Distance(from, to int) float64 {
	if m.Distances == nil {
		return m.Durations[from*m.N+to]
	}
	return m.Distances[from*m.N+to]
}
