package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// execFixture is a team with a lead user, two volunteers, a dispatcher and
// a published route of three stops at care addresses.
type execFixture struct {
	db         *postgres.DB
	teamID     int64
	otherTeam  int64
	volunteers []int64
	outsider   int64 // a volunteer of the other team
	lead       *dispatch.User
	otherLead  *dispatch.User
	dispatcher *dispatch.User
	routeID    int64
	stops      []int64
	requests   []int64
	cares      []*dispatch.CareAddress
	now        time.Time
}

func mustExecSQL(tb testing.TB, db *postgres.DB, q string, args ...any) {
	tb.Helper()
	if _, err := db.Pool().Exec(context.Background(), q, args...); err != nil {
		tb.Fatalf("exec %q: %v", q, err)
	}
}

func mustExecID(tb testing.TB, db *postgres.DB, q string, args ...any) int64 {
	tb.Helper()
	var id int64
	if err := db.Pool().QueryRow(context.Background(), q, args...).Scan(&id); err != nil {
		tb.Fatalf("query %q: %v", q, err)
	}
	return id
}

func mustExecTeam(tb testing.TB, db *postgres.DB, org int64, name string, capacity int) int64 {
	tb.Helper()
	return mustExecID(tb, db, `INSERT INTO teams (name, organisation_id, base, capacity_packages)
		VALUES ($1, $2, ST_GeogFromText('POINT(71.43 51.13)'), $3) RETURNING id`, name, org, capacity)
}

func mustExecVolunteer(tb testing.TB, db *postgres.DB, org, team int64, name string) int64 {
	tb.Helper()
	id := mustExecID(tb, db, `INSERT INTO volunteers (full_name, birth_year, organisation_id) VALUES ($1, 1995, $2) RETURNING id`, name, org)
	mustExecSQL(tb, db, `INSERT INTO team_members (team_id, volunteer_id) VALUES ($1, $2)`, team, id)
	return id
}

func mustExecLead(tb testing.TB, db *postgres.DB, name string, team int64) *dispatch.User {
	tb.Helper()
	u := &dispatch.User{Username: name, FullName: name, Role: dispatch.RoleTeamLead, TeamID: &team}
	if err := db.CreateUser(context.Background(), u, "password-"+name); err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	return u
}

// mustExecRoute makes a route of status with one stop per care address; the
// requests are assigned (or planned for a draft).
func mustExecRoute(tb testing.TB, db *postgres.DB, team int64, day string, status dispatch.RouteStatus, cares []*dispatch.CareAddress) (int64, []int64, []int64) {
	tb.Helper()
	reqStatus := dispatch.StatusAssigned
	if status == dispatch.RouteDraft {
		reqStatus = dispatch.StatusPlanned
	}
	route := mustExecID(tb, db, `INSERT INTO routes (team_id, day, status) VALUES ($1, $2, $3) RETURNING id`, team, day, status)
	var stops, reqs []int64
	for i, c := range cares {
		req := mustExecID(tb, db, `INSERT INTO requests (kind, care_address_id, address_text, location, source, priority, service_minutes, status)
			SELECT 'snow_clearing', id, address_text, location, 'hotline', 'normal', 30, $2 FROM care_addresses WHERE id = $1 RETURNING id`, c.ID, reqStatus)
		stop := mustExecID(tb, db, `INSERT INTO stops (route_id, request_id, seq) VALUES ($1, $2, $3) RETURNING id`, route, req, i+1)
		stops, reqs = append(stops, stop), append(reqs, req)
	}
	return route, stops, reqs
}

