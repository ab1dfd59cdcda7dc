package dispatch

import (
	"context"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/routing"
)

// Travel gives travel times and paths between points: on the road network
// when a graph is loaded, otherwise a straight-line fallback. Kind says which
// ("road" or "haversine") so the API can tell the dispatcher.
type Travel interface {
	Kind() string
	// Matrix returns durations (s) and distances (m) between pts; pairs that
	// cannot reach each other are routing.Unreachable.
	Matrix(ctx context.Context, pts []orb.Point) (routing.Matrix, error)
	// Path returns the polyline through pts in order, with its length (m)
	// and duration (s).
	Path(ctx context.Context, pts []orb.Point) (orb.LineString, float64, float64, error)
}
