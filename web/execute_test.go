package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

var (
	_ dispatch.ExecuteStore  = (*fieldMock)(nil)
	_ dispatch.CampaignStore = (*fieldMock)(nil)
	_ dispatch.AlertStore    = (*fieldMock)(nil)
)

// fieldMock is a function-field mock of the execute, campaign and alert
// stores. setFieldMocks gives every field a successful default.
type fieldMock struct {
	StartRouteFn         func(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.StartInput) (*dispatch.RouteStart, error)
	FinishRouteFn        func(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.FinishInput) (*dispatch.RouteFinish, error)
	UpdateStopFn         func(ctx context.Context, actor *dispatch.User, stopID int64, in dispatch.StopUpdateInput) (*dispatch.StopUpdate, error)
	UpdateTeamPositionFn func(ctx context.Context, actor *dispatch.User, teamID int64, in dispatch.PositionInput, travel dispatch.Travel) (*dispatch.PositionUpdate, error)
	FindTeamRouteFn      func(ctx context.Context, actor *dispatch.User, teamID int64, day string) (*dispatch.TeamRoute, error)
	CreateCampaignFn     func(ctx context.Context, actor *dispatch.User, in dispatch.CampaignInput) (*dispatch.Campaign, bool, error)
	RunCampaignFn        func(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error)
	FindCampaignByIDFn   func(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error)
	CreateDueVisitsFn    func(ctx context.Context, actor *dispatch.User, day time.Time) (int, error)
	SetVisitRuleFn       func(ctx context.Context, actor *dispatch.User, careAddressID int64, in dispatch.VisitRuleInput) error
	FindAlertsFn         func(ctx context.Context, actor *dispatch.User, f dispatch.AlertFilter) ([]*dispatch.Alert, error)
	HandleAlertFn        func(ctx context.Context, actor *dispatch.User, id int64, in dispatch.HandleAlertInput) (*dispatch.Alert, error)
}

func (m *fieldMock) StartRoute(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.StartInput) (*dispatch.RouteStart, error) {
	return m.StartRouteFn(ctx, actor, routeID, in)
}
func (m *fieldMock) FinishRoute(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.FinishInput) (*dispatch.RouteFinish, error) {
	return m.FinishRouteFn(ctx, actor, routeID, in)
}
func (m *fieldMock) UpdateStop(ctx context.Context, actor *dispatch.User, stopID int64, in dispatch.StopUpdateInput) (*dispatch.StopUpdate, error) {
	return m.UpdateStopFn(ctx, actor, stopID, in)
}
func (m *fieldMock) UpdateTeamPosition(ctx context.Context, actor *dispatch.User, teamID int64, in dispatch.PositionInput, travel dispatch.Travel) (*dispatch.PositionUpdate, error) {
	return m.UpdateTeamPositionFn(ctx, actor, teamID, in, travel)
}
func (m *fieldMock) FindTeamRoute(ctx context.Context, actor *dispatch.User, teamID int64, day string) (*dispatch.TeamRoute, error) {
	return m.FindTeamRouteFn(ctx, actor, teamID, day)
}
func (m *fieldMock) CreateCampaign(ctx context.Context, actor *dispatch.User, in dispatch.CampaignInput) (*dispatch.Campaign, bool, error) {
	return m.CreateCampaignFn(ctx, actor, in)
}
func (m *fieldMock) RunCampaign(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error) {
	return m.RunCampaignFn(ctx, actor, id)
}
func (m *fieldMock) FindCampaignByID(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error) {
	return m.FindCampaignByIDFn(ctx, actor, id)
}
func (m *fieldMock) CreateDueVisits(ctx context.Context, actor *dispatch.User, day time.Time) (int, error) {
	return m.CreateDueVisitsFn(ctx, actor, day)
}
func (m *fieldMock) SetVisitRule(ctx context.Context, actor *dispatch.User, careAddressID int64, in dispatch.VisitRuleInput) error {
	return m.SetVisitRuleFn(ctx, actor, careAddressID, in)
}
func (m *fieldMock) FindAlerts(ctx context.Context, actor *dispatch.User, f dispatch.AlertFilter) ([]*dispatch.Alert, error) {
	return m.FindAlertsFn(ctx, actor, f)
}
func (m *fieldMock) HandleAlert(ctx context.Context, actor *dispatch.User, id int64, in dispatch.HandleAlertInput) (*dispatch.Alert, error) {
	return m.HandleAlertFn(ctx, actor, id, in)
}

