package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// astana is the city's offset; fixtures are written in local time so the
// day boundaries are visible.
var astana = time.FixedZone("Astana", 5*3600)

func at(day string, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, astana)
	if err != nil {
		panic(err)
	}
	return t
}

var reporter = &dispatch.User{ID: 1, Role: dispatch.RoleDispatcher, Active: true}

func mustReportRequest(tb testing.TB, db *postgres.DB, kind dispatch.RequestKind, status dispatch.RequestStatus, created time.Time, winStart, winEnd *time.Time) int64 {
	tb.Helper()
	return mustExecID(tb, db, `INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status, created_at, window_start, window_end)
		VALUES ($1, 'Kenesary 40', ST_GeogFromText('POINT(71.43 51.13)'), 'hotline', 'normal', 30, $2, $3, $4, $5) RETURNING id`,
		kind, status, created, winStart, winEnd)
}

func mustReportRoute(tb testing.TB, db *postgres.DB, team int64, day string, status dispatch.RouteStatus, started, finished *time.Time, members ...int64) int64 {
	tb.Helper()
	id := mustExecID(tb, db, `INSERT INTO routes (team_id, day, status, started_at, finished_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		team, day, status, started, finished)
	for _, m := range members {
		mustExecSQL(tb, db, `INSERT INTO route_members (route_id, volunteer_id) VALUES ($1, $2)`, id, m)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func mustRange(tb testing.TB, from, to string) dispatch.ReportRange {
	tb.Helper()
	r, err := dispatch.ParseReportRange(from, to, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestRequestsReport(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	// 00:30 in Astana is still the previous day in UTC: it must count on the 12th.
	mustReportRequest(t, db, dispatch.SnowClearing, dispatch.StatusNew, at("2026-01-12", "00:30"), nil, nil)
	mustReportRequest(t, db, dispatch.SnowClearing, dispatch.StatusNew, at("2026-01-12", "23:59"), nil, nil)
	mustReportRequest(t, db, dispatch.FoodDelivery, dispatch.StatusDone, at("2026-01-13", "10:00"), nil, nil)
	mustReportRequest(t, db, dispatch.FoodDelivery, dispatch.StatusDone, at("2026-01-11", "23:59"), nil, nil) // before the range
	mustReportRequest(t, db, dispatch.FoodDelivery, dispatch.StatusDone, at("2026-01-14", "00:00"), nil, nil) // after it

	rows, err := db.RequestsReport(ctx, reporter, mustRange(t, "2026-01-12", "2026-01-13"))
	if err != nil {
		t.Fatal(err)
	}
	want := []dispatch.RequestsRow{
		{Day: "2026-01-12", Kind: dispatch.SnowClearing, Status: dispatch.StatusNew, Count: 2},
		{Day: "2026-01-13", Kind: dispatch.FoodDelivery, Status: dispatch.StatusDone, Count: 1},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows=%+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d=%+v, want %+v", i, rows[i], want[i])
		}
	}
	t.Run("ErrForbidden", func(t *testing.T) {
		hot := &dispatch.User{ID: 3, Role: dispatch.RoleHotline, Active: true}
		if _, err := db.RequestsReport(ctx, hot, mustRange(t, "2026-01-12", "2026-01-13")); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
			t.Fatalf("err=%v, want forbidden", err)
		}
	})
}

// stopsFixture is one route on 2026-01-12 with stops of every on-time case.
func stopsFixture(t *testing.T, db *postgres.DB) {
	org := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Org', 'ngo') RETURNING id`)
	team := mustExecTeam(t, db, org, "Team", 10)
	route := mustReportRoute(t, db, team, "2026-01-12", dispatch.RouteInProgress, ptr(at("2026-01-12", "09:00")), nil)
	seq := 0
	stop := func(kind dispatch.RequestKind, status string, ws, we, eta, arrived, done *time.Time) {
		seq++
		req := mustReportRequest(t, db, kind, dispatch.StatusAssigned, at("2026-01-10", "10:00"), ws, we)
		mustExecSQL(t, db, `INSERT INTO stops (route_id, request_id, seq, status, eta, arrived_at, done_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			route, req, seq, status, eta, arrived, done)
	}
	d := func(hhmm string) *time.Time { return ptr(at("2026-01-12", hhmm)) }
	// In the window by arrival although done after it ends: on time.
	stop(dispatch.SnowClearing, "done", d("10:00"), d("12:00"), nil, d("11:00"), d("12:30"))
	// Done after the window, no arrival reported: late.
	stop(dispatch.SnowClearing, "done", d("10:00"), d("12:00"), nil, nil, d("13:00"))
	// Only an end to the window, met: on time.
	stop(dispatch.FoodDelivery, "done", nil, d("12:00"), d("08:00"), nil, d("11:59"))
	// No window, 20 min after the ETA: on time.
	stop(dispatch.FoodDelivery, "done", nil, nil, d("10:00"), nil, d("10:20"))
	// No window, 31 min before the ETA: not on time.
	stop(dispatch.FoodDelivery, "done", nil, nil, d("10:00"), nil, d("09:29"))
	// Neither window nor ETA: done but not judged.
	stop(dispatch.FoodDelivery, "done", nil, nil, nil, nil, d("15:00"))
	// Not done: counts nowhere.
	stop(dispatch.FoodDelivery, "not_home", nil, nil, d("10:00"), d("10:00"), nil)
	// Done the next day (01:00 local, the 12th in UTC).
	stop(dispatch.SnowClearing, "done", nil, nil, ptr(at("2026-01-13", "01:00")), nil, ptr(at("2026-01-13", "01:00")))
}

func TestVisitsReport(t *testing.T) {
	db := pgtest.MustOpen(t)
	stopsFixture(t, db)
	rows, err := db.VisitsReport(context.Background(), reporter, mustRange(t, "2026-01-12", "2026-01-13"))
	if err != nil {
		t.Fatal(err)
	}
	want := []dispatch.VisitsRow{
		{Day: "2026-01-12", Kind: dispatch.FoodDelivery, Count: 4},
		{Day: "2026-01-12", Kind: dispatch.SnowClearing, Count: 2},
		{Day: "2026-01-13", Kind: dispatch.SnowClearing, Count: 1},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows=%+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d=%+v, want %+v", i, rows[i], want[i])
		}
	}
}

func TestOnTimeReport(t *testing.T) {
	db := pgtest.MustOpen(t)
	stopsFixture(t, db)
	rows, err := db.OnTimeReport(context.Background(), reporter, mustRange(t, "2026-01-12", "2026-01-12"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("rows=%+v, want one day", rows)
	}
	got := rows[0]
	if got.Day != "2026-01-12" || got.Done != 6 || got.Judged != 5 || got.OnTime != 3 {
		t.Fatalf("row=%+v, want 2026-01-12 done 6 judged 5 on time 3", got)
	}
	if got.Share == nil || *got.Share != 0.6 {
		t.Fatalf("Share=%v, want 0.6", got.Share)
	}
}

func TestAlertsReport(t *testing.T) {
	db := pgtest.MustOpen(t)
	alert := func(created time.Time, handledAfter time.Duration) {
		var handled *time.Time
		if handledAfter > 0 {
			handled = ptr(created.Add(handledAfter))
		}
		status := "open"
		if handled != nil {
			status = "handled"
		}
		mustExecSQL(t, db, `INSERT INTO alerts (kind, status, created_at, handled_at) VALUES ('not_home', $1, $2, $3)`, status, created, handled)
	}
	alert(at("2026-01-12", "10:00"), 10*time.Minute)
	alert(at("2026-01-12", "11:00"), 30*time.Minute)
	alert(at("2026-01-12", "12:00"), 0)
	alert(at("2026-01-13", "12:00"), time.Hour+3*time.Second) // 60.05 min → 60.1
	alert(at("2026-01-14", "12:00"), time.Minute)             // outside

	rep, err := db.AlertsReport(context.Background(), reporter, mustRange(t, "2026-01-12", "2026-01-13"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Days) != 2 {
		t.Fatalf("Days=%+v, want 2", rep.Days)
	}
	d0, d1 := rep.Days[0], rep.Days[1]
	if d0.Day != "2026-01-12" || d0.Raised != 3 || d0.Handled != 2 || d0.MedianMinutes == nil || *d0.MedianMinutes != 20 {
		t.Errorf("day 1=%+v (median %v), want 3 raised, 2 handled, median 20", d0, deref(d0.MedianMinutes))
	}
	if d1.Day != "2026-01-13" || d1.Raised != 1 || d1.Handled != 1 || d1.MedianMinutes == nil || *d1.MedianMinutes != 60.1 {
		t.Errorf("day 2=%+v (median %v), want 1 raised, 1 handled, median 60.1", d1, deref(d1.MedianMinutes))
	}
	if rep.Raised != 4 || rep.Handled != 3 || rep.MedianMinutes == nil || *rep.MedianMinutes != 30 {
		t.Errorf("total=%d/%d median %v, want 4/3 median 30", rep.Raised, rep.Handled, deref(rep.MedianMinutes))
	}

	t.Run("Empty", func(t *testing.T) {
		rep, err := db.AlertsReport(context.Background(), reporter, mustRange(t, "2025-01-01", "2025-01-02"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Days) != 0 || rep.Raised != 0 || rep.MedianMinutes != nil {
			t.Fatalf("rep=%+v, want empty", rep)
		}
	})
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestHoursReport(t *testing.T) {
	db := pgtest.MustOpen(t)
	org := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Jas Otan, "Kömek"', 'volunteer_org') RETURNING id`)
	other := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Other', 'ngo') RETURNING id`)
	team := mustExecTeam(t, db, org, "Team", 10)
	team2 := mustExecTeam(t, db, org, "Team 2", 10)
	a := mustExecVolunteer(t, db, org, team, "Abay A")
	b := mustExecVolunteer(t, db, org, team, "Bota B")
	c := mustExecVolunteer(t, db, other, team, "Chingis C")
	d := func(day, hhmm string) *time.Time { return ptr(at(day, hhmm)) }
	// route adds a route with the members checked in for its whole length;
	// confirmed routes count, others do not.
	route := func(team int64, day string, status dispatch.RouteStatus, start, finish *time.Time, confirmed bool, members ...int64) {
		id := mustReportRoute(t, db, team, day, status, start, finish, members...)
		for _, m := range members {
			mustExecSQL(t, db, `INSERT INTO attendance (route_id, volunteer_id, check_in, check_out) VALUES ($1, $2, $3, $4)`, id, m, start, finish)
		}
		if confirmed {
			mustExecSQL(t, db, `UPDATE routes SET attendance_confirmed_at = finished_at WHERE id = $1`, id)
		}
	}

	// 2h30m, a and b present.
	route(team, "2026-01-12", dispatch.RouteFinished, d("2026-01-12", "09:00"), d("2026-01-12", "11:30"), true, a, b)
	// a also on another team's route inside that time: counted once.
	route(team2, "2026-01-12", dispatch.RouteFinished, d("2026-01-12", "10:00"), d("2026-01-12", "11:00"), true, a)
	// 1h15m and 0.7 s (truncated), b ticked absent so only a is on the roster.
	route(team, "2026-01-13", dispatch.RouteFinished, d("2026-01-13", "09:00"), ptr(at("2026-01-13", "10:15").Add(700*time.Millisecond)), true, a)
	// Finished but not confirmed: counts nothing.
	route(team, "2026-01-13", dispatch.RouteFinished, d("2026-01-13", "12:00"), d("2026-01-13", "14:00"), false, b)
	// Still running: counts nothing.
	route(team, "2026-01-13", dispatch.RouteInProgress, d("2026-01-13", "15:00"), nil, false, a, b, c)
	// Confirmed but outside the range.
	route(team, "2026-01-20", dispatch.RouteFinished, d("2026-01-20", "09:00"), d("2026-01-20", "10:00"), true, c)

	rep, err := db.HoursReport(context.Background(), reporter, mustRange(t, "2026-01-12", "2026-01-13"))
	if err != nil {
		t.Fatal(err)
	}
	wantV := []dispatch.HoursRow{
		{ID: a, Name: "Abay A", Org: `Jas Otan, "Kömek"`, Routes: 3, Seconds: 13500, Minutes: 225, Hours: "3.75"},
		{ID: b, Name: "Bota B", Org: `Jas Otan, "Kömek"`, Routes: 1, Seconds: 9000, Minutes: 150, Hours: "2.50"},
	}
	if len(rep.Volunteers) != len(wantV) {
		t.Fatalf("Volunteers=%+v, want %+v", rep.Volunteers, wantV)
	}
	for i := range wantV {
		if rep.Volunteers[i] != wantV[i] {
			t.Errorf("volunteer %d=%+v, want %+v", i, rep.Volunteers[i], wantV[i])
		}
	}
	wantO := dispatch.HoursRow{ID: org, Name: `Jas Otan, "Kömek"`, Routes: 3, Seconds: 22500, Minutes: 375, Hours: "6.25"}
	if len(rep.Organisations) != 1 || rep.Organisations[0] != wantO {
		t.Fatalf("Organisations=%+v, want [%+v]", rep.Organisations, wantO)
	}

	t.Run("CoordinatorOfOtherOrg", func(t *testing.T) {
		coord := &dispatch.User{ID: 9, Role: dispatch.RoleCoordinator, OrganisationID: &other, Active: true}
		rep, err := db.HoursReport(context.Background(), coord, mustRange(t, "2026-01-12", "2026-01-20"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Volunteers) != 1 || rep.Volunteers[0].ID != c {
			t.Errorf("coordinator of Other sees %+v, want only Chingis C", rep.Volunteers)
		}
	})
}
