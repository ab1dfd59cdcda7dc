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

// proposalFixture: two teams, eight snow requests, a day planned once.
type proposalFixture struct {
	db      *postgres.DB
	disp    *dispatch.User
	planner *dispatch.Planner
	scope   dispatch.PlanScope
	rules   dispatch.PlanRules
}

func newProposalFixture(t *testing.T) *proposalFixture {
	t.Helper()
	db := pgtest.MustOpen(t)
	rules := dispatch.DefaultPlanRules()
	db.Now = func() time.Time { return time.Date(2026, 12, 1, 7, 0, 0, 0, rules.Location) }
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	mustTeam(t, db, org, teamSpec{name: "North", base: orb.Point{71.43, 51.18}, skills: []string{"shovels"}, capacity: 10, members: []int{1990}, langs: []string{"ru"}})
	mustTeam(t, db, org, teamSpec{name: "South", base: orb.Point{71.43, 51.10}, skills: []string{"shovels"}, capacity: 10, members: []int{1985}, langs: []string{"ru"}})
	for i := 0; i < 4; i++ {
		mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.42 + 0.005*float64(i), 51.185}, dispatch.Normal)
		mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.42 + 0.005*float64(i), 51.095}, dispatch.Normal)
	}
	scope := dispatch.PlanScope{Day: "2026-12-01", TimeLimitS: 0.3}
	if err := scope.Normalize(); err != nil {
		t.Fatal(err)
	}
	f := &proposalFixture{db: db, disp: disp, scope: scope, rules: rules,
		planner: &dispatch.Planner{Store: db, Travel: func() dispatch.Travel { return dispatch.HaversineTravel{} }, Rules: rules}}
	f.plan(t)
	return f
}