// setFieldMocks wires a fieldMock whose defaults succeed into s and returns
// it so tests can replace single functions.
func setFieldMocks(s *Server) *fieldMock {
	m := &fieldMock{
		StartRouteFn: func(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.StartInput) (*dispatch.RouteStart, error) {
			return &dispatch.RouteStart{Route: &dispatch.Route{ID: routeID, Status: dispatch.RouteInProgress}, PresentVolunteerIDs: in.PresentVolunteerIDs}, nil
		},
		FinishRouteFn: func(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.FinishInput) (*dispatch.RouteFinish, error) {
			return &dispatch.RouteFinish{Route: &dispatch.Route{ID: routeID, Status: dispatch.RouteFinished}, RemovedStopIDs: []int64{}}, nil
		},
		UpdateStopFn: func(ctx context.Context, actor *dispatch.User, stopID int64, in dispatch.StopUpdateInput) (*dispatch.StopUpdate, error) {
			return &dispatch.StopUpdate{Stop: dispatch.Stop{ID: stopID, Status: in.Status}, RouteStatus: dispatch.RouteInProgress, RequestStatus: dispatch.RequestStatusFor(in.Status)}, nil
		},
		UpdateTeamPositionFn: func(ctx context.Context, actor *dispatch.User, teamID int64, in dispatch.PositionInput, travel dispatch.Travel) (*dispatch.PositionUpdate, error) {
			return &dispatch.PositionUpdate{Stored: true, RouteID: 1, ETAs: []dispatch.StopETA{}}, nil
		},
		FindTeamRouteFn: func(ctx context.Context, actor *dispatch.User, teamID int64, day string) (*dispatch.TeamRoute, error) {
			return &dispatch.TeamRoute{Route: dispatch.Route{ID: 1, TeamID: teamID, Day: "2026-01-12", Status: dispatch.RoutePublished}, Stops: []dispatch.TeamStop{}}, nil
		},
		CreateCampaignFn: func(ctx context.Context, actor *dispatch.User, in dispatch.CampaignInput) (*dispatch.Campaign, bool, error) {
			return &dispatch.Campaign{ID: 4, Kind: in.Kind, Day: in.Day, Created: 3, RequestsCreated: 3}, true, nil
		},
		RunCampaignFn: func(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error) {
			return &dispatch.Campaign{ID: id, Kind: dispatch.CampaignSnowfall, RequestsCreated: 3}, nil
		},
		FindCampaignByIDFn: func(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error) {
			return &dispatch.Campaign{ID: id, Kind: dispatch.CampaignSnowfall}, nil
		},
		CreateDueVisitsFn: func(ctx context.Context, actor *dispatch.User, day time.Time) (int, error) { return 2, nil },
		SetVisitRuleFn: func(ctx context.Context, actor *dispatch.User, careAddressID int64, in dispatch.VisitRuleInput) error {
			return nil
		},
		FindAlertsFn: func(ctx context.Context, actor *dispatch.User, f dispatch.AlertFilter) ([]*dispatch.Alert, error) {
			return []*dispatch.Alert{{ID: 1, Kind: dispatch.AlertNotHome, Status: dispatch.AlertOpen}}, nil
		},
		HandleAlertFn: func(ctx context.Context, actor *dispatch.User, id int64, in dispatch.HandleAlertInput) (*dispatch.Alert, error) {
			return &dispatch.Alert{ID: id, Kind: dispatch.AlertNotHome, Status: dispatch.AlertHandled, HandledNote: in.Note}, nil
		},
	}
	s.Execute, s.Campaigns, s.Alerts = m, m, m
	return m
}

// withLeadOf makes the session token "tok-lead<teamID>" a team lead of that
// team.
func withLeadOf(ts *testServer, teamID int64) {
	find := ts.Auth.FindSessionFn
	ts.Auth.FindSessionFn = func(ctx context.Context, token string) (*dispatch.Session, error) {
		if token == "tok-lead9" {
			u := &dispatch.User{ID: 90, Username: "lead9", Role: dispatch.RoleTeamLead, TeamID: &teamID, Active: true}
			return &dispatch.Session{User: u, CSRFToken: "csrf-lead9", ExpiresAt: time.Now().Add(time.Hour)}, nil
		}
		return find(ctx, token)
	}
}

const lead9 dispatch.Role = "lead9"

