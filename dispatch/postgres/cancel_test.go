package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

// Cancelling a request whose stop is on a started route cancels the stop in
// the same transaction, tells the team's feed, and the route can finish
// without force. Before, the stop stayed pending, every way of ending it
// answered 409 and the route could never finish.
func TestCancelRequestOnStartedRoute(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)
	// The team starts by reporting the first stop done.
	if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "cancel-test-1"}); err != nil {
		t.Fatal(err)
	}
	before, err := f.db.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The pensioner of the second stop calls: no need to come.
	if _, err := f.db.SetRequestStatus(ctx, f.dispatcher, f.requests[1], dispatch.StatusCancelled, 0); err != nil {
		t.Fatalf("cancel request on a started route: %v", err)
	}
	if st := f.stopStatus(t, f.stops[1]); st != dispatch.StopRemoved {
		t.Fatalf("stop status=%s, want removed (withdrawn)", st)
	}
	evs, err := f.db.EventsSince(ctx, before, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		if e.Type == dispatch.EventStopUpdated && e.EntityID == f.stops[1] {
			if e.TeamID == nil || *e.TeamID != f.teamID {
				t.Fatalf("stop event team=%v, want %d (the team's phone must get it)", e.TeamID, f.teamID)
			}
			var p struct {
				Stop struct {
					Status dispatch.StopStatus `json:"status"`
					Note   string              `json:"note"`
				} `json:"stop"`
				RequestStatus dispatch.RequestStatus `json:"request_status"`
			}
			if err := json.Unmarshal(e.Payload, &p); err != nil || p.Stop.Status != dispatch.StopRemoved ||
				p.Stop.Note != dispatch.WithdrawnStopNote || p.RequestStatus != dispatch.StatusCancelled {
				t.Fatalf("stop event payload=%s, want the stop removed as request cancelled", e.Payload)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("no stop.updated event for the cancelled stop in %d events", len(evs))
	}
	// The team's route no longer shows it.
	tr, err := f.db.FindTeamRoute(ctx, f.lead, f.teamID, "2026-01-12")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tr.Stops {
		if s.ID == f.stops[1] {
			t.Fatalf("team route still shows the cancelled stop %d", s.ID)
		}
	}
	// A cancelled stop cannot be reported on.
	if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[1], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "cancel-test-2"}); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("report on a cancelled stop: code=%q, want conflict", dispatch.ErrorCode(err))
	}
	// The last stop is done; the route finishes without force.
	if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[2], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "cancel-test-3"}); err != nil {
		t.Fatal(err)
	}
	fin, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{IdempotencyKey: "cancel-test-finish"})
	if err != nil {
		t.Fatalf("finish route after a cancellation: %v", err)
	}
	if fin.Route.Status != dispatch.RouteFinished {
		t.Fatalf("route status=%s, want finished", fin.Route.Status)
	}
	if st := f.requestStatus(t, f.requests[1]); st != dispatch.StatusCancelled {
		t.Fatalf("request status=%s, want cancelled", st)
	}
}

// A route whose request was cancelled behind its back (data from before the
// fix, or a cancellation by another path) still finishes with force: the
// cancelled request stays cancelled instead of a 409.
func TestForceFinishWithCancelledRequest(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)
	if _, err := f.db.UpdateStop(ctx, f.lead, f.stops[0], dispatch.StopUpdateInput{Status: dispatch.StopDone, IdempotencyKey: "cancel-test-4"}); err != nil {
		t.Fatal(err)
	}
	mustExecSQL(t, f.db, `UPDATE requests SET status = 'cancelled' WHERE id = $1`, f.requests[1])
	fin, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{Force: true, IdempotencyKey: "cancel-test-force"})
	if err != nil {
		t.Fatalf("force finish with a cancelled request on the route: %v", err)
	}
	if fin.Route.Status != dispatch.RouteFinished {
		t.Fatalf("route status=%s, want finished", fin.Route.Status)
	}
	if st := f.requestStatus(t, f.requests[1]); st != dispatch.StatusCancelled {
		t.Fatalf("cancelled request became %s", st)
	}
	if st := f.requestStatus(t, f.requests[2]); st != dispatch.StatusNew {
		t.Fatalf("pending request after force finish=%s, want new", st)
	}
}

// Cancelling a request on a draft route takes its stop off the draft, so a
// publish never sends a team to a cancelled request.
func TestCancelRequestOnDraft(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)
	route, stops, reqs := mustExecRoute(t, f.db, f.otherTeam, "2026-01-13", dispatch.RouteDraft, f.cares[:2])
	if _, err := f.db.SetRequestStatus(ctx, f.dispatcher, reqs[0], dispatch.StatusCancelled, 0); err != nil {
		t.Fatal(err)
	}
	if st := f.stopStatus(t, stops[0]); st != dispatch.StopRemoved {
		t.Fatalf("draft stop status=%s, want removed (withdrawn)", st)
	}
	rt, err := f.db.FindRouteByID(ctx, route)
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.Stops) != 1 || rt.Stops[0].ID != stops[1] || rt.Stops[0].Seq != 1 {
		t.Fatalf("draft stops=%+v, want only stop %d at seq 1", rt.Stops, stops[1])
	}
}

// Positions attach to the team's route of today: an old route left in
// progress on an earlier day must not take them.
func TestPositionUsesTodaysRoute(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)
	old := mustExecID(t, f.db, `INSERT INTO routes (team_id, day, status, started_at) VALUES ($1, '2026-01-10', 'in_progress', $2) RETURNING id`,
		f.teamID, f.now.Add(-48*time.Hour))
	lat, lon := 51.13, 71.43
	up, err := f.db.UpdateTeamPosition(ctx, f.lead, f.teamID, dispatch.PositionInput{Lat: &lat, Lon: &lon}, dispatch.HaversineTravel{})
	if err != nil {
		t.Fatal(err)
	}
	if up.RouteID != f.routeID {
		t.Fatalf("position attached to route %d, want today's %d (not %d from two days ago)", up.RouteID, f.routeID, old)
	}
}
