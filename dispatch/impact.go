package dispatch

import (
	"context"
	"time"
)

// RouteImpact is what a route's schedule means for its team, so that a
// dispatcher sees the consequence of an edit: when the last visit ends, how
// far that is past the end of the shift, and which visits arrive after
// their time window has closed.
type RouteImpact struct {
	RouteID  int64      `json:"route_id"`
	TeamID   int64      `json:"team_id"`
	Stops    int        `json:"stops"` // pending stops
	EndsAt   *time.Time `json:"ends_at,omitempty"`
	ShiftEnd time.Time  `json:"shift_end"`
	// OverShiftMin is how many minutes the last visit ends after the
	// shift; 0 when it ends in time.
	OverShiftMin int `json:"over_shift_min"`
	// MissedWindows are the stops whose ETA is after their window's end.
	MissedWindows []int64 `json:"missed_windows"`
}

// ImpactStop is a pending stop as RouteImpactOf needs it.
type ImpactStop struct {
	StopID         int64
	ETA            *time.Time
	ServiceMinutes int
	WindowEnd      *time.Time
}

// RouteImpactOf works out a route's impact from its pending stops in order
// and the end of its team's shift on the route's day. A stop without an ETA
// (no travel times known) counts for neither the end nor the windows.
func RouteImpactOf(routeID, teamID int64, shiftEnd time.Time, stops []ImpactStop) RouteImpact {
	im := RouteImpact{RouteID: routeID, TeamID: teamID, Stops: len(stops), ShiftEnd: shiftEnd, MissedWindows: []int64{}}
	for _, s := range stops {
		if s.ETA == nil {
			continue
		}
		end := s.ETA.Add(time.Duration(s.ServiceMinutes) * time.Minute)
		if im.EndsAt == nil || end.After(*im.EndsAt) {
			im.EndsAt = &end
		}
		if s.WindowEnd != nil && s.ETA.After(*s.WindowEnd) {
			im.MissedWindows = append(im.MissedWindows, s.StopID)
		}
	}
	if im.EndsAt != nil && im.EndsAt.After(shiftEnd) {
		im.OverShiftMin = int(im.EndsAt.Sub(shiftEnd).Round(time.Minute) / time.Minute)
	}
	return im
}

// ShiftEndOn is the end of a shift ("HH:MM") on day (YYYY-MM-DD) in Astana.
func ShiftEndOn(day, hhmm string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, cityZone)
}

// RouteImpacter previews and reports the consequences of stop moves. The
// PostgreSQL store implements it; web asks for it by type assertion, so
// stores without it simply show no consequences.
type RouteImpacter interface {
	// PreviewMoveStop runs MoveStop and rolls it back, returning the
	// impacts of the routes it would change before and after the move.
	// It refuses what MoveStop refuses, with the same codes.
	PreviewMoveStop(ctx context.Context, actor *User, stopID, toRoute int64, position int, edit StopEdit) (before, after []RouteImpact, err error)
	// RouteImpacts returns the impacts of routes as they are now.
	RouteImpacts(ctx context.Context, routeIDs []int64) ([]RouteImpact, error)
}
