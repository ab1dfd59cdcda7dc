package dispatch

import "fmt"

// A plan is a proposal: the planner works on a snapshot of the day's routes,
// and while it solves, dispatchers move and lock stops, publish drafts and
// the field marks stops arrived or done. Saving compares each request's
// place now with the snapshot; where they differ in a way PlanMayOverwrite
// refuses, the current place wins and the plan's proposal for that request
// is dropped, with the reason, in PlanOutput.Kept.

// SnapshotStop is a request's stop on a route of the day, as read.
type SnapshotStop struct {
	StopID      int64
	RouteID     int64
	Version     Version
	Status      StopStatus
	Locked      bool
	RouteStatus RouteStatus
}

// PlanSnapshot is the day's routes when the planner read its input.
type PlanSnapshot struct {
	// Taken says the snapshot was read (a zero snapshot compares as
	// "nothing was on a route").
	Taken bool
	// Stops maps a request id to its stop on a route of the day (removed
	// stops left out; of several, the one still to be visited).
	Stops map[int64]SnapshotStop
	// Routes maps a route id of the day to its status.
	Routes map[int64]RouteStatus
}

// KeptStop is a request the plan left where it was, and why.
type KeptStop struct {
	RequestID int64  `json:"request_id"`
	StopID    int64  `json:"stop_id,omitempty"`
	RouteID   int64  `json:"route_id,omitempty"`
	Reason    string `json:"reason"`
}

// PlanMayOverwrite decides whether the plan may place a request whose stop
// was before (nil: on no route) when the planner read the day and is now
// (nil: on no route) at saving time. It returns "" when it may, else the
// reason the current place wins: a stop reached or finished, locked, moved
// to another route, put on a route, or whose route was published since the
// snapshot.
func PlanMayOverwrite(before, now *SnapshotStop) string {
	switch {
	case now == nil:
		return "" // removed meanwhile (or never placed): the plan may place it
	case before == nil:
		return fmt.Sprintf("put on route %d while planning", now.RouteID)
	case now.Status != before.Status && now.Status != StopPending:
		return fmt.Sprintf("marked %s while planning", now.Status)
	case now.RouteID != before.RouteID:
		return fmt.Sprintf("moved to route %d while planning", now.RouteID)
	case now.Locked && !before.Locked:
		return "locked while planning"
	case now.RouteStatus.Live() && !before.RouteStatus.Live():
		return fmt.Sprintf("route %d published while planning", now.RouteID)
	case now.Status != StopPending:
		// Not pending in the snapshot either: the planner never moved it.
		return fmt.Sprintf("already %s", now.Status)
	}
	return ""
}
