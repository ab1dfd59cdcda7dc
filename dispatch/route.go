package dispatch

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// RouteStatus is where a team's route is in its day.
type RouteStatus string

// Route statuses: a draft is the planner's proposal; publishing assigns it to
// the team; the lead starts and finishes it.
const (
	RouteDraft      RouteStatus = "draft"
	RoutePublished  RouteStatus = "published"
	RouteInProgress RouteStatus = "in_progress"
	RouteFinished   RouteStatus = "finished"
	RouteCancelled  RouteStatus = "cancelled"
)

var routeTransitions = map[RouteStatus][]RouteStatus{
	RouteDraft:      {RoutePublished, RouteCancelled},
	RoutePublished:  {RouteInProgress, RouteCancelled},
	RouteInProgress: {RouteFinished},
	RouteFinished:   nil,
	RouteCancelled:  nil,
}

// Live reports whether the route is published or under way.
func (s RouteStatus) Live() bool { return s == RoutePublished || s == RouteInProgress }

// Transition returns ECONFLICT when moving from s to next is illegal.
func (s RouteStatus) Transition(next RouteStatus) error {
	for _, t := range routeTransitions[s] {
		if t == next {
			return nil
		}
	}
	if _, ok := routeTransitions[next]; !ok {
		return Invalid("status", "Unknown route status %q.", next)
	}
	return Errorf(ECONFLICT, "A route cannot go from %s to %s.", s, next)
}

// StopStatus is what happened at one stop.
type StopStatus string

// Stop statuses. NotHome and NoAccess end the visit without service; at a
// lone pensioner's door NotHome also raises a welfare alert.
const (
	StopPending  StopStatus = "pending"
	StopArrived  StopStatus = "arrived"
	StopDone     StopStatus = "done"
	StopNotHome  StopStatus = "not_home"
	StopNoAccess StopStatus = "no_access"
	StopRemoved  StopStatus = "removed"
)

var stopTransitions = map[StopStatus][]StopStatus{
	StopPending:  {StopArrived, StopDone, StopNotHome, StopNoAccess, StopRemoved},
	StopArrived:  {StopDone, StopNotHome, StopNoAccess},
	StopDone:     nil,
	StopNotHome:  nil,
	StopNoAccess: nil,
	StopRemoved:  nil,
}

// Final reports whether nothing more happens at the stop.
func (s StopStatus) Final() bool { return len(stopTransitions[s]) == 0 }

// Transition returns ECONFLICT when moving from s to next is illegal.
func (s StopStatus) Transition(next StopStatus) error {
	for _, t := range stopTransitions[s] {
		if t == next {
			return nil
		}
	}
	if _, ok := stopTransitions[next]; !ok {
		return Invalid("status", "Unknown stop status %q.", next)
	}
	return Errorf(ECONFLICT, "A stop cannot go from %s to %s.", s, next)
}

// RequestStatusFor is the request status that a stop status implies.
func RequestStatusFor(s StopStatus) RequestStatus {
	switch s {
	case StopArrived:
		return StatusInProgress
	case StopDone:
		return StatusDone
	case StopNotHome, StopNoAccess:
		return StatusFailed
	}
	return StatusAssigned
}

// Route is one team's ordered stops for a day.
type Route struct {
	ID          int64          `json:"id"`
	TeamID      int64          `json:"team_id"`
	Day         string         `json:"day"` // YYYY-MM-DD
	Status      RouteStatus    `json:"status"`
	DistanceM   float64        `json:"distance_m"`
	DurationS   float64        `json:"duration_s"`
	Geometry    orb.LineString `json:"-"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
	StartedAt   *time.Time     `json:"started_at,omitempty"`
	FinishedAt  *time.Time     `json:"finished_at,omitempty"`
	Stops       []Stop         `json:"stops"`
}

// Stop is one visit on a route.
type Stop struct {
	ID            int64      `json:"id"`
	RouteID       int64      `json:"route_id"`
	RequestID     int64      `json:"request_id"`
	Seq           int        `json:"seq"`
	Status        StopStatus `json:"status"`
	Locked        bool       `json:"locked"`
	ETA           *time.Time `json:"eta,omitempty"`
	ArrivedAt     *time.Time `json:"arrived_at,omitempty"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
	Note          string     `json:"note,omitempty"`
	LanguageMatch bool       `json:"language_match"`
	TravelS       float64    `json:"travel_s"`
	DistanceM     float64    `json:"distance_m"`
	// Denormalised for display.
	Kind        RequestKind `json:"kind"`
	AddressText string      `json:"address"`
	Lat         float64     `json:"lat"`
	Lon         float64     `json:"lon"`
}

