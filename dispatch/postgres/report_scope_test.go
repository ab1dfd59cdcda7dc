package postgres_test

import (
	"context"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestVisitsAndOnTimeScopedForCoordinator: a coordinator's visits and
// on-time reports count only the stops of their organisation's teams; a
// dispatcher's count every team's.
func TestVisitsAndOnTimeScopedForCoordinator(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	stopsFixture(t, db)
	orgA := mustExecID(t, db, `SELECT id FROM organisations WHERE name = 'Org'`)
	orgB := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('B', 'volunteer_org') RETURNING id`)
	teamB := mustExecTeam(t, db, orgB, "Team B", 10)
	routeB := mustReportRoute(t, db, teamB, "2026-01-12", dispatch.RouteInProgress, ptr(at("2026-01-12", "09:00")), nil)
	req := mustReportRequest(t, db, dispatch.SnowClearing, dispatch.StatusAssigned, at("2026-01-10", "10:00"), nil, nil)
	mustExecSQL(t, db, `INSERT INTO stops (route_id, request_id, seq, status, eta, done_at) VALUES ($1, $2, 1, 'done', $3, $3)`,
		routeB, req, at("2026-01-12", "11:00"))
	coordA := &dispatch.User{ID: 7, Role: dispatch.RoleCoordinator, OrganisationID: &orgA, Active: true}
	coordB := &dispatch.User{ID: 8, Role: dispatch.RoleCoordinator, OrganisationID: &orgB, Active: true}
	rng := mustRange(t, "2026-01-12", "2026-01-12")

	snow := func(rows []dispatch.VisitsRow) int {
		n := 0
		for _, r := range rows {
			if r.Kind == dispatch.SnowClearing {
				n += r.Count
			}
		}
		return n
	}
	for _, c := range []struct {
		who        *dispatch.User
		snow, done int
		onTime     int
	}{{reporter, 3, 7, 4}, {coordA, 2, 6, 3}, {coordB, 1, 1, 1}} {
		visits, err := db.VisitsReport(ctx, c.who, rng)
		if err != nil {
			t.Fatalf("%s visits: %v", c.who.Role, err)
		}
		if got := snow(visits); got != c.snow {
			t.Errorf("%s (org %v) snow visits=%d, want %d", c.who.Role, c.who.OrganisationID, got, c.snow)
		}
		ontime, err := db.OnTimeReport(ctx, c.who, rng)
		if err != nil {
			t.Fatalf("%s on time: %v", c.who.Role, err)
		}
		if len(ontime) != 1 || ontime[0].Done != c.done || ontime[0].OnTime != c.onTime {
			t.Errorf("%s (org %v) on time %+v, want done %d on time %d", c.who.Role, c.who.OrganisationID, ontime, c.done, c.onTime)
		}
	}
	hot := &dispatch.User{ID: 9, Role: dispatch.RoleHotline, Active: true}
	if _, err := db.VisitsReport(ctx, hot, rng); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("hotline visits report err=%v, want forbidden", err)
	}
}
