package routing

import (
	"math"

	"github.com/paulmach/orb"
)

// Haversine fallback parameters: used only when no road graph is loaded.
// Straight lines are stretched by DetourFactor to approximate the road
// distance (1.3 is a common city average; a river or railway can make the
// real detour much larger) and driven at FallbackSpeedKmh, a slow city
// average including junctions.
const (
	DetourFactor     = 1.3
	FallbackSpeedKmh = 25.0
)

// HaversineMatrix estimates travel between points from great-circle
// distance: Distance = haversine × DetourFactor, Duration = Distance at
// FallbackSpeedKmh. It never reports Unreachable. Callers must say that the
// estimate is straight-line based (Kind() == "haversine").
type HaversineMatrix struct {
	pts []orb.Point
}

var _ Matrix = (*HaversineMatrix)(nil)

// NewHaversineMatrix makes the fallback matrix over points ({lon, lat}).
func NewHaversineMatrix(pts []orb.Point) *HaversineMatrix {
	return &HaversineMatrix{pts: append([]orb.Point(nil), pts...)}
}

// Size is the number of points.
func (m *HaversineMatrix) Size() int { return len(m.pts) }

// Distance is the estimated road distance in metres.
func (m *HaversineMatrix) Distance(from, to int) float64 {
	return haversineM(m.pts[from], m.pts[to]) * DetourFactor
}

// Duration is the estimated travel time in seconds.
func (m *HaversineMatrix) Duration(from, to int) float64 {
	return m.Distance(from, to) / (FallbackSpeedKmh / 3.6)
}

// Kind is "haversine": the values are straight-line estimates.
func (m *HaversineMatrix) Kind() string { return "haversine" }

// haversineM is the great-circle distance in metres between {lon, lat}
// points on a sphere of the mean Earth radius.
func haversineM(a, b orb.Point) float64 {
	const r = 6371008.8
	const rad = math.Pi / 180
	dlat := (b[1] - a[1]) * rad
	dlon := (b[0] - a[0]) * rad
	s := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(s)))
}
