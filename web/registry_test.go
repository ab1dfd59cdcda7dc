package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// registryMock implements dispatch.RegistryStore and dispatch.UserAdmin
// with function fields; setRegistryMocks gives each a default that checks
// the same permissions as the real store and succeeds.
type registryMock struct {
	FindCareAddressesFn func(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.CareAddress, int, error)
	SaveCareAddressFn   func(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error
	SaveTeamFn          func(ctx context.Context, actor *dispatch.User, t *dispatch.Team) error
	SaveUserFn          func(ctx context.Context, actor *dispatch.User, u *dispatch.User, password string) error
}

func (m *registryMock) FindOrganisations(ctx context.Context, p dispatch.Page) ([]*dispatch.Organisation, int, error) {
	return []*dispatch.Organisation{{ID: 1, Name: "HQ", Kind: "headquarters"}}, 1, nil
}
func (m *registryMock) SaveOrganisation(ctx context.Context, actor *dispatch.User, o *dispatch.Organisation) error {
	if err := dispatch.Require(actor, dispatch.ActManageOrgs); err != nil {
		return err
	}
	return o.Validate()
}
func (m *registryMock) FindVolunteers(ctx context.Context, p dispatch.Page) ([]*dispatch.Volunteer, int, error) {
	return []*dispatch.Volunteer{{ID: 1, FullName: "Aruzhan", BirthYear: 2012, OrganisationID: 1, Active: true}}, 1, nil
}
func (m *registryMock) SaveVolunteer(ctx context.Context, actor *dispatch.User, v *dispatch.Volunteer) error {
	if err := dispatch.RequireRegistryPeople(actor); err != nil {
		return err
	}
	return dispatch.RequireOrgPeople(actor, v.OrganisationID)
}
func (m *registryMock) FindTeamsPage(ctx context.Context, p dispatch.Page) ([]*dispatch.Team, int, error) {
	return []*dispatch.Team{{ID: 5, Name: "North", OrganisationID: testOrg, Base: testPoint}}, 1, nil
}
func (m *registryMock) FindTeamByID(ctx context.Context, id int64) (*dispatch.Team, error) {
	return &dispatch.Team{ID: id, Name: "North", OrganisationID: testOrg, Base: testPoint}, nil
}
func (m *registryMock) SaveTeam(ctx context.Context, actor *dispatch.User, t *dispatch.Team) error {
	return m.SaveTeamFn(ctx, actor, t)
}
func (m *registryMock) FindCareAddresses(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.CareAddress, int, error) {
	return m.FindCareAddressesFn(ctx, actor, p)
}
func (m *registryMock) FindCareAddressByID(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.CareAddress, error) {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return nil, err
	}
	return &dispatch.CareAddress{ID: id, FullName: "Ivanova Maria", AddressText: "Kenesary 40", Location: testPoint, Active: true}, nil
}
func (m *registryMock) SaveCareAddress(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error {
	return m.SaveCareAddressFn(ctx, actor, c)
}
func (m *registryMock) FindUsers(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.User, int, error) {
	if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
		return nil, 0, err
	}
	return []*dispatch.User{testUsers[dispatch.RoleHotline]}, 1, nil
}
func (m *registryMock) SaveUser(ctx context.Context, actor *dispatch.User, u *dispatch.User, password string) error {
	return m.SaveUserFn(ctx, actor, u, password)
}

func setRegistryMocks(s *Server) *registryMock {
	m := &registryMock{}
	m.FindCareAddressesFn = func(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.CareAddress, int, error) {
		if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
			return nil, 0, err
		}
		return []*dispatch.CareAddress{{ID: 1, FullName: "Ivanova Maria", AddressText: "Kenesary 40", Location: testPoint, Active: true}}, 120, nil
	}
	m.SaveCareAddressFn = func(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error {
		if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
			return err
		}
		if err := c.Validate(dispatch.AstanaArea); err != nil {
			return err
		}
		if c.ID == 0 {
			c.ID = 9
		}
		return nil
	}
	m.SaveTeamFn = func(ctx context.Context, actor *dispatch.User, t *dispatch.Team) error {
		if err := dispatch.RequireRegistryPeople(actor); err != nil {
			return err
		}
		if err := dispatch.RequireOrgPeople(actor, t.OrganisationID); err != nil {
			return err
		}
		return t.Validate(dispatch.AstanaArea)
	}
	m.SaveUserFn = func(ctx context.Context, actor *dispatch.User, u *dispatch.User, password string) error {
		if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
			return err
		}
		return u.Validate()
	}
	s.Registry, s.Users = m, m
	setReportMocks(s)
	return m
}