func newExecFixture(tb testing.TB) *execFixture {
	tb.Helper()
	db := pgtest.MustOpen(tb)
	f := &execFixture{db: db, now: time.Date(2026, 1, 12, 10, 0, 0, 0, time.FixedZone("Asia/Astana", 5*3600))}
	db.Now = func() time.Time { return f.now }
	org := mustExecID(tb, db, `INSERT INTO organisations (name, kind) VALUES ('Qamqor HQ', 'headquarters') RETURNING id`)
	f.teamID = mustExecTeam(tb, db, org, "Team A", 10)
	f.otherTeam = mustExecTeam(tb, db, org, "Team B", 4)
	f.volunteers = []int64{mustExecVolunteer(tb, db, org, f.teamID, "Aigerim"), mustExecVolunteer(tb, db, org, f.teamID, "Daniyar")}
	f.outsider = mustExecVolunteer(tb, db, org, f.otherTeam, "Yerlan")
	f.lead = mustExecLead(tb, db, "lead-a", f.teamID)
	f.otherLead = mustExecLead(tb, db, "lead-b", f.otherTeam)
	f.dispatcher = mustUser(tb, db, "dispatcher", dispatch.RoleDispatcher)
	for i, pt := range []orb.Point{{71.4300, 51.1300}, {71.4400, 51.1350}, {71.4500, 51.1400}} {
		f.cares = append(f.cares, mustCare(tb, db, f.dispatcher, fmt.Sprintf("Ахметова Гульнар Серикқызы %d", i), "+7 701 000 00 0"+fmt.Sprint(i), pt))
	}
	f.routeID, f.stops, f.requests = mustExecRoute(tb, db, f.teamID, "2026-01-12", dispatch.RoutePublished, f.cares)
	return f
}

