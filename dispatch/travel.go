package dispatch

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/routing"
)

// Mode is how a team travels: teams with a vehicle drive on the car
// network, the others walk (footpaths too, at walking speed).
type Mode int

// Travel modes.
const (
	ByCar Mode = iota
	OnFoot
)

// ModeOf returns the travel mode of a team.
func ModeOf(hasVehicle bool) Mode {
	if hasVehicle {
		return ByCar
	}
	return OnFoot
}

// WalkingKmh is the walking speed of the straight-line fallback.
const WalkingKmh = 4.5

// Travel gives travel times and paths between points: on the road network
// when a graph is loaded, otherwise a straight-line fallback. Kind says which
// ("road" or "haversine") so the API can tell the dispatcher.
type Travel interface {
	Kind() string
	// Matrix returns durations (s) and distances (m) between pts for the
	// mode; pairs that cannot reach each other are routing.Unreachable.
	Matrix(ctx context.Context, pts []orb.Point, mode Mode) (routing.Matrix, error)
	// Path returns the polyline through pts in order, with its length (m)
	// and duration (s).
	Path(ctx context.Context, pts []orb.Point, mode Mode) (orb.LineString, float64, float64, error)
}

// HaversineTravel is the straight-line fallback used only when no road graph
// is loaded (see routing.HaversineMatrix for its speed and detour factor).
type HaversineTravel struct{}

// Kind returns "haversine".
func (HaversineTravel) Kind() string { return "haversine" }

// Matrix implements Travel; walking takes FallbackSpeedKmh/WalkingKmh times
// as long as driving the same stretched straight line.
func (HaversineTravel) Matrix(_ context.Context, pts []orb.Point, mode Mode) (routing.Matrix, error) {
	if mode == OnFoot {
		return slowed{routing.NewHaversineMatrix(pts), routing.FallbackSpeedKmh / WalkingKmh}, nil
	}
	return routing.NewHaversineMatrix(pts), nil
}

// slowed scales a matrix's durations.
type slowed struct {
	routing.Matrix
	factor float64
}

func (s slowed) Duration(from, to int) float64 { return s.Matrix.Duration(from, to) * s.factor }

// Path implements Travel with straight segments.
func (t HaversineTravel) Path(ctx context.Context, pts []orb.Point, mode Mode) (orb.LineString, float64, float64, error) {
	m, _ := t.Matrix(ctx, pts, mode)
	var dist, dur float64
	for i := 1; i < len(pts); i++ {
		dist += m.Distance(i-1, i)
		dur += m.Duration(i-1, i)
	}
	return orb.LineString(append([]orb.Point(nil), pts...)), dist, dur, nil
}

// TimedStop is a stop to schedule: where, how long, and from when.
type TimedStop struct {
	Location       orb.Point
	ServiceMinutes int
	WindowStart    *time.Time
}

// StopTime is the schedule of one stop: arrival (after any wait for its
// window) and the leg that leads to it.
type StopTime struct {
	ETA       *time.Time
	TravelS   float64
	DistanceM float64
}

// ComputeETAs walks the stops in order from `from`, leaving at `at`, and
// returns each stop's ETA. A stop that cannot be reached gets no ETA and the
// walk continues from the last reachable place.
func ComputeETAs(ctx context.Context, travel Travel, mode Mode, from orb.Point, at time.Time, stops []TimedStop) ([]StopTime, error) {
	pts := make([]orb.Point, 0, len(stops)+1)
	pts = append(pts, from)
	for _, s := range stops {
		pts = append(pts, s.Location)
	}
	m, err := travel.Matrix(ctx, pts, mode)
	if err != nil {
		return nil, fmt.Errorf("travel matrix: %w", err)
	}
	out := make([]StopTime, len(stops))
	t, prev := at, 0
	for i, s := range stops {
		d := m.Duration(prev, i+1)
		if math.IsInf(d, 0) || math.IsNaN(d) {
			continue
		}
		out[i].TravelS = d
		out[i].DistanceM = m.Distance(prev, i+1)
		arrive := t.Add(time.Duration(d * float64(time.Second)))
		if s.WindowStart != nil && arrive.Before(*s.WindowStart) {
			arrive = *s.WindowStart
		}
		eta := arrive
		out[i].ETA = &eta
		t = arrive.Add(time.Duration(s.ServiceMinutes) * time.Minute)
		prev = i + 1
	}
	return out, nil
}
