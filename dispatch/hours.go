package dispatch

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Verified volunteer hours.
//
// Each volunteer on a route's roster has one attendance row: checked in at
// the route's start, checked out at its finish or when they left early,
// both editable by the lead until a dispatcher or the organisation's
// coordinator confirms the route's attendance. Only confirmed routes count.
//
// The rule (VerifiedHours): take the volunteer's confirmed intervals
// [check_in, check_out], each clipped to its route's [started_at,
// finished_at]; merge them into their union, so overlapping routes never
// count twice; split the union at Astana midnights; cap each day at
// MaxHoursPerDay; keep the days inside the range; sum whole seconds.
// Visits (CountVisits) are the distinct done stops of confirmed routes the
// volunteer attended, done while they were checked in, on days in range.

// MaxHoursPerDay is the most one volunteer is credited with on one Astana
// day, however long the routes: a day of volunteering, not a shift record.
const MaxHoursPerDay = 10 * time.Hour

// Attendance is one volunteer's presence on one route.
type Attendance struct {
	RouteID     int64      `json:"route_id"`
	VolunteerID int64      `json:"volunteer_id"`
	Name        string     `json:"name,omitempty"`
	CheckIn     time.Time  `json:"check_in"`
	CheckOut    *time.Time `json:"check_out"`
	// Route facts the rule needs.
	RouteStartedAt  *time.Time `json:"-"`
	RouteFinishedAt *time.Time `json:"-"`
	Confirmed       bool       `json:"confirmed"`
}

// Interval is a half-open span of time [Start, End).
type Interval struct{ Start, End time.Time }

// counted returns the part of a that counts, clipped to its route, and
// false when nothing does (unconfirmed, not checked out, empty).
func (a Attendance) counted() (Interval, bool) {
	if !a.Confirmed || a.CheckOut == nil {
		return Interval{}, false
	}
	iv := Interval{a.CheckIn, *a.CheckOut}
	if a.RouteStartedAt != nil && iv.Start.Before(*a.RouteStartedAt) {
		iv.Start = *a.RouteStartedAt
	}
	if a.RouteFinishedAt != nil && iv.End.After(*a.RouteFinishedAt) {
		iv.End = *a.RouteFinishedAt
	}
	return iv, iv.End.After(iv.Start)
}

