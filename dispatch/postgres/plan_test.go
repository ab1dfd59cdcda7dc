package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// teamSpec describes a test team; members are birth years, the first is the lead.
type teamSpec struct {
	name     string
	base     orb.Point
	skills   []string
	capacity int
	car      bool
	members  []int
	langs    []string
}

func mustTeam(tb testing.TB, db *postgres.DB, org int64, t teamSpec) int64 {
	tb.Helper()
	ctx := context.Background()
	var id int64
	if err := db.Pool().QueryRow(ctx, `INSERT INTO teams (name, organisation_id, base, has_vehicle, capacity_packages, skills, languages, shift_start, shift_end)
		VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $5, $6, $7, $8, '08:00', '20:00') RETURNING id`,
		t.name, org, t.base.Lon(), t.base.Lat(), t.car, t.capacity, t.skills, t.langs).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	for i, year := range t.members {
		var vid int64
		if err := db.Pool().QueryRow(ctx, `INSERT INTO volunteers (full_name, birth_year, languages, organisation_id) VALUES ($1, $2, $3, $4) RETURNING id`,
			t.name+" member", year, t.langs, org).Scan(&vid); err != nil {
			tb.Fatal(err)
		}
		if _, err := db.Pool().Exec(ctx, `INSERT INTO team_members (team_id, volunteer_id) VALUES ($1, $2)`, id, vid); err != nil {
			tb.Fatal(err)
		}
		if i == 0 {
			if _, err := db.Pool().Exec(ctx, `UPDATE teams SET lead_volunteer_id = $2 WHERE id = $1`, id, vid); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return id
}

func mustOrg(tb testing.TB, db *postgres.DB) int64 {
	tb.Helper()
	var id int64
	if err := db.Pool().QueryRow(context.Background(), `INSERT INTO organisations (name, kind) VALUES ('HQ', 'headquarters') RETURNING id`).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	return id
}

func mustRequest(tb testing.TB, db *postgres.DB, actor *dispatch.User, kind dispatch.RequestKind, pt orb.Point, prio dispatch.Priority) *dispatch.Request {
	tb.Helper()
	in := normalized(tb, dispatch.RequestInput{Kind: kind, AddressText: "test", Lat: f64(pt.Lat()), Lon: f64(pt.Lon()), Priority: prio, Force: true})
	r, _, err := db.CreateRequest(context.Background(), actor, in)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestPlanPublishReplan(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	day := "2026-12-01"
	rules := dispatch.DefaultPlanRules()
	// Plan as if at 07:00 on the day so every shift is still ahead.
	db.Now = func() time.Time { return time.Date(2026, 12, 1, 7, 0, 0, 0, rules.Location) }
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	north := mustTeam(t, db, org, teamSpec{name: "North", base: orb.Point{71.43, 51.18}, skills: []string{"shovels"}, capacity: 10, members: []int{1990, 2010}, langs: []string{"kk", "ru"}})
	south := mustTeam(t, db, org, teamSpec{name: "South", base: orb.Point{71.43, 51.10}, skills: []string{"shovels"}, capacity: 10, members: []int{1985}, langs: []string{"ru"}})
	kids := mustTeam(t, db, org, teamSpec{name: "Kids", base: orb.Point{71.43, 51.14}, skills: []string{"shovels"}, capacity: 10, members: []int{2011, 2010}, langs: []string{"kk"}})

	for i := 0; i < 4; i++ {
		mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.42 + 0.005*float64(i), 51.185}, dispatch.Normal)
		mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.42 + 0.005*float64(i), 51.095}, dispatch.Normal)
	}
	// A food delivery of 30 packages needs a car; nobody has one.
	big := mustRequest(t, db, disp, dispatch.FoodDelivery, orb.Point{71.44, 51.15}, dispatch.Normal)
	if _, err := db.Pool().Exec(ctx, `UPDATE requests SET packages = 30 WHERE id = $1`, big.ID); err != nil {
		t.Fatal(err)
	}

	planner := &dispatch.Planner{Store: db, Travel: func() dispatch.Travel { return dispatch.HaversineTravel{} }, Rules: rules}
	scope := dispatch.PlanScope{Day: day, TimeLimitS: 0.5}
	if err := scope.Normalize(); err != nil {
		t.Fatal(err)
	}
	job, err := db.StartPlanningJob(ctx, disp, scope)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartPlanningJob(ctx, disp, scope); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("second job code=%q, want conflict (one planning job per scope)", dispatch.ErrorCode(err))
	}
	out, err := planner.Run(ctx, disp, job, scope)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Feasible || out.Assigned != 8 {
		t.Fatalf("Feasible=%v Assigned=%d, want true 8 (unplanned %+v, excluded %+v)", out.Feasible, out.Assigned, out.Unplanned, out.Excluded)
	}
	if len(out.Unplanned) != 1 || out.Unplanned[0].RequestID != big.ID {
		t.Fatalf("Unplanned=%+v, want only the 30-package delivery", out.Unplanned)
	}
	if len(out.Excluded) != 1 || out.Excluded[0].TeamID != kids {
		t.Fatalf("Excluded=%+v, want the team of minors", out.Excluded)
	}
	bigNow, _ := db.FindRequestByID(ctx, big.ID)
	if bigNow.UnassignedReason == "" || bigNow.Status != dispatch.StatusNew {
		t.Fatalf("unplanned request=%+v, want new with a reason", bigNow)
	}
	drafts, err := db.FindRoutes(ctx, dispatch.RouteFilter{Day: day, Statuses: []dispatch.RouteStatus{dispatch.RouteDraft}})
	if err != nil || len(drafts) != 2 {
		t.Fatalf("drafts=%d err=%v, want 2", len(drafts), err)
	}
	// Work goes to nearby teams: northern requests to North, southern to South.
	for _, r := range drafts {
		for _, s := range r.Stops {
			wantTeam := south
			if s.Lat > 51.14 {
				wantTeam = north
			}
			if r.TeamID != wantTeam {
				t.Errorf("stop at lat %.3f on team %d, want %d", s.Lat, r.TeamID, wantTeam)
			}
			if s.ETA == nil {
				t.Errorf("stop %d has no ETA", s.ID)
				continue
			}
			// North has a 15-year-old member: daylight hours only (from
			// 09:00), although its shift starts at 08:00.
			local := s.ETA.In(rules.Location)
			if r.TeamID == north && local.Hour() < 9 {
				t.Errorf("North (with a minor) visits at %s, want daylight (09:00-17:00)", local.Format("15:04"))
			}
			if r.TeamID == south && local.Hour() >= 9 && s.Seq == 1 {
				t.Errorf("South's first visit at %s, want soon after its 08:00 shift start", local.Format("15:04"))
			}
		}
		if len(r.Geometry) < 2 {
			t.Errorf("route %d has no geometry", r.ID)
		}
	}
	// The dispatcher moves the last stop of North to position 1 of South.
	var nr, sr *dispatch.Route
	for _, r := range drafts {
		if r.TeamID == north {
			nr = r
		} else {
			sr = r
		}
	}
	moved := nr.Stops[len(nr.Stops)-1]
	sched := &dispatch.Scheduling{Travel: dispatch.HaversineTravel{}, Now: db.Now(), Location: rules.Location}
	changed, err := db.MoveStop(ctx, disp, moved.ID, sr.ID, 1, dispatch.StopEdit{Schedule: sched})
	if err != nil || len(changed) != 2 {
		t.Fatalf("MoveStop changed=%v err=%v", changed, err)
	}
	sr, _ = db.FindRouteByID(ctx, sr.ID)
	if sr.Stops[0].ID != moved.ID || len(sr.Stops) != 5 {
		t.Fatalf("South first stop=%d (of %d), want %d", sr.Stops[0].ID, len(sr.Stops), moved.ID)
	}
	if sr.Stops[1].ETA == nil || !sr.Stops[1].ETA.After(*sr.Stops[0].ETA) {
		t.Fatalf("ETAs not recomputed in order: %v then %v", sr.Stops[0].ETA, sr.Stops[1].ETA)
	}
	// Publish both; requests become assigned and the team hears of it.
	if _, err := db.PublishRoutes(ctx, disp, []int64{nr.ID, sr.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PublishRoutes(ctx, disp, []int64{nr.ID}, nil); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("publish twice code=%q, want conflict", dispatch.ErrorCode(err))
	}
	var teamEvents int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'route.published' AND team_id = $1`, north).Scan(&teamEvents); err != nil || teamEvents != 1 {
		t.Fatalf("route.published events for North=%d err=%v, want 1", teamEvents, err)
	}
	// North finishes its first stop (as a team lead would), then an urgent
	// request comes in near North's base and we re-plan.
	nr, _ = db.FindRouteByID(ctx, nr.ID)
	done := nr.Stops[0]
	if _, err := db.Pool().Exec(ctx, `UPDATE routes SET status = 'in_progress', started_at = now() WHERE id = $1;`, nr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE stops SET status = 'done', done_at = now() WHERE id = $1`, done.ID); err != nil {
		t.Fatal(err)
	}
	urgent := mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.431, 51.181}, dispatch.Urgent)
	job2, err := db.StartPlanningJob(ctx, disp, scope)
	if err != nil {
		t.Fatalf("second plan after the first finished: %v", err)
	}
	out2, err := planner.Run(ctx, disp, job2, scope)
	if err != nil {
		t.Fatal(err)
	}
	if !out2.Feasible {
		t.Fatal("replan infeasible")
	}
	nr2, _ := db.FindRouteByID(ctx, nr.ID)
	if nr2.Stops[0].ID != done.ID || nr2.Stops[0].Status != dispatch.StopDone {
		t.Fatalf("done stop moved: first stop=%+v", nr2.Stops[0])
	}
	urgentPlaced := false
	for _, r := range []int64{nr.ID, sr.ID} {
		rr, _ := db.FindRouteByID(ctx, r)
		for _, s := range rr.Stops {
			urgentPlaced = urgentPlaced || s.RequestID == urgent.ID
		}
	}
	if !urgentPlaced {
		t.Fatal("urgent request not fitted into a live route")
	}
	u, _ := db.FindRequestByID(ctx, urgent.ID)
	if u.Status != dispatch.StatusAssigned {
		t.Fatalf("urgent status=%s, want assigned (it joined a live route)", u.Status)
	}
	// Removing a pending stop reopens its request.
	rem := nr2.Stops[len(nr2.Stops)-1]
	if _, err := db.RemoveStop(ctx, disp, rem.ID, dispatch.StopEdit{}); err != nil {
		t.Fatal(err)
	}
	back, _ := db.FindRequestByID(ctx, rem.RequestID)
	if back.Status != dispatch.StatusNew {
		t.Fatalf("removed stop's request status=%s, want new", back.Status)
	}
	if _, err := db.RemoveStop(ctx, disp, done.ID, dispatch.StopEdit{}); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("removing a done stop code=%q, want conflict", dispatch.ErrorCode(err))
	}
}