func (f *execFixture) requestStatus(tb testing.TB, id int64) dispatch.RequestStatus {
	tb.Helper()
	r, err := f.db.FindRequestByID(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return r.Status
}

func (f *execFixture) stopStatus(tb testing.TB, id int64) dispatch.StopStatus {
	tb.Helper()
	var s dispatch.StopStatus
	if err := f.db.Pool().QueryRow(context.Background(), `SELECT status FROM stops WHERE id = $1`, id).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (f *execFixture) routeStatus(tb testing.TB) dispatch.RouteStatus {
	tb.Helper()
	var s dispatch.RouteStatus
	if err := f.db.Pool().QueryRow(context.Background(), `SELECT status FROM routes WHERE id = $1`, f.routeID).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

func execCount(tb testing.TB, db *postgres.DB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		tb.Fatalf("count %q: %v", q, err)
	}
	return n
}

func execWantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := dispatch.ErrorCode(err); got != code {
		tb.Fatalf("ErrorCode=%q (%v), want %q", got, err, code)
	}
}

func TestStartRoute(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		f := newExecFixture(t)
		out, err := f.db.StartRoute(ctx, f.lead, f.routeID, dispatch.StartInput{PresentVolunteerIDs: f.volunteers, IdempotencyKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		if out.Route.Status != dispatch.RouteInProgress || out.Route.StartedAt == nil || len(out.Route.Stops) != 3 {
			t.Fatalf("Route=%+v, want in_progress with 3 stops", out.Route)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM route_members WHERE route_id = $1`, f.routeID); n != 2 {
			t.Fatalf("route_members=%d, want 2", n)
		}
		var team *int64
		if err := f.db.Pool().QueryRow(ctx, `SELECT team_id FROM events WHERE type = $1`, dispatch.EventRouteStarted).Scan(&team); err != nil || team == nil || *team != f.teamID {
			t.Fatalf("route.started team=%v err=%v, want %d", team, err, f.teamID)
		}
	})

	t.Run("IdempotentRetry", func(t *testing.T) {
		f := newExecFixture(t)
		in := dispatch.StartInput{PresentVolunteerIDs: f.volunteers, IdempotencyKey: "start-1"}
		first, err := f.db.StartRoute(ctx, f.lead, f.routeID, in)
		if err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
		second, err := f.db.StartRoute(ctx, f.lead, f.routeID, in)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		a, _ := json.Marshal(first)
		b, _ := json.Marshal(second)
		if string(a) != string(b) {
			t.Fatalf("retry answer=%s, want %s", b, a)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1`, dispatch.EventRouteStarted); n != 1 {
			t.Fatalf("route.started events=%d, want 1", n)
		}
		// A new key on a started route is a conflict.
		_, err = f.db.StartRoute(ctx, f.lead, f.routeID, dispatch.StartInput{PresentVolunteerIDs: f.volunteers, IdempotencyKey: "start-2"})
		execWantCode(t, err, dispatch.ECONFLICT)
	})

	t.Run("ErrNotMember", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.StartRoute(ctx, f.lead, f.routeID, dispatch.StartInput{PresentVolunteerIDs: []int64{f.volunteers[0], f.outsider}, IdempotencyKey: "k"})
		execWantCode(t, err, dispatch.EINVALID)
		if st := f.routeStatus(t); st != dispatch.RoutePublished {
			t.Fatalf("route status=%s, want published", st)
		}
		if n := countRows(t, f.db, "route_members"); n != 0 {
			t.Fatalf("route_members=%d, want 0", n)
		}
	})

	t.Run("ErrOtherTeamLead", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.StartRoute(ctx, f.otherLead, f.routeID, dispatch.StartInput{PresentVolunteerIDs: f.volunteers, IdempotencyKey: "k"})
		execWantCode(t, err, dispatch.EFORBIDDEN)
	})

	t.Run("ErrMissingKey", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.StartRoute(ctx, f.lead, f.routeID, dispatch.StartInput{PresentVolunteerIDs: f.volunteers})
		execWantCode(t, err, dispatch.EINVALID)
	})

	t.Run("DispatcherMay", func(t *testing.T) {
		f := newExecFixture(t)
		if _, err := f.db.StartRoute(ctx, f.dispatcher, f.routeID, dispatch.StartInput{PresentVolunteerIDs: f.volunteers, IdempotencyKey: "k"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpdateStop(t *testing.T) {
	ctx := context.Background()

	t.Run("AutoStartAndDone", func(t *testing.T) {
		f := newExecFixture(t)
		out, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopArrived, IdempotencyKey: "a1"})
		if err != nil {
			t.Fatal(err)
		}
		if !out.RouteStarted || out.RouteStatus != dispatch.RouteInProgress || out.RequestStatus != dispatch.StatusInProgress {
			t.Fatalf("answer=%+v, want auto-started route and request in_progress", out)
		}
		out, err = f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, Note: "cleared", IdempotencyKey: "a2"})
		if err != nil {
			t.Fatal(err)
		}
		if out.RouteStarted || out.Stop.Status != dispatch.StopDone || out.Stop.Note != "cleared" || out.Stop.DoneAt == nil {
			t.Fatalf("answer=%+v", out)
		}
		if st := f.requestStatus(t, f.requests[0]); st != dispatch.StatusDone {
			t.Fatalf("request status=%s, want done", st)
		}
		var last *int64
		if err := f.db.Pool().QueryRow(ctx, `SELECT last_team_id FROM care_addresses WHERE id = $1`, f.cares[0].ID).Scan(&last); err != nil || last == nil || *last != f.teamID {
			t.Fatalf("last_team_id=%v err=%v, want %d", last, err, f.teamID)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1 AND team_id = $2`, dispatch.EventRequestStatusChanged, f.teamID); n != 2 {
			t.Fatalf("request.status_changed with team=%d, want 2", n)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1 AND team_id = $2`, dispatch.EventStopUpdated, f.teamID); n != 2 {
			t.Fatalf("stop.updated with team=%d, want 2", n)
		}
	})

	t.Run("IdempotentRetry", func(t *testing.T) {
		f := newExecFixture(t)
		in := dispatch.StopUpdateInput{Status: dispatch.StopDone, Note: "ok", IdempotencyKey: "retry-me"}
		first, err := f.db.UpdateStop(ctx, f.lead, f.stops[1], in)
		if err != nil {
			t.Fatal(err)
		}
		events := countRows(t, f.db, "events")
		f.now = f.now.Add(time.Minute)
		second, err := f.db.UpdateStop(ctx, f.lead, f.stops[1], in)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		a, _ := json.Marshal(first)
		b, _ := json.Marshal(second)
		if string(a) != string(b) {
			t.Fatalf("retry answer=%s, want %s", b, a)
		}
		if n := countRows(t, f.db, "events"); n != events {
			t.Fatalf("events=%d after retry, want %d", n, events)
		}
		if n := countRows(t, f.db, "stop_updates"); n != 1 {
			t.Fatalf("stop_updates=%d, want 1", n)
		}
		// The same key for another stop, or with another body, is refused
		// with a 422 that names the key.
		_, err = f.db.UpdateStop(ctx, f.lead, f.stops[2], in)
		execWantCode(t, err, dispatch.EINVALID)
		other := in
		other.Note = "another body"
		_, err = f.db.UpdateStop(ctx, f.lead, f.stops[1], other)
		execWantCode(t, err, dispatch.EINVALID)
		if !strings.Contains(dispatch.ErrorMessage(err), in.IdempotencyKey) {
			t.Fatalf("message %q does not name the key", dispatch.ErrorMessage(err))
		}
		// Keys are per user: a dispatcher's key of the same text is another key.
		dispIn := dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: in.IdempotencyKey}
		if _, err := f.db.UpdateStop(ctx, f.dispatcher, f.stops[2], dispIn); err != nil {
			t.Fatalf("another user's update with the same key text: %v", err)
		}
	})

	t.Run("ErrIllegalTransition", func(t *testing.T) {
		f := newExecFixture(t)
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "d1"}); err != nil {
			t.Fatal(err)
		}
		events := countRows(t, f.db, "events")
		_, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopNotHome, IdempotencyKey: "d2"})
		execWantCode(t, err, dispatch.ECONFLICT)
		if msg := dispatch.ErrorMessage(err); msg != fmt.Sprintf("Stop %d is already done; it cannot become not_home.", f.stops[0]) {
			t.Fatalf("message=%q", msg)
		}
		_, err = f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "d3"})
		if msg := dispatch.ErrorMessage(err); msg != fmt.Sprintf("Stop %d is already done.", f.stops[0]) {
			t.Fatalf("message=%q", msg)
		}
		if st := f.stopStatus(t, f.stops[0]); st != dispatch.StopDone {
			t.Fatalf("stop status=%s, want done", st)
		}
		if n := countRows(t, f.db, "events"); n != events {
			t.Fatalf("events=%d, want %d", n, events)
		}
		if n := countRows(t, f.db, "alerts"); n != 0 {
			t.Fatalf("alerts=%d, want 0", n)
		}
		if n := countRows(t, f.db, "stop_updates"); n != 1 {
			t.Fatalf("stop_updates=%d, want 1", n)
		}
	})

	t.Run("ErrDraftRoute", func(t *testing.T) {
		f := newExecFixture(t)
		_, stops, _ := mustExecRoute(t, f.db, f.teamID, "2026-01-13", dispatch.RouteDraft, f.cares[:1])
		_, err := f.db.UpdateStop(ctx, f.lead, stops[0], dispatch.StopUpdateInput{Status: dispatch.StopArrived, IdempotencyKey: "x"})
		execWantCode(t, err, dispatch.ECONFLICT)
		if st := f.stopStatus(t, stops[0]); st != dispatch.StopPending {
			t.Fatalf("stop status=%s, want pending", st)
		}
	})

	t.Run("ErrOtherTeamLead", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.UpdateStop(ctx, f.otherLead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "x"})
		execWantCode(t, err, dispatch.EFORBIDDEN)
		if st := f.stopStatus(t, f.stops[0]); st != dispatch.StopPending {
			t.Fatalf("stop status=%s, want pending", st)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.UpdateStop(ctx, f.lead, 999999, dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "x"})
		execWantCode(t, err, dispatch.ENOTFOUND)
	})

	t.Run("ErrBadStatus", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopRemoved, IdempotencyKey: "x"})
		execWantCode(t, err, dispatch.EINVALID)
	})
}

