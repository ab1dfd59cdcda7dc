package dispatch

import (
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