func TestStopStatusIdempotent(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setFieldMocks(ts.Server)
	var mu sync.Mutex
	answers := map[string]*dispatch.StopUpdate{}
	applied := 0
	m.UpdateStopFn = func(ctx context.Context, actor *dispatch.User, stopID int64, in dispatch.StopUpdateInput) (*dispatch.StopUpdate, error) {
		if err := in.Normalize(); err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if a, ok := answers[in.IdempotencyKey]; ok {
			return a, nil
		}
		applied++
		a := &dispatch.StopUpdate{Stop: dispatch.Stop{ID: stopID, Status: in.Status, Note: in.Note}, RouteStatus: dispatch.RouteInProgress,
			RequestStatus: dispatch.RequestStatusFor(in.Status)}
		answers[in.IdempotencyKey] = a
		return a, nil
	}
	c := call{Method: "POST", Path: "/api/stops/12/status", Role: dispatch.RoleTeamLead, Body: `{"status":"done","note":" swept "}`,
		Header: map[string]string{IdempotencyHeader: "phone-1"}}
	first := ts.do(t, c)
	second := ts.do(t, c)
	if first.Code != http.StatusOK || second.Code != http.StatusOK {
		t.Fatalf("Code=%d, %d, want 200, 200; body %s", first.Code, second.Code, second.Body)
	}
	if first.Body.String() != second.Body.String() || applied != 1 {
		t.Fatalf("retry body=%s applied=%d, want %s once", second.Body, applied, first.Body)
	}
	var got dispatch.StopUpdate
	if err := json.Unmarshal(first.Body.Bytes(), &got); err != nil || got.Stop.Note != "swept" || got.RequestStatus != dispatch.StatusDone {
		t.Fatalf("answer=%+v err=%v", got, err)
	}

	t.Run("ErrMissingKey", func(t *testing.T) {
		w := ts.do(t, call{Method: "POST", Path: "/api/stops/12/status", Role: dispatch.RoleTeamLead, Body: `{"status":"done"}`})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != IdempotencyHeader {
			t.Fatalf("Code=%d problem=%v, want 422 naming %s", w.Code, p, IdempotencyHeader)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		m.UpdateStopFn = func(ctx context.Context, actor *dispatch.User, stopID int64, in dispatch.StopUpdateInput) (*dispatch.StopUpdate, error) {
			return nil, dispatch.StopConflict(stopID, dispatch.StopDone, in.Status)
		}
		w := ts.do(t, call{Method: "POST", Path: "/api/stops/12/status", Role: dispatch.RoleTeamLead, Body: `{"status":"done"}`,
			Header: map[string]string{IdempotencyHeader: "phone-2"}})
		if p := problemOf(t, w); w.Code != http.StatusConflict || p["detail"] != "Stop 12 is already done." {
			t.Fatalf("Code=%d problem=%v, want 409 \"Stop 12 is already done.\"", w.Code, p)
		}
	})
	t.Run("ErrHotline", func(t *testing.T) {
		w := ts.do(t, call{Method: "POST", Path: "/api/stops/12/status", Role: dispatch.RoleHotline, Body: `{"status":"done"}`,
			Header: map[string]string{IdempotencyHeader: "phone-3"}})
		if w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
	})
}

func TestRouteStartFinish(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setFieldMocks(ts.Server)
	var gotKey string
	var gotRoster []int64
	m.StartRouteFn = func(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.StartInput) (*dispatch.RouteStart, error) {
		gotKey, gotRoster = in.IdempotencyKey, in.PresentVolunteerIDs
		return &dispatch.RouteStart{Route: &dispatch.Route{ID: routeID, Status: dispatch.RouteInProgress}, PresentVolunteerIDs: in.PresentVolunteerIDs}, nil
	}
	w := ts.do(t, call{Method: "POST", Path: "/api/routes/5/start", Role: dispatch.RoleTeamLead, Body: `{"present_volunteer_ids":[3,4]}`,
		Header: map[string]string{IdempotencyHeader: " k-start "}})
	if w.Code != http.StatusOK || gotKey != "k-start" || len(gotRoster) != 2 {
		t.Fatalf("Code=%d key=%q roster=%v; body %s", w.Code, gotKey, gotRoster, w.Body)
	}

	var force bool
	m.FinishRouteFn = func(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.FinishInput) (*dispatch.RouteFinish, error) {
		force = in.Force
		if !in.Force {
			return nil, &dispatch.Error{Code: dispatch.ECONFLICT, Message: "Route 5 still has 2 pending stop(s) (7, 8).", Detail: map[string]any{"pending_stop_ids": []int64{7, 8}}}
		}
		return &dispatch.RouteFinish{Route: &dispatch.Route{ID: routeID, Status: dispatch.RouteFinished}, RemovedStopIDs: []int64{7, 8}}, nil
	}
	w = ts.do(t, call{Method: "POST", Path: "/api/routes/5/finish", Role: dispatch.RoleTeamLead, Header: map[string]string{IdempotencyHeader: "f1"}})
	if p := problemOf(t, w); w.Code != http.StatusConflict || p["pending_stop_ids"] == nil {
		t.Fatalf("Code=%d problem=%v, want 409 with pending_stop_ids", w.Code, p)
	}
	w = ts.do(t, call{Method: "POST", Path: "/api/routes/5/finish", Role: dispatch.RoleTeamLead, Body: `{"force":true}`, Header: map[string]string{IdempotencyHeader: "f2"}})
	if w.Code != http.StatusOK || !force {
		t.Fatalf("Code=%d force=%v; body %s", w.Code, force, w.Body)
	}
}

func TestTeamEndpoints(t *testing.T) {
	ts := MustServer(t, Config{})
	withLeadOf(ts, 9)
	m := setFieldMocks(ts.Server)
	called := 0
	m.UpdateTeamPositionFn = func(ctx context.Context, actor *dispatch.User, teamID int64, in dispatch.PositionInput, travel dispatch.Travel) (*dispatch.PositionUpdate, error) {
		called++
		if travel == nil {
			t.Error("travel is nil")
		}
		return &dispatch.PositionUpdate{Stored: true, RouteID: 1, ETAs: []dispatch.StopETA{}}, nil
	}
	body := `{"lat":51.1282,"lon":71.4304,"accuracy_m":8}`

	t.Run("OwnTeam", func(t *testing.T) {
		if w := ts.do(t, call{Method: "POST", Path: "/api/teams/9/position", Role: lead9, Body: body}); w.Code != http.StatusOK || called != 1 {
			t.Fatalf("Code=%d called=%d; body %s", w.Code, called, w.Body)
		}
		if w := ts.do(t, call{Method: "GET", Path: "/api/teams/9/route?day=2026-01-12", Role: lead9}); w.Code != http.StatusOK {
			t.Fatalf("Code=%d; body %s", w.Code, w.Body)
		}
	})
	t.Run("ErrOtherTeam", func(t *testing.T) {
		if w := ts.do(t, call{Method: "POST", Path: "/api/teams/3/position", Role: lead9, Body: body}); w.Code != http.StatusForbidden || called != 1 {
			t.Fatalf("Code=%d called=%d, want 403 and no store call", w.Code, called)
		}
		if w := ts.do(t, call{Method: "GET", Path: "/api/teams/3/route", Role: lead9}); w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
	})
	t.Run("ErrOutsideArea", func(t *testing.T) {
		w := ts.do(t, call{Method: "POST", Path: "/api/teams/9/position", Role: lead9, Body: `{"lat":43.2,"lon":76.9}`})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "lat" || called != 1 {
			t.Fatalf("Code=%d problem=%v called=%d, want 422 on lat", w.Code, p, called)
		}
	})
	t.Run("ErrBadDay", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/api/teams/9/route?day=tomorrow", Role: lead9})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "day" {
			t.Fatalf("Code=%d problem=%v, want 422 on day", w.Code, p)
		}
	})
}