var admins = []dispatch.Role{dispatch.RoleAdmin}

// peopleManagers manage teams and volunteers: admins for all
// organisations, the coordinator for testOrg (the mocks' organisation).
var peopleManagers = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleCoordinator}

const validCareBody = `{"full_name":"Ivanova Maria","address":"Kenesary 40","lat":51.1282,"lon":71.4304,"needs":["snow"],"consent":true}`
const validTeamBody = `{"name":"North","organisation_id":1,"lat":51.1282,"lon":71.4304,"member_ids":[1]}`

func init() {
	for k, v := range map[string]routeExpect{
		"GET /registry":                {Roles: append([]dispatch.Role{dispatch.RoleCoordinator}, careEditors...), Page: true},
		"GET /api/care-addresses":      {Path: "/api/care-addresses?q=ivan&limit=10", Roles: careEditors},
		"POST /api/care-addresses":     {Roles: careEditors, Body: validCareBody},
		"GET /api/care-addresses/{id}": {Path: "/api/care-addresses/5", Roles: careEditors},
		"PUT /api/care-addresses/{id}": {Path: "/api/care-addresses/5", Roles: careEditors, Body: validCareBody},
		"GET /api/teams":               {Roles: peopleManagers},
		"POST /api/teams":              {Roles: peopleManagers, Body: validTeamBody},
		"GET /api/teams/{id}":          {Path: "/api/teams/5", Roles: peopleManagers},
		"PUT /api/teams/{id}":          {Path: "/api/teams/5", Roles: peopleManagers, Body: validTeamBody},
		"GET /api/volunteers":          {Roles: peopleManagers},
		"POST /api/volunteers":         {Roles: peopleManagers, Body: `{"full_name":"Aruzhan","birth_year":2000,"organisation_id":1}`},
		"PUT /api/volunteers/{id}":     {Path: "/api/volunteers/3", Roles: peopleManagers, Body: `{"full_name":"Aruzhan","birth_year":2000,"organisation_id":1}`},
		"GET /api/organisations":       {Roles: peopleManagers},
		"POST /api/organisations":      {Roles: admins, Body: `{"name":"Jas Otan","kind":"volunteer_org"}`},
		"PUT /api/organisations/{id}":  {Path: "/api/organisations/3", Roles: admins, Body: `{"name":"Jas Otan","kind":"volunteer_org"}`},
		"GET /api/users":               {Roles: admins},
		"POST /api/users":              {Roles: admins, Body: `{"username":"op2","role":"hotline","password":"long-enough"}`},
		"PUT /api/users/{id}":          {Path: "/api/users/3", Roles: admins, Body: `{"role":"hotline","active":false}`},
		"GET /reports":                 {Roles: append([]dispatch.Role{dispatch.RoleCoordinator}, reportViewers...), Page: true},
		"GET /api/reports/{name}":      {Path: "/api/reports/requests?from=2026-01-01&to=2026-01-31", Roles: reportViewers},
	} {
		routeTable[k] = v
	}
}