// Union merges intervals into sorted, disjoint ones covering the same time.
func Union(ivs []Interval) []Interval {
	s := append([]Interval(nil), ivs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	var out []Interval
	for _, iv := range s {
		if !iv.End.After(iv.Start) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// DayHours is the verified time of one volunteer on one Astana day.
type DayHours struct {
	Day     string `json:"day"`
	Seconds int64  `json:"seconds"`
	// Capped is true when the day was cut to MaxHoursPerDay.
	Capped bool `json:"capped,omitempty"`
}

// VerifiedHours applies the rule above to one volunteer's attendance and
// returns the total seconds in r and the days that contributed.
func VerifiedHours(rows []Attendance, r ReportRange) (int64, []DayHours) {
	var ivs []Interval
	for _, a := range rows {
		if iv, ok := a.counted(); ok {
			ivs = append(ivs, iv)
		}
	}
	perDay := map[string]time.Duration{}
	for _, iv := range Union(ivs) {
		for t := iv.Start; t.Before(iv.End); {
			day := LocalDate(t)
			d, _ := time.ParseInLocation(time.DateOnly, day, cityZone)
			next := d.AddDate(0, 0, 1)
			end := iv.End
			if next.Before(end) {
				end = next
			}
			perDay[day] += end.Sub(t)
			t = end
		}
	}
	from, to := LocalDate(r.From), LocalDate(r.To)
	var days []DayHours
	var total int64
	for day, d := range perDay {
		if day < from || day > to {
			continue
		}
		dh := DayHours{Day: day}
		if d > MaxHoursPerDay {
			d, dh.Capped = MaxHoursPerDay, true
		}
		dh.Seconds = int64(d / time.Second)
		total += dh.Seconds
		days = append(days, dh)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Day < days[j].Day })
	return total, days
}

// DoneStop is a stop done on a route, for counting visits.
type DoneStop struct {
	StopID  int64
	RouteID int64
	DoneAt  time.Time
}

// CountVisits counts the distinct stops in stops that were done on a
// confirmed route of rows while the volunteer was checked in, on a day in r.
func CountVisits(rows []Attendance, stops []DoneStop, r ReportRange) int {
	byRoute := map[int64][]Interval{}
	for _, a := range rows {
		if iv, ok := a.counted(); ok {
			byRoute[a.RouteID] = append(byRoute[a.RouteID], iv)
		}
	}
	seen := map[int64]bool{}
	for _, s := range stops {
		if seen[s.StopID] || s.DoneAt.Before(r.Start()) || !s.DoneAt.Before(r.End()) {
			continue
		}
		for _, iv := range byRoute[s.RouteID] {
			if !s.DoneAt.Before(iv.Start) && !s.DoneAt.After(iv.End) {
				seen[s.StopID] = true
				break
			}
		}
	}
	return len(seen)
}

// FormatHours renders seconds as hours with two decimals, rounded half up
// ("12.50"), the form certificates and exports show.
func FormatHours(seconds int64) string {
	hundredths := (seconds*100 + 1800) / 3600
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}

// AttendanceInput is a lead's edit of one volunteer's times on a route. A
// nil CheckOut leaves the volunteer checked in; Remove deletes the row (the
// volunteer was ticked by mistake).
type AttendanceInput struct {
	CheckIn  *time.Time `json:"check_in"`
	CheckOut *time.Time `json:"check_out"`
	Remove   bool       `json:"remove"`
}

// ValidateAttendance checks an edit against the route's times and now: the
// check-in must be set, not after the check-out, and neither in the future;
// a check-out may not come after the route finished and a check-in not
// before it started.
func ValidateAttendance(in AttendanceInput, startedAt, finishedAt *time.Time, now time.Time) error {
	if in.Remove {
		return nil
	}
	if in.CheckIn == nil {
		return Invalid("check_in", "check_in is required (RFC 3339 time).")
	}
	if in.CheckIn.After(now) {
		return Invalid("check_in", "The check-in time is in the future.")
	}
	if startedAt != nil && in.CheckIn.Before(*startedAt) {
		return Invalid("check_in", "The check-in cannot be before the route started (%s).", startedAt.In(cityZone).Format("15:04"))
	}
	if in.CheckOut != nil {
		if in.CheckOut.Before(*in.CheckIn) {
			return Invalid("check_out", "The check-out cannot be before the check-in.")
		}
		if in.CheckOut.After(now) {
			return Invalid("check_out", "The check-out time is in the future.")
		}
		if finishedAt != nil && in.CheckOut.After(*finishedAt) {
			return Invalid("check_out", "The check-out cannot be after the route finished (%s).", finishedAt.In(cityZone).Format("15:04"))
		}
	}
	return nil
}

// AttendanceSheet is a route's attendance as the lead and the confirmer see
// it.
type AttendanceSheet struct {
	RouteID     int64        `json:"route_id"`
	TeamID      int64        `json:"team_id"`
	TeamName    string       `json:"team_name,omitempty"`
	Day         string       `json:"day,omitempty"`
	Status      RouteStatus  `json:"route_status"`
	Confirmed   bool         `json:"confirmed"`
	ConfirmedAt *time.Time   `json:"confirmed_at,omitempty"`
	Rows        []Attendance `json:"rows"`
}

// CanConfirm returns ECONFLICT unless the route is finished, not yet
// confirmed, and everyone on it has checked out.
func (a *AttendanceSheet) CanConfirm() error {
	if a.Status != RouteFinished {
		return Errorf(ECONFLICT, "Route %d is not finished; attendance is confirmed when the route finishes.", a.RouteID)
	}
	if a.Confirmed {
		return Errorf(ECONFLICT, "The attendance of route %d is already confirmed.", a.RouteID)
	}
	for _, r := range a.Rows {
		if r.CheckOut == nil {
			return Errorf(ECONFLICT, "Volunteer %d on route %d has no check-out time.", r.VolunteerID, a.RouteID)
		}
	}
	return nil
}

// CanEdit returns ECONFLICT once the attendance is confirmed or while the
// route has not started.
func (a *AttendanceSheet) CanEdit() error {
	if a.Confirmed {
		return Errorf(ECONFLICT, "The attendance of route %d is confirmed and can no longer change.", a.RouteID)
	}
	if a.Status != RouteInProgress && a.Status != RouteFinished {
		return Errorf(ECONFLICT, "Route %d has not started; attendance begins at the start.", a.RouteID)
	}
	return nil
}

// VolunteerHours is one volunteer's verified figures over a range.
type VolunteerHours struct {
	VolunteerID    int64      `json:"volunteer_id"`
	Name           string     `json:"name"`
	OrganisationID int64      `json:"organisation_id"`
	Organisation   string     `json:"organisation"`
	Seconds        int64      `json:"seconds"`
	Hours          string     `json:"hours"`
	Visits         int        `json:"visits"`
	Routes         int        `json:"routes"`
	Days           []DayHours `json:"days,omitempty"`
	// RouteIDs are the confirmed routes counted (checked in on a day of
	// the range).
	RouteIDs []int64 `json:"-"`
}

// AttendanceStore keeps attendance and computes verified hours with
// VerifiedHours and CountVisits.
type AttendanceStore interface {
	// FindAttendance returns a route's sheet. EFORBIDDEN per
	// RequireAttendanceView, ENOTFOUND.
	FindAttendance(ctx context.Context, actor *User, routeID int64) (*AttendanceSheet, error)
	// SaveAttendance sets (or, with Remove, deletes) one volunteer's times;
	// the volunteer must be a member of the route's team. EFORBIDDEN per
	// RequireAttendanceEdit, ECONFLICT per CanEdit, EINVALID.
	SaveAttendance(ctx context.Context, actor *User, routeID, volunteerID int64, in AttendanceInput) (*AttendanceSheet, error)
	// ConfirmAttendance confirms a finished route's attendance. EFORBIDDEN
	// per RequireAttendanceConfirm, ECONFLICT per CanConfirm.
	ConfirmAttendance(ctx context.Context, actor *User, routeID int64) (*AttendanceSheet, error)
	// PendingAttendance lists the finished routes whose attendance waits
	// for confirmation, in actor's scope (dispatchers: every team;
	// coordinators: their organisation's), oldest first. EFORBIDDEN
	// without ActConfirmAttendance.
	PendingAttendance(ctx context.Context, actor *User) ([]*AttendanceSheet, error)
	// HoursFor computes the verified figures of volunteers in a range: of
	// the ids given, or of all volunteers with attendance when ids is
	// empty; orgID, when set, limits to that organisation's volunteers.
	HoursFor(ctx context.Context, r ReportRange, orgID *int64, ids ...int64) ([]VolunteerHours, error)
}