// Event types of the dispatch loop.
const (
	EventPlanStarted    = "plan.started"
	EventPlanProgress   = "plan.progress"
	EventPlanFinished   = "plan.finished"
	EventPlanFailed     = "plan.failed"
	EventRouteDrafted   = "route.drafted"
	EventRouteChanged   = "route.changed"
	EventRoutePublished = "route.published"
	EventRouteStarted   = "route.started"
	EventRouteFinished  = "route.finished"
	EventStopUpdated    = "stop.updated"
	EventTeamPosition   = "team.position"
	EventAlertRaised    = "alert.raised"
	EventAlertHandled   = "alert.handled"
	EventCampaignOpened = "campaign.opened"
)

// RouteFilter selects routes.
type RouteFilter struct {
	Day      string
	TeamID   *int64
	Statuses []RouteStatus
	IDs      []int64
}

// ScheduleInput is what recomputing a route's ETAs needs: where and when the
// team sets off, and the stops still to visit in order.
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

// RouteStore keeps routes and stops. Changes write events; a change to a
// live route carries the team's id so the team's topic sees it.
type RouteStore interface {
	// FindRoutes returns routes with their stops, ordered by team.
	FindRoutes(ctx context.Context, f RouteFilter) ([]*Route, error)
	// FindRouteByID returns ENOTFOUND when missing.
	FindRouteByID(ctx context.Context, id int64) (*Route, error)
	// MoveStop moves a pending stop to position (1-based) of route toRoute
	// (which may be its own); it returns the ids of the routes changed.
	MoveStop(ctx context.Context, actor *User, stopID, toRoute int64, position int) ([]int64, error)
	// SetStopLocked locks or unlocks a stop against re-planning.
	SetStopLocked(ctx context.Context, actor *User, stopID int64, locked bool) (int64, error)
	// RemoveStop takes a pending stop off its route; its request is open again.
	RemoveStop(ctx context.Context, actor *User, stopID int64) (int64, error)
	// PublishRoutes assigns draft routes to their teams.
	PublishRoutes(ctx context.Context, actor *User, ids []int64) ([]int64, error)
	// ScheduleInput reads what RecomputeRoute needs.
	ScheduleInput(ctx context.Context, routeID int64, now time.Time, loc *time.Location) (*ScheduleInput, error)
	// SaveSchedule stores new ETAs and the route's geometry and totals.
	SaveSchedule(ctx context.Context, in *ScheduleInput, times []StopTime, geom orb.LineString, distanceM, durationS float64) error
}

// RecomputeRoute recomputes the ETAs and geometry of a route's remaining
// stops from where and when the team sets off.
func RecomputeRoute(ctx context.Context, store RouteStore, travel Travel, routeID int64, now time.Time, loc *time.Location) error {
	in, err := store.ScheduleInput(ctx, routeID, now, loc)
	if err != nil {
		return err
	}
	times, err := ComputeETAs(ctx, travel, in.Mode, in.From, in.At, in.Stops)
	if err != nil {
		return err
	}
	pts := append(append([]orb.Point(nil), in.Done...), in.From)
	for _, s := range in.Stops {
		pts = append(pts, s.Location)
	}
	var geom orb.LineString
	var dist, dur float64
	if len(pts) >= 2 {
		geom, dist, dur, err = travel.Path(ctx, pts, in.Mode)
		if err != nil {
			geom = orb.LineString(pts)
		}
	}
	for _, s := range in.Stops {
		dur += float64(s.ServiceMinutes) * 60
	}
	return store.SaveSchedule(ctx, in, times, geom, dist, dur)
}
