package dispatch

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Executing a route: the team lead's phone reports the roster, each stop's
// outcome and the team's position; dispatchers may do the same on a team's
// behalf.
//
// Auto-start: a stop update on a published (not yet started) route starts
// the route first, with an empty roster. A volunteer at the door who forgot
// to tap "start" expects "done" to work, not an error; the route.started
// event and started_at are written exactly as by an explicit start.
//
// Finishing: a route with pending stops is refused unless forced; forcing
// removes the pending stops and sends their requests back to new so the
// planner can place them again. A stop the team has arrived at always blocks
// finishing: the team must say how the visit ended.

// cityZone is Astana's time zone (UTC+5 all year since 2024).
var cityZone = time.FixedZone("Asia/Astana", 5*3600)

// LocalDate returns t's date in Astana as YYYY-MM-DD.
func LocalDate(t time.Time) string { return t.In(cityZone).Format(time.DateOnly) }

// CityZone returns Astana's time zone, in which every time is shown.
func CityZone() *time.Location { return cityZone }

// ParseLocalDate parses a YYYY-MM-DD day as midnight in Astana; a bad day is
// EINVALID naming field.
func ParseLocalDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, Invalid(field, "%s is required (YYYY-MM-DD).", field)
	}
	d, err := time.ParseInLocation(time.DateOnly, s, cityZone)
	if err != nil {
		return time.Time{}, Invalid(field, "%s must be a date like 2026-12-01.", field)
	}
	return d, nil
}

// MaxNoteLen bounds notes sent from the field.
const MaxNoteLen = 2000

// MaxIdempotencyKeyLen bounds Idempotency-Key headers.
const MaxIdempotencyKeyLen = 200

// CheckIdempotencyKey returns EINVALID when a required key is missing or too
// long. Field phones must send one with every update so retries are safe.
func CheckIdempotencyKey(key string) error {
	if key == "" {
		return Invalid("Idempotency-Key", "The Idempotency-Key header is required for field updates (any unique string per update, e.g. a UUID).")
	}
	if len(key) > MaxIdempotencyKeyLen {
		return Invalid("Idempotency-Key", "Idempotency key is too long (%d characters at most).", MaxIdempotencyKeyLen)
	}
	return nil
}

// RequireTeamWork allows the lead of team teamID (a team_lead user whose
// TeamID matches) and dispatchers (ActChangeRequests) to report progress
// for the team. Team leads of other teams get EFORBIDDEN.
func RequireTeamWork(u *User, teamID int64) error {
	if u == nil {
		return Errorf(EUNAUTHORIZED, "Please log in.")
	}
	if u.Can(ActChangeRequests) {
		return nil
	}
	if u.Can(ActReportProgress) && u.TeamID != nil && *u.TeamID == teamID {
		return nil
	}
	if u.Can(ActReportProgress) {
		return Errorf(EFORBIDDEN, "You lead another team; only team %d's lead or a dispatcher may do this.", teamID)
	}
	return Errorf(EFORBIDDEN, "Your role (%s) may not do this.", u.Role)
}

// RequireFieldWork is the coarse check before the route or stop (and so the
// team) is known: team leads and dispatchers pass, other roles get
// EFORBIDDEN. RequireTeamWork decides once the team is known.
func RequireFieldWork(u *User) error {
	if u != nil && u.Can(ActChangeRequests) {
		return nil
	}
	return Require(u, ActReportProgress)
}

// RequireTeamView allows the lead of team teamID and roles that see all
// teams' work (dispatchers) to view the team's route.
func RequireTeamView(u *User, teamID int64) error {
	if err := Require(u, ActViewTeamWork); err != nil {
		return err
	}
	if u.Role == RoleTeamLead && (u.TeamID == nil || *u.TeamID != teamID) {
		return Errorf(EFORBIDDEN, "You lead another team; only team %d's lead or a dispatcher may see its route.", teamID)
	}
	return nil
}

// StartInput is the body of a route start: who of the team is present.
type StartInput struct {
	PresentVolunteerIDs []int64 `json:"present_volunteer_ids"`
	// IdempotencyKey makes a retried start return the first answer.
	IdempotencyKey string `json:"-"`
}