func TestAlertEndpoints(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setFieldMocks(ts.Server)
	var status dispatch.AlertStatus
	m.FindAlertsFn = func(ctx context.Context, actor *dispatch.User, f dispatch.AlertFilter) ([]*dispatch.Alert, error) {
		status = f.Status
		return []*dispatch.Alert{}, nil
	}
	if w := ts.do(t, call{Method: "GET", Path: "/api/alerts?status=open", Role: dispatch.RoleDispatcher}); w.Code != http.StatusOK || status != dispatch.AlertOpen || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Fatalf("Code=%d status=%q body %s", w.Code, status, w.Body)
	}
	if w := ts.do(t, call{Method: "GET", Path: "/api/alerts?status=closed", Role: dispatch.RoleDispatcher}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("Code=%d, want 422", w.Code)
	}
	w := ts.do(t, call{Method: "POST", Path: "/api/alerts/3/handle", Role: dispatch.RoleDispatcher, Body: `{"note":"  "}`})
	if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "note" {
		t.Fatalf("Code=%d problem=%v, want 422 on note", w.Code, p)
	}
	if w := ts.do(t, call{Method: "POST", Path: "/api/alerts/3/handle", Role: dispatch.RoleDispatcher, Body: `{"note":"neighbour checked"}`}); w.Code != http.StatusOK {
		t.Fatalf("Code=%d; body %s", w.Code, w.Body)
	}
}

