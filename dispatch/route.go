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
	Version     Version        `json:"version"`
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
	Version       Version    `json:"version"`
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
	// OrganisationID limits to the routes of one organisation's teams (a
	// coordinator's scope, see CanSeeRoutesOf).
	OrganisationID *int64
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
	// EPRECONDITION when edit.Expect is stale; ECONFLICT for a stop that is
	// not pending or a route that is finished or cancelled.
	MoveStop(ctx context.Context, actor *User, stopID, toRoute int64, position int, edit StopEdit) ([]int64, error)
	// SetStopLocked locks or unlocks a stop against re-planning.
	SetStopLocked(ctx context.Context, actor *User, stopID int64, locked bool, edit StopEdit) (int64, error)
	// RemoveStop takes a pending stop off its route; its request is open again.
	RemoveStop(ctx context.Context, actor *User, stopID int64, edit StopEdit) (int64, error)
	// PublishRoutes assigns draft routes to their teams. expect maps a
	// route id to the RouteETag the dispatcher reviewed; a route that
	// changed since is EPRECONDITION (with the current route) and nothing
	// is published. Routes missing from expect are published as they are.
	PublishRoutes(ctx context.Context, actor *User, ids []int64, expect map[int64]string) ([]int64, error)
	// RecomputeRoute recomputes a route's ETAs, geometry and totals in one
	// transaction (see ComputeSchedule).
	RecomputeRoute(ctx context.Context, routeID int64, sched Scheduling) error
}

// StopEdit is what a dispatcher's edit of a stop carries besides the stop.
type StopEdit struct {
	// Expect, when not 0, must be the stop's current Version.
	Expect Version
	// Schedule, when set, recomputes the ETAs of every changed route in
	// the edit's own transaction, so nobody reads the new order with the
	// old times.
	Schedule *Scheduling
}