// Normalize validates the roster (membership is checked by the store) and
// drops duplicate ids.
func (in *StartInput) Normalize() error {
	if err := CheckIdempotencyKey(in.IdempotencyKey); err != nil {
		return err
	}
	if len(in.PresentVolunteerIDs) == 0 {
		return Invalid("present_volunteer_ids", "Tick at least one present volunteer.")
	}
	if len(in.PresentVolunteerIDs) > 100 {
		return Invalid("present_volunteer_ids", "A roster has 100 volunteers at most.")
	}
	seen := make(map[int64]bool, len(in.PresentVolunteerIDs))
	ids := in.PresentVolunteerIDs[:0]
	for _, id := range in.PresentVolunteerIDs {
		if id <= 0 {
			return Invalid("present_volunteer_ids", "Volunteer ids must be positive.")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	in.PresentVolunteerIDs = ids
	return nil
}

// FinishInput is the body of a route finish.
type FinishInput struct {
	// Force finishes a route with pending stops: they are removed and their
	// requests go back to new.
	Force          bool   `json:"force"`
	IdempotencyKey string `json:"-"`
}

// Normalize validates the input.
func (in *FinishInput) Normalize() error { return CheckIdempotencyKey(in.IdempotencyKey) }

// StopUpdateInput is what the team reports at a stop.
type StopUpdateInput struct {
	Status         StopStatus `json:"status"`
	Note           string     `json:"note"`
	IdempotencyKey string     `json:"-"`
}

// Normalize validates the input: only the outcomes a team reports are
// allowed (not pending or removed, which are the planner's).
func (in *StopUpdateInput) Normalize() error {
	in.Note = strings.TrimSpace(in.Note)
	if err := CheckIdempotencyKey(in.IdempotencyKey); err != nil {
		return err
	}
	switch in.Status {
	case StopArrived, StopDone, StopNotHome, StopNoAccess:
	case "":
		return Invalid("status", "Status is required: arrived, done, not_home or no_access.")
	default:
		return Invalid("status", "Unknown stop status %q: use arrived, done, not_home or no_access.", in.Status)
	}
	if len(in.Note) > MaxNoteLen {
		return Invalid("note", "The note is too long (%d characters at most).", MaxNoteLen)
	}
	return nil
}

// StopConflict returns the ECONFLICT a volunteer understands when stop id
// cannot go from cur to next, or nil when the move is legal.
func StopConflict(id int64, cur, next StopStatus) error {
	if err := cur.Transition(next); err == nil {
		return nil
	} else if ErrorCode(err) != ECONFLICT {
		return err
	}
	switch {
	case cur == next:
		return Errorf(ECONFLICT, "Stop %d is already %s.", id, cur)
	case cur == StopRemoved:
		return Errorf(ECONFLICT, "Stop %d was removed from the route.", id)
	case cur.Final():
		return Errorf(ECONFLICT, "Stop %d is already %s; it cannot become %s.", id, cur, next)
	}
	return Errorf(ECONFLICT, "Stop %d cannot go from %s to %s.", id, cur, next)
}

// RouteConflict returns the ECONFLICT for a route that cannot go from cur to
// next, worded for the field, or nil when the move is legal.
func RouteConflict(id int64, cur, next RouteStatus) error {
	if err := cur.Transition(next); err == nil {
		return nil
	} else if ErrorCode(err) != ECONFLICT {
		return err
	}
	switch cur {
	case RouteDraft:
		return Errorf(ECONFLICT, "Route %d is still a draft; a dispatcher must publish it first.", id)
	case RouteInProgress:
		return Errorf(ECONFLICT, "Route %d is already in progress.", id)
	case RouteFinished:
		return Errorf(ECONFLICT, "Route %d is already finished.", id)
	case RouteCancelled:
		return Errorf(ECONFLICT, "Route %d was cancelled.", id)
	case RoutePublished:
		return Errorf(ECONFLICT, "Route %d has not been started.", id)
	}
	return Errorf(ECONFLICT, "Route %d cannot go from %s to %s.", id, cur, next)
}

// CheckFinish is the rule of when a route may finish, given its stops in
// order (removed ones left out). Only a route in progress finishes. A stop
// the team has arrived at always blocks: the team must say how the visit
// ended. Pending stops block unless force, and a forced finish removes them
// (their requests go back to the dispatcher): CheckFinish returns them.
func CheckFinish(r *Route, stops []Stop, force bool) (remove []Stop, err error) {
	if err := RouteConflict(r.ID, r.Status, RouteFinished); err != nil {
		return nil, err
	}
	var pending []int64
	for _, s := range stops {
		switch s.Status {
		case StopArrived:
			return nil, Errorf(ECONFLICT, "The team is still at stop %d (%s); mark it done, not home or no access before finishing.", s.ID, s.AddressText).
				WithDetail(map[string]any{"stop_id": s.ID})
		case StopPending:
			pending = append(pending, s.ID)
			remove = append(remove, s)
		}
	}
	if len(pending) > 0 && !force {
		return nil, Errorf(ECONFLICT, "Route %d still has %d pending stop(s) (%s); finish with force to remove them and send their requests back to the dispatcher.",
			r.ID, len(pending), joinIDs(pending)).WithDetail(map[string]any{"pending_stop_ids": pending})
	}
	return remove, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// RouteStart is the answer to a route start.
type RouteStart struct {
	Route               *Route  `json:"route"`
	PresentVolunteerIDs []int64 `json:"present_volunteer_ids"`
}

// RouteFinish is the answer to a route finish.
type RouteFinish struct {
	Route *Route `json:"route"`
	// RemovedStopIDs are the pending stops a forced finish removed.
	RemovedStopIDs []int64 `json:"removed_stop_ids"`
}

// StopUpdate is the answer to a stop update.
type StopUpdate struct {
	Stop          Stop          `json:"stop"`
	RouteStatus   RouteStatus   `json:"route_status"`
	RouteStarted  bool          `json:"route_started"`
	RequestStatus RequestStatus `json:"request_status"`
	// AlertID is the welfare alert a not_home at a care address raised.
	AlertID *int64 `json:"alert_id,omitempty"`
}

// PositionInput is a team's position from the lead's phone.
type PositionInput struct {
	Lat       *float64 `json:"lat"`
	Lon       *float64 `json:"lon"`
	AccuracyM *float64 `json:"accuracy_m"`
}

// Normalize validates the position against the service area.
func (in *PositionInput) Normalize(area ServiceArea) error {
	if in.Lat == nil {
		return Invalid("lat", "lat is required.")
	}
	if in.Lon == nil {
		return Invalid("lon", "lon is required.")
	}
	if *in.Lat < -90 || *in.Lat > 90 || *in.Lon < -180 || *in.Lon > 180 {
		return Invalid("lat", "Coordinates are out of range.")
	}
	if !area.Contains(in.Point()) {
		return Invalid("lat", "The point (%.5f, %.5f) is outside the service area.", *in.Lat, *in.Lon)
	}
	if in.AccuracyM != nil && (*in.AccuracyM < 0 || *in.AccuracyM > 100000) {
		return Invalid("accuracy_m", "accuracy_m must be between 0 and 100000.")
	}
	return nil
}

// Point returns the position as {lon, lat}.
func (in PositionInput) Point() orb.Point { return orb.Point{*in.Lon, *in.Lat} }

// PositionInterval is the least time between two stored positions of a
// team; more frequent points are accepted but not stored, so a phone
// reporting every second cannot flood team_positions or the event stream.
const PositionInterval = 3 * time.Second

// StopETA is a remaining stop's new estimated arrival.
type StopETA struct {
	StopID int64      `json:"stop_id"`
	ETA    *time.Time `json:"eta"`
}

// PositionUpdate is the answer to a position report.
type PositionUpdate struct {
	// Stored is false when the point came within PositionInterval of the
	// last stored one and was dropped.
	Stored  bool      `json:"stored"`
	RouteID int64     `json:"route_id"`
	ETAs    []StopETA `json:"etas"`
}

// StopVisit is what a team sees about the person at a stop. Team leads get
// the first name, the way in and the access notes, and the phone only for
// the active stop; dispatchers (ActViewPersonal) get the full name and phone.
type StopVisit struct {
	CareAddressID int64  `json:"care_address_id"`
	Name          string `json:"name,omitempty"`
	Phone         string `json:"phone,omitempty"`
	Entrance      string `json:"entrance,omitempty"`
	Floor         string `json:"floor,omitempty"`
	Flat          string `json:"flat,omitempty"`
	AccessNotes   string `json:"access_notes,omitempty"`
	Immobile      bool   `json:"immobile"`
	Language      string `json:"preferred_language,omitempty"`
}

// TeamStop is a stop of a team's live route with what the team needs there.
type TeamStop struct {
	Stop
	Packages int        `json:"packages"`
	Notes    string     `json:"notes,omitempty"`
	Active   bool       `json:"active"`
	Visit    *StopVisit `json:"visit,omitempty"`
}

// TeamRoute is a team's route of a day as the lead's phone shows it.
type TeamRoute struct {
	Route
	Stops []TeamStop `json:"stops"`
}

// ActiveStop returns the index of the stop the team is at or heading to: an
// arrived stop, else the first pending stop of an in_progress route; -1 when
// there is none.
func ActiveStop(routeStatus RouteStatus, stops []Stop) int {
	for i, s := range stops {
		if s.Status == StopArrived {
			return i
		}
	}
	if routeStatus != RouteInProgress {
		return -1
	}
	for i, s := range stops {
		if s.Status == StopPending {
			return i
		}
	}
	return -1
}

// ExecuteStore applies what teams report from the field. Every change writes
// its events (with the team set) in the same transaction, and each update
// with an Idempotency-Key seen before returns the first answer unchanged.
type ExecuteStore interface {
	// StartRoute starts a published route with the roster. EFORBIDDEN for
	// other teams' leads, ENOTFOUND, ECONFLICT when not published, EINVALID
	// when a volunteer is not in the team.
	StartRoute(ctx context.Context, actor *User, routeID int64, in StartInput) (*RouteStart, error)
	// FinishRoute finishes an in_progress route. ECONFLICT with pending
	// stops unless in.Force, and always with an arrived stop.
	FinishRoute(ctx context.Context, actor *User, routeID int64, in FinishInput) (*RouteFinish, error)
	// UpdateStop records a stop's outcome; the request's status follows.
	// ECONFLICT for illegal moves or a route that is not live.
	UpdateStop(ctx context.Context, actor *User, stopID int64, in StopUpdateInput) (*StopUpdate, error)
	// UpdateTeamPosition stores the team's position (at most one per
	// PositionInterval) and recomputes the ETAs of the pending stops of
	// its active route with travel. ECONFLICT when no route is active.
	UpdateTeamPosition(ctx context.Context, actor *User, teamID int64, in PositionInput, travel Travel) (*PositionUpdate, error)
	// FindTeamRoute returns the team's published, started or finished
	// route of day (YYYY-MM-DD) with stops; personal data per StopVisit,
	// audited. ENOTFOUND when the team has no such route that day.
	FindTeamRoute(ctx context.Context, actor *User, teamID int64, day string) (*TeamRoute, error)
}

// AlertStatus is whether a dispatcher has dealt with an alert.
type AlertStatus string

// Alert statuses.
const (
	AlertOpen    AlertStatus = "open"
	AlertHandled AlertStatus = "handled"
)

// Valid reports whether s is a known status.
func (s AlertStatus) Valid() bool { return s == AlertOpen || s == AlertHandled }

// Alert kinds.
const (
	AlertNotHome = "not_home"
)

// Alert is a welfare concern for the dispatch room: nobody opened at a lone
// pensioner's door. Name and Phone are filled only for ActViewPersonal.
type Alert struct {
	ID            int64       `json:"id"`
	Kind          string      `json:"kind"`
	Status        AlertStatus `json:"status"`
	StopID        *int64      `json:"stop_id,omitempty"`
	RequestID     *int64      `json:"request_id,omitempty"`
	CareAddressID *int64      `json:"care_address_id,omitempty"`
	TeamID        *int64      `json:"team_id,omitempty"`
	Note          string      `json:"note"`
	AddressText   string      `json:"address"`
	Name          string      `json:"name,omitempty"`
	Phone         string      `json:"phone,omitempty"`
	CreatedAt     time.Time   `json:"created_at"`
	HandledBy     *int64      `json:"handled_by,omitempty"`
	HandledAt     *time.Time  `json:"handled_at,omitempty"`
	HandledNote   string      `json:"handled_note,omitempty"`
}

// AlertFilter selects alerts; the zero value lists every alert.
type AlertFilter struct {
	Status AlertStatus
	Limit  int
}

// HandleAlertInput is a dispatcher's note on how an alert was dealt with.
type HandleAlertInput struct {
	Note string `json:"note"`
}

// Normalize validates the note.
func (in *HandleAlertInput) Normalize() error {
	in.Note = strings.TrimSpace(in.Note)
	if in.Note == "" {
		return Invalid("note", "Say what was done (e.g. \"called the neighbour, all well\").")
	}
	if len(in.Note) > MaxNoteLen {
		return Invalid("note", "The note is too long (%d characters at most).", MaxNoteLen)
	}
	return nil
}

// AlertStore keeps welfare alerts for dispatchers (ActChangeRequests).
type AlertStore interface {
	// FindAlerts lists alerts, newest first; reads of personal data are
	// audited. EFORBIDDEN for roles other than dispatchers.
	FindAlerts(ctx context.Context, actor *User, f AlertFilter) ([]*Alert, error)
	// HandleAlert closes an open alert. ENOTFOUND, ECONFLICT when already
	// handled.
	HandleAlert(ctx context.Context, actor *User, id int64, in HandleAlertInput) (*Alert, error)
}
