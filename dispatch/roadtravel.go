package dispatch

import (
	"context"
	"errors"
	"math"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/geo"
	"github.com/qamqor/qamqor/routing"
)

// RoadTravel is Travel on the road network: contraction-hierarchy matrices
// and leg geometry from a geo.Router. A point farther than SnapLimitM from
// any road of the main component cannot be reached: its row and column are
// routing.Unreachable, so the planner leaves it unassigned with that reason
// instead of inventing a number.
type RoadTravel struct {
	// Router is the car network; Foot the walking one (footpaths too, at
	// walking speed). A nil Foot walks on the car router's roads.
	Router     *geo.Router
	Foot       *geo.Router
	SnapLimitM float64
}

func (t RoadTravel) router(mode Mode) *geo.Router {
	if mode == OnFoot && t.Foot != nil {
		return t.Foot
	}
	return t.Router
}

// Kind returns "road".
func (RoadTravel) Kind() string { return "road" }

// Matrix implements Travel.
func (t RoadTravel) Matrix(ctx context.Context, pts []orb.Point, mode Mode) (routing.Matrix, error) {
	r := t.router(mode)
	n := len(pts)
	var snaps []geo.Snap
	var idx []int // idx[k] = index in pts of snaps[k]
	for i, p := range pts {
		s, err := r.Snap(p, t.SnapLimitM)
		var se *geo.SnapError
		if errors.As(err, &se) {
			continue
		} else if err != nil {
			return nil, err
		}
		snaps = append(snaps, s)
		idx = append(idx, i)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sec, m := r.CH.ManyToMany(snaps, snaps)
	dur := make([]float64, n*n)
	dist := make([]float64, n*n)
	for i := range dur {
		dur[i], dist[i] = math.Inf(1), math.Inf(1)
	}
	for i := 0; i < n; i++ {
		dur[i*n+i], dist[i*n+i] = 0, 0
	}
	k := len(snaps)
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			dur[idx[a]*n+idx[b]] = sec[a*k+b]
			dist[idx[a]*n+idx[b]] = m[a*k+b]
		}
	}
	return routing.NewRoadMatrix(n, dur, dist)
}

// Path implements Travel: the road polyline through pts, with straight
// segments where a leg has no road route.
func (t RoadTravel) Path(ctx context.Context, pts []orb.Point, mode Mode) (orb.LineString, float64, float64, error) {
	r := t.router(mode)
	var line orb.LineString
	var dist, dur float64
	for i := 1; i < len(pts); i++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, 0, err
		}
		leg, err := r.Route(pts[i-1], pts[i], t.SnapLimitM)
		if err != nil || math.IsInf(leg.Seconds, 0) || len(leg.Geom) == 0 {
			if len(line) == 0 {
				line = append(line, pts[i-1])
			}
			line = append(line, pts[i])
			continue
		}
		dist += leg.Meters
		dur += leg.Seconds
		if len(line) == 0 {
			line = append(line, pts[i-1])
		}
		line = append(line, leg.Geom...)
		line = append(line, pts[i])
	}
	return line, dist, dur, nil
}