func TestRegistryAPI(t *testing.T) {
	t.Run("ListTotalAndLatLon", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/care-addresses?q=ivan&offset=0&limit=10", Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusOK || w.Header().Get("X-Total-Count") != "120" {
			t.Fatalf("Code=%d X-Total-Count=%q, want 200 and 120; body %s", w.Code, w.Header().Get("X-Total-Count"), w.Body)
		}
		var got []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got) != 1 {
			t.Fatalf("body=%s, want one care address", w.Body)
		}
		if got[0]["lat"] != testPoint.Lat() || got[0]["full_name"] != "Ivanova Maria" {
			t.Errorf("care=%v, want lat %v and the name", got[0], testPoint.Lat())
		}
	})
	t.Run("BadLimit", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/care-addresses?limit=100000", Role: dispatch.RoleDispatcher})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "limit" {
			t.Fatalf("Code=%d field=%v, want 422 limit", w.Code, p["field"])
		}
	})
	t.Run("CreateCare201", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/care-addresses", Role: dispatch.RoleDispatcher, Body: validCareBody})
		if w.Code != http.StatusCreated || w.Header().Get("Location") != "/api/care-addresses/9" {
			t.Fatalf("Code=%d Location=%q, want 201 /api/care-addresses/9; body %s", w.Code, w.Header().Get("Location"), w.Body)
		}
	})
	for _, tc := range []struct{ name, body, field string }{
		{"NoPin", `{"full_name":"A","address":"B"}`, "lat"},
		{"PinOutsideAstana", `{"full_name":"A","address":"B","lat":43.2,"lon":76.9}`, "lat"},
		{"NoName", `{"full_name":" ","address":"B","lat":51.1282,"lon":71.4304}`, "full_name"},
		{"BadNeed", `{"full_name":"A","address":"B","lat":51.1282,"lon":71.4304,"needs":["cash"]}`, "needs"},
		{"BadLanguage", `{"full_name":"A","address":"B","lat":51.1282,"lon":71.4304,"preferred_language":"de"}`, "preferred_language"},
	} {
		t.Run("Care422/"+tc.name, func(t *testing.T) {
			ts := MustServer(t, Config{})
			w := ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/5", Role: dispatch.RoleAdmin, Body: tc.body})
			if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != tc.field {
				t.Fatalf("Code=%d field=%v, want 422 %s; body %s", w.Code, p["field"], tc.field, w.Body)
			}
		})
	}
	t.Run("CareMalformed400", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/care-addresses", Role: dispatch.RoleDispatcher, Body: `{"lat":"north"}`})
		if p := problemOf(t, w); w.Code != http.StatusBadRequest || p["field"] != "lat" {
			t.Fatalf("Code=%d field=%v, want 400 lat", w.Code, p["field"])
		}
	})
	t.Run("TeamBaseRequired", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/teams", Role: dispatch.RoleAdmin, Body: `{"name":"North","organisation_id":1}`})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "base" {
			t.Fatalf("Code=%d field=%v, want 422 base", w.Code, p["field"])
		}
	})
	t.Run("VolunteerMinorBadge", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/volunteers", Role: dispatch.RoleAdmin})
		if !strings.Contains(w.Body.String(), `"minor":true`) {
			t.Fatalf("body=%s, want minor true for a 2012-born volunteer", w.Body)
		}
	})
	t.Run("TeamLeadNeedsTeam", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/users", Role: dispatch.RoleAdmin, Body: `{"username":"lead9","role":"team_lead","password":"long-enough"}`})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "team_id" {
			t.Fatalf("Code=%d field=%v, want 422 team_id", w.Code, p["field"])
		}
	})
	t.Run("UserResponseHasNoPassword", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/users", Role: dispatch.RoleAdmin, Body: `{"username":"Op2","role":"hotline","password":"long-enough"}`})
		if w.Code != http.StatusCreated || strings.Contains(w.Body.String(), "long-enough") || !strings.Contains(w.Body.String(), `"username":"op2"`) {
			t.Fatalf("Code=%d body=%s, want 201 with the lower-cased username and no password", w.Code, w.Body)
		}
	})
	t.Run("PageShowsTabsByRole", func(t *testing.T) {
		ts := MustServer(t, Config{})
		disp := ts.do(t, call{Method: "GET", Path: "/registry", Role: dispatch.RoleDispatcher}).Body.String()
		if !strings.Contains(disp, `id="panel-care"`) || strings.Contains(disp, `id="panel-users"`) {
			t.Errorf("dispatcher page: want the care tab only")
		}
		adm := ts.do(t, call{Method: "GET", Path: "/registry", Role: dispatch.RoleAdmin}).Body.String()
		for _, tab := range []string{"care", "teams", "volunteers", "organisations", "users"} {
			if !strings.Contains(adm, `id="panel-`+tab+`"`) {
				t.Errorf("admin page lacks the %s tab", tab)
			}
		}
	})
	t.Run("NoStoreIs503", func(t *testing.T) {
		ts := MustServer(t, Config{})
		ts.Registry = nil
		w := ts.do(t, call{Method: "GET", Path: "/api/care-addresses", Role: dispatch.RoleDispatcher})
		if problemOf(t, w); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("Code=%d, want 503", w.Code)
		}
	})
}
