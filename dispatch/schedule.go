package dispatch

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// ETA recomputation after an edit: the one rule of where and when a team
// sets off, and the ETAs, path and totals that follow. Stores read the
// RouteFacts and save the Schedule inside the edit's transaction.

// Scheduling is what recomputing ETAs needs besides the route: the travel
// model, the time now and the city's time zone.
type Scheduling struct {
	Travel   Travel
	Now      time.Time
	Location *time.Location
}

// FactStop is a stop as ETA recomputation sees it.
type FactStop struct {
	ID     int64
	Status StopStatus
	TimedStop
}

// RouteFacts is what the store reads about a route to recompute its ETAs.
type RouteFacts struct {
	RouteID    int64
	TeamID     int64
	Status     RouteStatus
	HasVehicle bool
	// Base is the team's base; Position its last reported place, if any.
	Base     orb.Point
	Position *orb.Point
	// ShiftStart is the start of the team's shift on the route's day.
	ShiftStart time.Time
	// Stops are the route's stops in order, removed ones left out.
	Stops []FactStop
}

// ScheduleInput is where and when the team sets off and the stops still to
// visit in order.
type ScheduleInput struct {
	RouteID int64
	TeamID  int64
	Mode    Mode
	From    orb.Point
	At      time.Time
	// Done are the places already visited, drawn before From.
	Done    []orb.Point
	StopIDs []int64
	Stops   []TimedStop
}

// NewScheduleInput decides where and when the team sets off: a started
// route from the team's last position (else its last visited stop) now; a
// draft or published one from the base at the shift start, or now if
// later. Visited stops are drawn before the start; pending ones get ETAs.
func NewScheduleInput(f RouteFacts, now time.Time) *ScheduleInput {
	in := &ScheduleInput{RouteID: f.RouteID, TeamID: f.TeamID, Mode: ModeOf(f.HasVehicle), From: f.Base, At: f.ShiftStart}
	if now.After(in.At) {
		in.At = now
	}
	for _, s := range f.Stops {
		if s.Status != StopPending {
			in.Done = append(in.Done, s.Location)
			continue
		}
		in.StopIDs = append(in.StopIDs, s.ID)
		in.Stops = append(in.Stops, s.TimedStop)
	}
	if f.Status == RouteInProgress {
		if len(in.Done) > 0 {
			in.From = in.Done[len(in.Done)-1]
			in.Done = in.Done[:len(in.Done)-1]
		}
		if f.Position != nil {
			in.From = *f.Position
		}
		in.Done = append([]orb.Point{f.Base}, in.Done...)
	}
	return in
}

// Schedule is a route's recomputed ETAs (Times[i] is StopIDs[i]'s), its
// drawn path and its totals.
type Schedule struct {
	StopIDs   []int64
	Times     []StopTime
	Geometry  orb.LineString
	DistanceM float64
	DurationS float64
}

// ComputeSchedule computes the ETAs of the pending stops and the route's
// path through the visited places, the start and the pending stops. When
// the path cannot be drawn on the road network, straight lines stand in.
func ComputeSchedule(ctx context.Context, travel Travel, in *ScheduleInput) (*Schedule, error) {
	times, err := ComputeETAs(ctx, travel, in.Mode, in.From, in.At, in.Stops)
	if err != nil {
		return nil, err
	}
	out := &Schedule{StopIDs: in.StopIDs, Times: times}
	pts := append(append([]orb.Point(nil), in.Done...), in.From)
	for _, s := range in.Stops {
		pts = append(pts, s.Location)
	}
	if len(pts) >= 2 {
		out.Geometry, out.DistanceM, out.DurationS, err = travel.Path(ctx, pts, in.Mode)
		if err != nil {
			out.Geometry = orb.LineString(pts)
		}
	}
	for _, s := range in.Stops {
		out.DurationS += float64(s.ServiceMinutes) * 60
	}
	return out, nil
}
