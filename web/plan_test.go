package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
)

// planMock implements dispatch.PlanStore and dispatch.RouteStore with
// function fields; setPlanMocks gives every one a successful default.
type planMock struct {
	dispatch.PlanStore
	FindRoutesFn func(ctx context.Context, f dispatch.RouteFilter) ([]*dispatch.Route, error)
	MoveStopFn   func(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) ([]int64, error)
	started      []dispatch.PlanScope
}

func (m *planMock) StartPlanningJob(ctx context.Context, actor *dispatch.User, scope dispatch.PlanScope) (int64, error) {
	m.started = append(m.started, scope)
	return 7, nil
}
func (m *planMock) PlanningProgress(ctx context.Context, jobID int64, pct int, msg string) error {
	return nil
}
func (m *planMock) LoadPlanInput(ctx context.Context, scope dispatch.PlanScope, rules dispatch.PlanRules) (*dispatch.PlanInput, error) {
	return &dispatch.PlanInput{Now: time.Now()}, nil
}
func (m *planMock) SavePlan(ctx context.Context, job dispatch.PlanAttempt, actor *dispatch.User, scope dispatch.PlanScope, out *dispatch.PlanOutput) error {
	return nil
}
func (m *planMock) FailPlanningJob(ctx context.Context, job dispatch.PlanAttempt, msg string) error {
	return nil
}
func (m *planMock) FindPlanningJob(ctx context.Context, id int64) (*dispatch.PlanningJob, error) {
	if id != 7 {
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "Planning job %d not found.", id)
	}
	return &dispatch.PlanningJob{ID: 7, Status: "running", Progress: 30}, nil
}
func (m *planMock) FindRoutes(ctx context.Context, f dispatch.RouteFilter) ([]*dispatch.Route, error) {
	return m.FindRoutesFn(ctx, f)
}
func (m *planMock) FindRouteByID(ctx context.Context, id int64) (*dispatch.Route, error) {
	return &dispatch.Route{ID: id, TeamID: 1, Status: dispatch.RoutePublished, Geometry: orb.LineString{{71.4, 51.1}, {71.5, 51.2}}}, nil
}
func (m *planMock) MoveStop(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) ([]int64, error) {
	return m.MoveStopFn(ctx, actor, stopID, toRoute, position, edit)
}
func (m *planMock) SetStopLocked(ctx context.Context, actor *dispatch.User, stopID int64, locked bool, edit dispatch.StopEdit) (int64, error) {
	return 3, dispatch.Require(actor, dispatch.ActPlan)
}
func (m *planMock) RemoveStop(ctx context.Context, actor *dispatch.User, stopID int64, edit dispatch.StopEdit) (int64, error) {
	return 3, dispatch.Require(actor, dispatch.ActPlan)
}
func (m *planMock) PublishRoutes(ctx context.Context, actor *dispatch.User, ids []int64, expect map[int64]string) ([]int64, error) {
	return ids, dispatch.Require(actor, dispatch.ActPlan)
}
func (m *planMock) RecomputeRoute(ctx context.Context, routeID int64, sched dispatch.Scheduling) error {
	return nil
}

func setPlanMocks(s *Server) *planMock {
	m := &planMock{}
	m.FindRoutesFn = func(ctx context.Context, f dispatch.RouteFilter) ([]*dispatch.Route, error) {
		return []*dispatch.Route{{ID: 3, TeamID: 1, Status: dispatch.RouteDraft}}, nil
	}
	m.MoveStopFn = func(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) ([]int64, error) {
		return []int64{toRoute}, dispatch.Require(actor, dispatch.ActPlan)
	}
	s.Plan = PlanServices{
		Planner: &dispatch.Planner{Store: m, Travel: func() dispatch.Travel { return dispatch.HaversineTravel{} }, Rules: dispatch.DefaultPlanRules()},
		Routes:  m,
		Travel:  func() dispatch.Travel { return dispatch.HaversineTravel{} },
	}
	return m
}

var planners = []dispatch.Role{dispatch.RoleDispatcher}

func init() {
	for k, v := range map[string]routeExpect{
		"POST /api/plans":     {Roles: planners, Body: `{"day":"2026-12-01","kinds":["snow_clearing"],"time_limit_s":1}`},
		"GET /api/plans/{id}": {Path: "/api/plans/7", Roles: planners},
		// The table's team lead belongs to no team, so routes are 403 for it.
		// The coordinator coordinates the organisation of team 1.
		"GET /api/routes":             {Path: "/api/routes?day=2026-12-01", Roles: []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleCoordinator}},
		"GET /api/routes/{id}":        {Path: "/api/routes/3", Roles: []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleCoordinator}},
		"POST /api/routes/publish":    {Roles: planners, Body: `{"route_ids":[3]}`},
		"POST /api/stops/{id}/move":   {Path: "/api/stops/9/move", Roles: planners, Body: `{"route_id":3,"position":1}`},
		"POST /api/stops/{id}/lock":   {Path: "/api/stops/9/lock", Roles: planners, Body: `{"locked":true}`},
		"POST /api/stops/{id}/remove": {Path: "/api/stops/9/remove", Roles: planners},
	} {
		routeTable[k] = v
	}
}

func TestPlanAPI(t *testing.T) {
	t.Run("StartReturns202", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/plans", Role: dispatch.RoleDispatcher, Body: `{"day":"2026-12-01"}`})
		if w.Code != http.StatusAccepted {
			t.Fatalf("Code=%d, want 202; body %s", w.Code, w.Body)
		}
	})
	t.Run("BadDay", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/plans", Role: dispatch.RoleDispatcher, Body: `{"day":"tomorrow"}`})
		p := problemOf(t, w)
		if w.Code != http.StatusUnprocessableEntity || p["field"] != "day" {
			t.Fatalf("Code=%d field=%v, want 422 naming day", w.Code, p["field"])
		}
	})
	t.Run("MoveNeedsRoute", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/stops/9/move", Role: dispatch.RoleDispatcher, Body: `{"position":1}`})
		if p := problemOf(t, w); p["field"] != "route_id" {
			t.Fatalf("field=%v, want route_id", p["field"])
		}
	})
	t.Run("TeamLeadSeesOnlyOwnLiveRoutes", func(t *testing.T) {
		ts := MustServer(t, Config{})
		withLeadOf(ts, 9)
		m := setPlanMocks(ts.Server)
		var got dispatch.RouteFilter
		m.FindRoutesFn = func(ctx context.Context, f dispatch.RouteFilter) ([]*dispatch.Route, error) {
			got = f
			return nil, nil
		}
		w := ts.do(t, call{Method: "GET", Path: "/api/routes?day=2026-12-01&status=draft", Role: lead9})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d", w.Code)
		}
		if got.TeamID == nil || *got.TeamID != 9 {
			t.Fatalf("TeamID=%v, want the lead's team", got.TeamID)
		}
		for _, s := range got.Statuses {
			if s == dispatch.RouteDraft {
				t.Fatal("team lead may list drafts")
			}
		}
		// Route 3 belongs to team 1: not visible to team 9's lead.
		if w := ts.do(t, call{Method: "GET", Path: "/api/routes/3", Role: lead9}); w.Code != http.StatusNotFound {
			t.Fatalf("other team's route Code=%d, want 404", w.Code)
		}
	})
}