func TestNotHomeAlert(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)
	out, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopNotHome, Note: "no answer, lights off", IdempotencyKey: "nh"})
	if err != nil {
		t.Fatal(err)
	}
	if out.AlertID == nil || out.RequestStatus != dispatch.StatusFailed {
		t.Fatalf("answer=%+v, want an alert and a failed request", out)
	}
	var team *int64
	if err := f.db.Pool().QueryRow(ctx, `SELECT team_id FROM events WHERE type = $1`, dispatch.EventAlertRaised).Scan(&team); err != nil || team != nil {
		t.Fatalf("alert.raised team=%v err=%v, want no team", team, err)
	}

	t.Run("ErrTeamLeadMayNotList", func(t *testing.T) {
		_, err := f.db.FindAlerts(ctx, f.lead, dispatch.AlertFilter{Status: dispatch.AlertOpen})
		execWantCode(t, err, dispatch.EFORBIDDEN)
	})

	audits := execCount(t, f.db, `SELECT count(*) FROM audit_log WHERE action = 'read'`)
	open, err := f.db.FindAlerts(ctx, f.dispatcher, dispatch.AlertFilter{Status: dispatch.AlertOpen})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ID != *out.AlertID || open[0].Name != f.cares[0].FullName || open[0].Phone == "" ||
		open[0].Note != "no answer, lights off" || *open[0].TeamID != f.teamID || *open[0].StopID != f.stops[0] {
		t.Fatalf("open alerts=%+v", open)
	}
	if n := execCount(t, f.db, `SELECT count(*) FROM audit_log WHERE action = 'read'`); n != audits+1 {
		t.Fatalf("audit reads=%d, want %d", n, audits+1)
	}

	t.Run("ErrEmptyNote", func(t *testing.T) {
		_, err := f.db.HandleAlert(ctx, f.dispatcher, *out.AlertID, dispatch.HandleAlertInput{})
		execWantCode(t, err, dispatch.EINVALID)
	})

	// Still open until handled.
	if open, _ := f.db.FindAlerts(ctx, f.dispatcher, dispatch.AlertFilter{Status: dispatch.AlertOpen}); len(open) != 1 {
		t.Fatalf("open alerts=%d, want 1", len(open))
	}
	a, err := f.db.HandleAlert(ctx, f.dispatcher, *out.AlertID, dispatch.HandleAlertInput{Note: "called her daughter: in hospital"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != dispatch.AlertHandled || a.HandledAt == nil || *a.HandledBy != f.dispatcher.ID {
		t.Fatalf("handled alert=%+v", a)
	}
	if open, _ := f.db.FindAlerts(ctx, f.dispatcher, dispatch.AlertFilter{Status: dispatch.AlertOpen}); len(open) != 0 {
		t.Fatalf("open alerts=%d, want 0", len(open))
	}
	if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1`, dispatch.EventAlertHandled); n != 1 {
		t.Fatalf("alert.handled events=%d, want 1", n)
	}
	_, err = f.db.HandleAlert(ctx, f.dispatcher, *out.AlertID, dispatch.HandleAlertInput{Note: "again"})
	execWantCode(t, err, dispatch.ECONFLICT)

	t.Run("NoAccessRaisesNone", func(t *testing.T) {
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[1], dispatch.StopUpdateInput{Status: dispatch.StopNoAccess, IdempotencyKey: "na"}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, f.db, "alerts"); n != 1 {
			t.Fatalf("alerts=%d, want 1", n)
		}
	})
}

func TestFinishRoute(t *testing.T) {
	ctx := context.Background()

	t.Run("ErrPending", func(t *testing.T) {
		f := newExecFixture(t)
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "s"}); err != nil {
			t.Fatal(err)
		}
		_, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{IdempotencyKey: "f"})
		execWantCode(t, err, dispatch.ECONFLICT)
		if st := f.routeStatus(t); st != dispatch.RouteInProgress {
			t.Fatalf("route status=%s, want in_progress", st)
		}
	})

	t.Run("ErrNotStarted", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{IdempotencyKey: "f", Force: true})
		execWantCode(t, err, dispatch.ECONFLICT)
	})

	t.Run("ErrArrived", func(t *testing.T) {
		f := newExecFixture(t)
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopArrived, IdempotencyKey: "s"}); err != nil {
			t.Fatal(err)
		}
		_, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{IdempotencyKey: "f", Force: true})
		execWantCode(t, err, dispatch.ECONFLICT)
	})

	t.Run("Force", func(t *testing.T) {
		f := newExecFixture(t)
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "s"}); err != nil {
			t.Fatal(err)
		}
		in := dispatch.FinishInput{IdempotencyKey: "f", Force: true}
		out, err := f.db.FinishRoute(ctx, f.lead, f.routeID, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.Route.Status != dispatch.RouteFinished || len(out.RemovedStopIDs) != 2 || len(out.Route.Stops) != 1 {
			t.Fatalf("answer=%+v", out)
		}
		for i := 1; i < 3; i++ {
			if st := f.stopStatus(t, f.stops[i]); st != dispatch.StopRemoved {
				t.Fatalf("stop %d status=%s, want removed", i, st)
			}
			if st := f.requestStatus(t, f.requests[i]); st != dispatch.StatusNew {
				t.Fatalf("request %d status=%s, want new", i, st)
			}
		}
		if st := f.requestStatus(t, f.requests[0]); st != dispatch.StatusDone {
			t.Fatalf("request 0 status=%s, want done", st)
		}
		again, err := f.db.FinishRoute(ctx, f.lead, f.routeID, in)
		if err != nil || len(again.RemovedStopIDs) != 2 {
			t.Fatalf("retry=%+v, %v", again, err)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1 AND team_id = $2`, dispatch.EventRouteFinished, f.teamID); n != 1 {
			t.Fatalf("route.finished events=%d, want 1", n)
		}
	})

	t.Run("OK", func(t *testing.T) {
		f := newExecFixture(t)
		for i, s := range f.stops {
			if _, err := f.db.UpdateStop(ctx, f.lead, s, dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: fmt.Sprint("s", i)}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{IdempotencyKey: "f"})
		if err != nil || out.Route.Status != dispatch.RouteFinished || len(out.RemovedStopIDs) != 0 {
			t.Fatalf("FinishRoute=%+v, %v", out, err)
		}
	})
}

