package routing

import "fmt"

// RoadMatrix is a Matrix of road-network travel times and distances, stored
// as two flat row-major slices (from*Size()+to). The geo package fills it
// from a many-to-many contraction-hierarchy query; unreachable pairs hold
// Unreachable. It is immutable and safe for concurrent reads.
type RoadMatrix struct {
	n         int
	durations []float64 // seconds
	distances []float64 // metres
}

// NewRoadMatrix wraps flat row-major slices of n*n durations (seconds) and
// distances (metres). The slices are kept, not copied.
func NewRoadMatrix(n int, durations, distances []float64) (*RoadMatrix, error) {
	if n < 0 || len(durations) != n*n || len(distances) != n*n {
		return nil, fmt.Errorf("road matrix: want %d×%d values, got %d durations and %d distances", n, n, len(durations), len(distances))
	}
	return &RoadMatrix{n: n, durations: durations, distances: distances}, nil
}

var _ Matrix = (*RoadMatrix)(nil)

// Size is the number of locations.
func (m *RoadMatrix) Size() int { return m.n }

// Duration is the travel time in seconds, or Unreachable.
func (m *RoadMatrix) Duration(from, to int) float64 { return m.durations[from*m.n+to] }

// Distance is the travel distance in metres, or Unreachable.
func (m *RoadMatrix) Distance(from, to int) float64 { return m.distances[from*m.n+to] }

// Kind is "road": the values come from the road network.
func (m *RoadMatrix) Kind() string { return "road" }
