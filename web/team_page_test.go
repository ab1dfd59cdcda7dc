package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

func init() {
	for k, v := range map[string]routeExpect{
		// The table's team lead has no team: the page still renders (with
		// a "no team" notice); the roster is team-scoped, so only
		// dispatchers pass it here (TestTeamMembers covers a lead's own
		// team).
		"GET /team":                   {Roles: fieldWorkers, Page: true},
		"GET /api/teams/{id}/members": {Path: "/api/teams/5/members", Roles: dispatchers},
		"GET /api/map-config":         {Roles: everyone},
	} {
		routeTable[k] = v
	}
}

// testVolunteers are the volunteers the fieldMock's directory knows; team 5
// has 11 (lead), 12 and 13, team 6 has 14.
var testVolunteers = []*dispatch.Volunteer{
	{ID: 11, FullName: "Aigerim S.", Active: true},
	{ID: 12, FullName: "Bolat K.", Active: true},
	{ID: 13, FullName: "Dana N.", Active: false},
	{ID: 14, FullName: "Erlan T.", Active: true},
}

// FindTeamByID and FindVolunteers make the fieldMock a teamDirectory, as
// the PostgreSQL store is.
func (m *fieldMock) FindTeamByID(ctx context.Context, id int64) (*dispatch.Team, error) {
	switch id {
	case 5:
		lead := int64(11)
		return &dispatch.Team{ID: 5, Name: "05 Arlan", LeadVolunteerID: &lead, MemberIDs: []int64{11, 12, 13}}, nil
	case 6:
		return &dispatch.Team{ID: 6, Name: "06 Qyran", MemberIDs: []int64{14}}, nil
	}
	return nil, dispatch.Errorf(dispatch.ENOTFOUND, "Team %d not found.", id)
}

func (m *fieldMock) FindVolunteers(ctx context.Context, p dispatch.Page) ([]*dispatch.Volunteer, int, error) {
	// Pages of two, to exercise membersOf's paging.
	lim := min(p.Limit, 2)
	if p.Offset >= len(testVolunteers) {
		return nil, len(testVolunteers), nil
	}
	end := min(p.Offset+lim, len(testVolunteers))
	return testVolunteers[p.Offset:end], len(testVolunteers), nil
}

func TestTeamPage(t *testing.T) {
	t.Run("LeadSeesOwnTeam", func(t *testing.T) {
		ts := MustServer(t, Config{})
		withLeadOf(ts, 9)
		w := ts.do(t, call{Method: "GET", Path: "/team", Role: lead9})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d, want 200; body %s", w.Code, w.Body)
		}
		body := w.Body.String()
		for _, want := range []string{`data-team-id="9"`, `data-share-position="true"`, `id="offline-banner"`, `id="unsent-count"`, `/static/team.js?v=`, `/static/vendor/leaflet/leaflet.js?v=`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(body, `id="pick-team"`) {
			t.Error("a team lead is offered the team picker")
		}
	})
	t.Run("LeadOfAnotherTeam", func(t *testing.T) {
		ts := MustServer(t, Config{})
		withLeadOf(ts, 9)
		if w := ts.do(t, call{Method: "GET", Path: "/team?team=3", Role: lead9}); w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
	})
	t.Run("LeadWithoutTeam", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/team", Role: dispatch.RoleTeamLead})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "team.no_team") {
			t.Fatalf("Code=%d, want 200 with the no-team notice; body %s", w.Code, w.Body)
		}
	})
	t.Run("DispatcherPicks", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/team?team=4", Role: dispatch.RoleDispatcher})
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, `data-team-id="4"`) || !strings.Contains(body, `id="pick-team"`) {
			t.Fatalf("Code=%d, want 200 for team 4 with the picker; body %s", w.Code, body)
		}
		if !strings.Contains(body, `data-share-position="false"`) {
			t.Error("a dispatcher's browser would share its position as the team's")
		}
		if w := ts.do(t, call{Method: "GET", Path: "/team?team=abc", Role: dispatch.RoleDispatcher}); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("team=abc Code=%d, want 422", w.Code)
		}
	})
	t.Run("AnonymousRedirected", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/team"})
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Fatalf("Code=%d Location=%q, want 303 to /login", w.Code, loc)
		}
	})
	t.Run("HotlineForbidden", func(t *testing.T) {
		ts := MustServer(t, Config{})
		if w := ts.do(t, call{Method: "GET", Path: "/team", Role: dispatch.RoleHotline}); w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
	})
	t.Run("InMenuForLeadsOnly", func(t *testing.T) {
		ts := MustServer(t, Config{})
		withLeadOf(ts, 9)
		if w := ts.do(t, call{Method: "GET", Path: "/", Role: lead9}); !strings.Contains(w.Body.String(), `href="/team"`) {
			t.Error("the home page of a team lead does not link /team")
		}
		if w := ts.do(t, call{Method: "GET", Path: "/", Role: dispatch.RoleHotline}); strings.Contains(w.Body.String(), `href="/team"`) {
			t.Error("the home page of a hotline operator links /team")
		}
	})
}