func TestCampaignEndpoints(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setFieldMocks(ts.Server)
	seen := map[string]bool{}
	m.CreateCampaignFn = func(ctx context.Context, actor *dispatch.User, in dispatch.CampaignInput) (*dispatch.Campaign, bool, error) {
		if err := in.Normalize(time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)); err != nil {
			return nil, false, err
		}
		if in.Kind == dispatch.CampaignFood && in.PackagesPerAddress > 8 {
			return nil, false, dispatch.Invalid("packages_per_address", "No active team can carry %d packages.", in.PackagesPerAddress)
		}
		created := !seen[in.IdempotencyKey]
		seen[in.IdempotencyKey] = true
		return &dispatch.Campaign{ID: 4, Kind: in.Kind, Day: in.Day, Title: in.Title}, created, nil
	}
	snow := `{"kind":"snowfall","day":"2026-01-12","snowfall_cm":12,"district_ids":[]}`
	c := call{Method: "POST", Path: "/api/campaigns", Role: dispatch.RoleDispatcher, Body: snow, Header: map[string]string{IdempotencyHeader: "c1"}}
	w := ts.do(t, c)
	if w.Code != http.StatusCreated || w.Header().Get("Location") != "/api/campaigns/4" {
		t.Fatalf("Code=%d Location=%q; body %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if w := ts.do(t, c); w.Code != http.StatusOK {
		t.Fatalf("retry Code=%d, want 200", w.Code)
	}
	for _, tc := range []struct{ name, body, field string }{
		{"FoodOverCapacity", `{"kind":"food","day":"2026-01-12","packages_per_address":20}`, "packages_per_address"},
		{"FoodZero", `{"kind":"food","day":"2026-01-12","packages_per_address":0}`, "packages_per_address"},
		{"NoSnowfall", `{"kind":"snowfall","day":"2026-01-12"}`, "snowfall_cm"},
		{"BadKind", `{"kind":"rain","day":"2026-01-12"}`, "kind"},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			w := ts.do(t, call{Method: "POST", Path: "/api/campaigns", Role: dispatch.RoleDispatcher, Body: tc.body})
			if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != tc.field {
				t.Fatalf("Code=%d problem=%v, want 422 on %s", w.Code, p, tc.field)
			}
		})
	}
	if w := ts.do(t, call{Method: "POST", Path: "/api/campaigns", Role: dispatch.RoleHotline, Body: snow}); w.Code != http.StatusForbidden {
		t.Fatalf("hotline Code=%d, want 403", w.Code)
	}

	t.Run("Recurring", func(t *testing.T) {
		var got time.Time
		m.CreateDueVisitsFn = func(ctx context.Context, actor *dispatch.User, day time.Time) (int, error) {
			got = day
			return 2, nil
		}
		w := ts.do(t, call{Method: "POST", Path: "/api/recurring/run", Role: dispatch.RoleDispatcher, Body: `{"day":"2026-01-12"}`})
		if w.Code != http.StatusOK || got.Format(time.DateOnly) != "2026-01-12" || !strings.Contains(w.Body.String(), `"created":2`) {
			t.Fatalf("Code=%d day=%v body %s", w.Code, got, w.Body)
		}
		w = ts.do(t, call{Method: "POST", Path: "/api/recurring/run", Role: dispatch.RoleDispatcher, Body: `{"day":"12/01/2026"}`})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "day" {
			t.Fatalf("Code=%d problem=%v, want 422 on day", w.Code, p)
		}
	})

	t.Run("VisitRule", func(t *testing.T) {
		calls := 0
		m.SetVisitRuleFn = func(ctx context.Context, actor *dispatch.User, id int64, in dispatch.VisitRuleInput) error {
			calls++
			return nil
		}
		w := ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/8/visit-rule", Role: dispatch.RoleDispatcher, Body: `{"rule":"monthly","day":31}`})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "day" || calls != 0 {
			t.Fatalf("Code=%d problem=%v calls=%d, want 422 on day, no store call", w.Code, p, calls)
		}
		w = ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/8/visit-rule", Role: dispatch.RoleDispatcher, Body: `{"rule":"weekly","day":3}`})
		if w.Code != http.StatusOK || calls != 1 {
			t.Fatalf("Code=%d calls=%d; body %s", w.Code, calls, w.Body)
		}
	})
}