func (f *proposalFixture) plan(t *testing.T) *dispatch.PlanOutput {
	t.Helper()
	job, err := f.db.StartPlanningJob(context.Background(), f.disp, f.scope)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.planner.Run(context.Background(), f.disp, job, f.scope)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// solve reads the input (the snapshot) and solves, without saving: what a
// planning job has done when the field and the dispatchers act.
func (f *proposalFixture) solve(t *testing.T) (int64, *dispatch.PlanOutput) {
	t.Helper()
	ctx := context.Background()
	job, err := f.db.StartPlanningJob(ctx, f.disp, f.scope)
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.db.LoadPlanInput(ctx, f.scope, f.rules)
	if err != nil {
		t.Fatal(err)
	}
	out, err := dispatch.Plan(ctx, in, f.scope, f.rules, dispatch.HaversineTravel{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Snapshot = in.Snapshot
	return job, out
}

func (f *proposalFixture) routes(t *testing.T, statuses ...dispatch.RouteStatus) []*dispatch.Route {
	t.Helper()
	rs, err := f.db.FindRoutes(context.Background(), dispatch.RouteFilter{Day: f.scope.Day, Statuses: statuses})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// liveStops counts, per request, its stops to visit, being visited or done.
func liveStops(t *testing.T, db *postgres.DB) map[int64]int {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT request_id, count(*) FROM stops WHERE status IN ('pending', 'arrived', 'done') GROUP BY request_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

func keptReason(out *dispatch.PlanOutput, req int64) string {
	for _, k := range out.Kept {
		if k.RequestID == req {
			return k.Reason
		}
	}
	return ""
}

// While a re-plan solves, the field marks a stop of a live route done and
// arrives at another; saving keeps both as they are (no pending copy of the
// done stop, nothing done undone) and the result says so.
func TestPlanSaveKeepsFieldWork(t *testing.T) {
	ctx := context.Background()
	f := newProposalFixture(t)
	var ids []int64
	for _, r := range f.routes(t, dispatch.RouteDraft) {
		ids = append(ids, r.ID)
	}
	if _, err := f.db.PublishRoutes(ctx, f.disp, ids, nil); err != nil {
		t.Fatal(err)
	}
	live := f.routes(t, dispatch.RoutePublished)
	lead := mustExecLead(t, f.db, "lead-north", live[0].TeamID)
	job, out := f.solve(t)

	done, arrived := live[0].Stops[0], live[0].Stops[1]
	if _, err := f.db.UpdateStop(ctx, lead, done.ID, dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "p-done"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateStop(ctx, lead, arrived.ID, dispatch.StopUpdateInput{Status: dispatch.StopArrived, IdempotencyKey: "p-arrived"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SavePlan(ctx, dispatch.PlanAttempt{JobID: job}, f.disp, f.scope, out); err != nil {
		t.Fatalf("save over a stale snapshot: %v", err)
	}
	for id, n := range liveStops(t, f.db) {
		if n != 1 {
			t.Errorf("request %d has %d live stops, want 1", id, n)
		}
	}
	rt, err := f.db.FindRouteByID(ctx, live[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]dispatch.StopStatus{}
	for _, s := range rt.Stops {
		got[s.ID] = s.Status
	}
	if got[done.ID] != dispatch.StopDone || got[arrived.ID] != dispatch.StopArrived {
		t.Fatalf("after save done stop=%s arrived stop=%s, want done and arrived", got[done.ID], got[arrived.ID])
	}
	if r := keptReason(out, done.RequestID); r == "" {
		t.Errorf("result does not say the done stop was kept: kept=%+v", out.Kept)
	}
	if r := keptReason(out, arrived.RequestID); r == "" {
		t.Errorf("result does not say the arrived stop was kept: kept=%+v", out.Kept)
	}
	if req, _ := f.db.FindRequestByID(ctx, done.RequestID); req.Status != dispatch.StatusDone {
		t.Fatalf("done request became %s", req.Status)
	}
}

// While a re-plan solves, a dispatcher moves a draft stop to the other
// team, locks another and publishes one draft; saving keeps the moved and
// locked stops where they are and never puts a request on two routes.
func TestPlanSaveKeepsDispatcherEdits(t *testing.T) {
	ctx := context.Background()
	f := newProposalFixture(t)
	drafts := f.routes(t, dispatch.RouteDraft)
	if len(drafts) != 2 {
		t.Fatalf("drafts=%d, want 2", len(drafts))
	}
	a, b := drafts[0], drafts[1]
	job, out := f.solve(t)

	moved := a.Stops[0]
	if _, err := f.db.MoveStop(ctx, f.disp, moved.ID, b.ID, 1, dispatch.StopEdit{}); err != nil {
		t.Fatal(err)
	}
	locked := a.Stops[1]
	if _, err := f.db.SetStopLocked(ctx, f.disp, locked.ID, true, dispatch.StopEdit{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.PublishRoutes(ctx, f.disp, []int64{b.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SavePlan(ctx, dispatch.PlanAttempt{JobID: job}, f.disp, f.scope, out); err != nil {
		t.Fatalf("save over a stale snapshot: %v", err)
	}
	for id, n := range liveStops(t, f.db) {
		if n != 1 {
			t.Errorf("request %d has %d live stops (on two routes), want 1", id, n)
		}
	}
	pub, err := f.db.FindRouteByID(ctx, b.ID)
	if err != nil || pub.Status != dispatch.RoutePublished {
		t.Fatalf("published draft=%+v err=%v, want still published", pub, err)
	}
	onB := false
	for _, s := range pub.Stops {
		onB = onB || (s.ID == moved.ID && s.Status == dispatch.StopPending)
	}
	if !onB {
		t.Fatalf("moved stop %d is not on the published route any more", moved.ID)
	}
	var lockedNow bool
	var lockedRoute int64
	if err := f.db.Pool().QueryRow(ctx, `SELECT locked, route_id FROM stops WHERE id = $1`, locked.ID).Scan(&lockedNow, &lockedRoute); err != nil {
		t.Fatalf("locked stop %d is gone: %v", locked.ID, err)
	}
	if !lockedNow || lockedRoute != a.ID {
		t.Fatalf("locked stop now locked=%v on route %d, want locked on %d", lockedNow, lockedRoute, a.ID)
	}
	for _, req := range []int64{moved.RequestID, locked.RequestID} {
		if keptReason(out, req) == "" {
			t.Errorf("result does not say request %d was kept: %+v", req, out.Kept)
		}
	}
	// The team whose draft went live gets no second route for the day.
	perTeam := map[int64]int{}
	for _, r := range f.routes(t) {
		if r.Status != dispatch.RouteCancelled && r.Status != dispatch.RouteFinished {
			perTeam[r.TeamID]++
		}
	}
	for team, n := range perTeam {
		if n > 1 {
			t.Errorf("team %d has %d routes for the day, want 1", team, n)
		}
	}
}

// The schema refuses a request on two routes, whatever the code does.
func TestOneLiveStopPerRequestConstraint(t *testing.T) {
	ctx := context.Background()
	f := newProposalFixture(t)
	drafts := f.routes(t, dispatch.RouteDraft)
	s := drafts[0].Stops[0]
	_, err := f.db.Pool().Exec(ctx, `INSERT INTO stops (route_id, request_id, seq) VALUES ($1, $2, 99)`, drafts[1].ID, s.RequestID)
	if err == nil {
		t.Fatal("a second pending stop for one request was accepted")
	}
	// A failed visit does not block a new one.
	mustExecSQL(t, f.db, `UPDATE stops SET status = 'not_home' WHERE id = $1`, s.ID)
	if _, err := f.db.Pool().Exec(ctx, `INSERT INTO stops (route_id, request_id, seq) VALUES ($1, $2, 99)`, drafts[1].ID, s.RequestID); err != nil {
		t.Fatalf("new stop after a failed visit: %v", err)
	}
}