// Planning a day turns the recurring visits due that day into requests and
// plans them, once.
func TestPlanCreatesDueVisits(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	rules := dispatch.DefaultPlanRules()
	db.Now = func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, rules.Location) }
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	mustTeam(t, db, org, teamSpec{name: "Visitors", base: orb.Point{71.43, 51.15}, skills: []string{}, capacity: 10, members: []int{1980}, langs: []string{"ru"}})
	weekly := mustCare(t, db, disp, "Петрова Анна", "+7 700 000 33 44", orb.Point{71.44, 51.16})
	monthly := mustCare(t, db, disp, "Ким Ольга", "+7 700 000 55 77", orb.Point{71.42, 51.14})
	// 2026-12-01 is a Tuesday (ISO weekday 2).
	if err := db.SetVisitRule(ctx, disp, weekly.ID, dispatch.VisitRuleInput{Rule: "weekly", Day: 2}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetVisitRule(ctx, disp, monthly.ID, dispatch.VisitRuleInput{Rule: "monthly", Day: 15}); err != nil {
		t.Fatal(err)
	}
	planner := &dispatch.Planner{Store: db, Travel: func() dispatch.Travel { return dispatch.HaversineTravel{} }, Rules: rules}
	scope := dispatch.PlanScope{Day: "2026-12-01", TimeLimitS: 0.2}
	for run := 0; run < 2; run++ {
		job, err := db.StartPlanningJob(ctx, disp, scope)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := planner.Run(ctx, disp, job, scope); err != nil {
			t.Fatal(err)
		}
	}
	reqs, total, err := db.FindRequests(ctx, dispatch.RequestFilter{})
	if err != nil || total != 1 {
		t.Fatalf("requests=%d err=%v, want exactly the one weekly visit due that day (planned twice)", total, err)
	}
	if r := reqs[0]; r.Source != dispatch.SourceRecurring || *r.CareAddressID != weekly.ID || r.Status != dispatch.StatusPlanned {
		t.Fatalf("request=%+v, want the weekly visit, planned", r)
	}
}