func TestTeamMembers(t *testing.T) {
	get := func(t *testing.T, ts *testServer, role dispatch.Role, path string) (int, teamMembers) {
		t.Helper()
		// Without Services.Registry the roster comes from the fieldMock's
		// directory below.
		ts.Registry = nil
		w := ts.do(t, call{Method: "GET", Path: path, Role: role})
		var out teamMembers
		if w.Code == http.StatusOK {
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, w.Body)
			}
			if strings.Contains(w.Body.String(), "phone") || strings.Contains(w.Body.String(), "birth") {
				t.Errorf("the roster leaks personal data: %s", w.Body)
			}
		} else {
			problemOf(t, w)
		}
		return w.Code, out
	}
	t.Run("OwnTeam", func(t *testing.T) {
		ts := MustServer(t, Config{})
		withLeadOf(ts, 5)
		code, out := get(t, ts, lead9, "/api/teams/5/members")
		if code != http.StatusOK {
			t.Fatalf("Code=%d, want 200", code)
		}
		if out.TeamID != 5 || out.TeamName != "05 Arlan" || len(out.Members) != 3 {
			t.Fatalf("got %+v, want team 5 with 3 members", out)
		}
		if !out.Members[0].Lead || out.Members[1].Lead || out.Members[2].Active {
			t.Errorf("lead/active flags wrong: %+v", out.Members)
		}
	})
	t.Run("OtherTeamForbidden", func(t *testing.T) {
		ts := MustServer(t, Config{})
		withLeadOf(ts, 6)
		if code, _ := get(t, ts, lead9, "/api/teams/5/members"); code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", code)
		}
	})
	t.Run("UnknownTeam", func(t *testing.T) {
		ts := MustServer(t, Config{})
		if code, _ := get(t, ts, dispatch.RoleDispatcher, "/api/teams/77/members"); code != http.StatusNotFound {
			t.Fatalf("Code=%d, want 404", code)
		}
		if code, _ := get(t, ts, dispatch.RoleDispatcher, "/api/teams/x/members"); code != http.StatusNotFound {
			t.Fatalf("bad id Code=%d, want 404", code)
		}
	})
	t.Run("NoDirectory", func(t *testing.T) {
		ts := MustServer(t, Config{})
		ts.Execute = struct{ dispatch.ExecuteStore }{ts.Execute}
		if code, _ := get(t, ts, dispatch.RoleDispatcher, "/api/teams/5/members"); code != http.StatusServiceUnavailable {
			t.Fatalf("Code=%d, want 503", code)
		}
	})
}

func TestMapConfig(t *testing.T) {
	ts := MustServer(t, Config{TileURL: "https://tiles.example.kz/{z}/{x}/{y}.png"})
	w := ts.do(t, call{Method: "GET", Path: "/api/map-config", Role: dispatch.RoleHotline})
	var out mapConfig
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK {
		t.Fatalf("Code=%d err=%v; body %s", w.Code, err, w.Body)
	}
	if out.TileURL != "https://tiles.example.kz/{z}/{x}/{y}.png" || out.Zoom == 0 {
		t.Errorf("got %+v", out)
	}
}