func TestUpdateTeamPosition(t *testing.T) {
	ctx := context.Background()
	travel := dispatch.HaversineTravel{}
	pos := func(lat, lon float64) dispatch.PositionInput {
		return dispatch.PositionInput{Lat: &lat, Lon: &lon, AccuracyM: f64(12)}
	}

	t.Run("StoresAndRecomputesETAs", func(t *testing.T) {
		f := newExecFixture(t)
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "s"}); err != nil {
			t.Fatal(err)
		}
		out, err := f.db.UpdateTeamPosition(ctx, f.lead, f.teamID, pos(51.1310, 71.4310), travel)
		if err != nil {
			t.Fatal(err)
		}
		if !out.Stored || out.RouteID != f.routeID || len(out.ETAs) != 2 {
			t.Fatalf("answer=%+v, want stored with 2 ETAs", out)
		}
		if out.ETAs[0].StopID != f.stops[1] || out.ETAs[1].StopID != f.stops[2] {
			t.Fatalf("ETAs=%+v, want stops %d, %d", out.ETAs, f.stops[1], f.stops[2])
		}
		e1, e2 := *out.ETAs[0].ETA, *out.ETAs[1].ETA
		if !e1.After(f.now) || !e2.After(e1.Add(30*time.Minute)) {
			t.Fatalf("ETAs %v, %v: want after now and the second after the first's 30 min service", e1, e2)
		}
		var stored time.Time
		if err := f.db.Pool().QueryRow(ctx, `SELECT eta FROM stops WHERE id = $1`, f.stops[1]).Scan(&stored); err != nil || !stored.Equal(e1) {
			t.Fatalf("stored eta=%v err=%v, want %v", stored, err, e1)
		}
		var lat float64
		if err := f.db.Pool().QueryRow(ctx, `SELECT ST_Y(last_position::geometry) FROM teams WHERE id = $1`, f.teamID).Scan(&lat); err != nil || lat != 51.1310 {
			t.Fatalf("last_position lat=%v err=%v", lat, err)
		}
		if n := countRows(t, f.db, "team_positions"); n != 1 {
			t.Fatalf("team_positions=%d, want 1", n)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1 AND team_id = $2`, dispatch.EventTeamPosition, f.teamID); n != 1 {
			t.Fatalf("team.position events=%d, want 1", n)
		}

		// Within 3 s: accepted, not stored.
		f.now = f.now.Add(time.Second)
		out, err = f.db.UpdateTeamPosition(ctx, f.lead, f.teamID, pos(51.1320, 71.4320), travel)
		if err != nil || out.Stored {
			t.Fatalf("second point=%+v, %v; want accepted, not stored", out, err)
		}
		if n := countRows(t, f.db, "team_positions"); n != 1 {
			t.Fatalf("team_positions=%d, want 1", n)
		}
		// Later: stored again, and moving closer brings the ETA forward.
		f.now = f.now.Add(5 * time.Second)
		out, err = f.db.UpdateTeamPosition(ctx, f.lead, f.teamID, pos(51.1350, 71.4400), travel)
		if err != nil || !out.Stored {
			t.Fatalf("third point=%+v, %v", out, err)
		}
		if n := countRows(t, f.db, "team_positions"); n != 2 {
			t.Fatalf("team_positions=%d, want 2", n)
		}
		if got := *out.ETAs[0].ETA; !got.Before(e1) {
			t.Fatalf("ETA at the door=%v, want before %v", got, e1)
		}
	})

	t.Run("ErrOtherTeamLead", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.UpdateTeamPosition(ctx, f.otherLead, f.teamID, pos(51.13, 71.43), travel)
		execWantCode(t, err, dispatch.EFORBIDDEN)
	})

	// Tomorrow's route started today (after the phone's warning) is the
	// one the team drives now: it takes the positions.
	t.Run("TomorrowStartedToday", func(t *testing.T) {
		f := newExecFixture(t)
		mustExecSQL(t, f.db, `UPDATE routes SET day = day + 1, status = 'in_progress', started_at = $2 WHERE id = $1`, f.routeID, f.now)
		out, err := f.db.UpdateTeamPosition(ctx, f.lead, f.teamID, pos(51.1310, 71.4310), travel)
		if err != nil || out.RouteID != f.routeID {
			t.Fatalf("answer=%+v, %v; want the position on route %d", out, err, f.routeID)
		}
	})

	// Yesterday's route left in progress takes no positions today.
	t.Run("ErrStaleRouteOfAnotherDay", func(t *testing.T) {
		f := newExecFixture(t)
		mustExecSQL(t, f.db, `UPDATE routes SET day = day - 1, status = 'in_progress', started_at = $2 WHERE id = $1`, f.routeID, f.now.Add(-24*time.Hour))
		_, err := f.db.UpdateTeamPosition(ctx, f.lead, f.teamID, pos(51.1310, 71.4310), travel)
		execWantCode(t, err, dispatch.ECONFLICT)
	})

	t.Run("ErrNoActiveRoute", func(t *testing.T) {
		f := newExecFixture(t)
		_, err := f.db.UpdateTeamPosition(ctx, f.otherLead, f.otherTeam, pos(51.13, 71.43), travel)
		execWantCode(t, err, dispatch.ECONFLICT)
		if n := countRows(t, f.db, "team_positions"); n != 0 {
			t.Fatalf("team_positions=%d, want 0", n)
		}
	})
}

func TestFindTeamRoute(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)

	t.Run("ErrOtherTeamLead", func(t *testing.T) {
		_, err := f.db.FindTeamRoute(ctx, f.otherLead, f.teamID, "")
		execWantCode(t, err, dispatch.EFORBIDDEN)
	})

	t.Run("ErrNoRoute", func(t *testing.T) {
		_, err := f.db.FindTeamRoute(ctx, f.lead, f.teamID, "2026-02-01")
		execWantCode(t, err, dispatch.ENOTFOUND)
	})

	t.Run("PublishedNoPhone", func(t *testing.T) {
		tr, err := f.db.FindTeamRoute(ctx, f.lead, f.teamID, "")
		if err != nil {
			t.Fatal(err)
		}
		if tr.ID != f.routeID || len(tr.Stops) != 3 {
			t.Fatalf("route=%+v", tr)
		}
		for _, s := range tr.Stops {
			// Door details (the flat among them) show only while the route
			// runs (dispatch.VisibleStopFields); before the start the lead
			// sees the address, the first name and the language.
			if s.Visit == nil || s.Visit.Phone != "" || s.Visit.Name != "Гульнар" || s.Visit.Flat != "" || s.Visit.Language == "" || s.Active {
				t.Fatalf("stop=%+v visit=%+v: want first name and language, no flat, no phone, not active", s, s.Visit)
			}
		}
	})

	t.Run("InProgressPhoneOnActiveStop", func(t *testing.T) {
		if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "s"}); err != nil {
			t.Fatal(err)
		}
		audits := execCount(t, f.db, `SELECT count(*) FROM audit_log WHERE action = 'read' AND user_id = $1`, f.lead.ID)
		tr, err := f.db.FindTeamRoute(ctx, f.lead, f.teamID, "2026-01-12")
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range tr.Stops {
			active := i == 1
			if s.Active != active || (s.Visit.Phone != "") != active {
				t.Fatalf("stop %d active=%v phone=%q, want active=%v with phone only then", i, s.Active, s.Visit.Phone, active)
			}
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM audit_log WHERE action = 'read' AND user_id = $1`, f.lead.ID); n != audits+3 {
			t.Fatalf("audit reads=%d, want %d", n, audits+3)
		}
	})

	t.Run("DispatcherSeesAll", func(t *testing.T) {
		tr, err := f.db.FindTeamRoute(ctx, f.dispatcher, f.teamID, "2026-01-12")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tr.Stops {
			if s.Visit.Phone == "" || s.Visit.Name != f.cares[0].FullName[:len(f.cares[0].FullName)-1]+fmt.Sprint(s.Seq-1) {
				t.Fatalf("visit=%+v, want full name and phone", s.Visit)
			}
		}
	})
}

func asError(err error, target **dispatch.Error) bool { return errors.As(err, target) }
