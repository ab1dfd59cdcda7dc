package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/mock"
)

// anonymous is the pseudo-role of a request without a session.
const anonymous dispatch.Role = ""

// allRoles are the roles every route is tried with, anonymous last.
var allRoles = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher, dispatch.RoleHotline, dispatch.RoleTeamLead, dispatch.RoleCoordinator, anonymous}

// testOrg is the organisation the test coordinator coordinates; the mocks'
// teams and volunteers belong to it unless a test says otherwise.
var testOrg = int64(1)

// testUsers has one active user per role; the session token is "tok-"+role
// and the CSRF token "csrf-"+role.
var testUsers = map[dispatch.Role]*dispatch.User{
	dispatch.RoleAdmin:      {ID: 1, Username: "admin", FullName: "Admin", Role: dispatch.RoleAdmin, Active: true},
	dispatch.RoleDispatcher: {ID: 2, Username: "disp", FullName: "Dispatcher", Role: dispatch.RoleDispatcher, Active: true},
	dispatch.RoleHotline:    {ID: 3, Username: "hot", FullName: "Hotline Operator", Role: dispatch.RoleHotline, Active: true},
	dispatch.RoleTeamLead:   {ID: 4, Username: "lead", FullName: "Team Lead", Role: dispatch.RoleTeamLead, Active: true},
	dispatch.RoleCoordinator: {ID: 5, Username: "coord", FullName: "Coordinator", Role: dispatch.RoleCoordinator,
		OrganisationID: &testOrg, Active: true},
}

// testPoint is in the middle of Astana.
var testPoint = orb.Point{71.4304, 51.1282}

// testServer is a Server over mocks whose defaults answer every call
// successfully; tests replace the function fields they care about.
type testServer struct {
	*Server
	Auth     *mock.AuthStore
	Requests *mock.RequestStore
	Care     *mock.CareStore
	Geocoder *mock.Geocoder
	Logs     *bytes.Buffer
}

func sampleRequest(id int64) *dispatch.Request {
	now := time.Date(2025, 1, 20, 9, 0, 0, 0, time.UTC)
	return &dispatch.Request{ID: id, Kind: dispatch.SnowClearing, AddressText: "Kenesary 40", Location: testPoint,
		Source: dispatch.SourceHotline, Priority: dispatch.Normal, ServiceMinutes: 30, Status: dispatch.StatusNew,
		CreatedAt: now, UpdatedAt: now}
}

// MustServer builds a testServer; cfg may be changed by the caller before.
func MustServer(tb testing.TB, cfg Config) *testServer {
	tb.Helper()
	ts := &testServer{
		Logs: &bytes.Buffer{},
		Auth: &mock.AuthStore{
			AuthenticateFn: func(ctx context.Context, username, password string) (*dispatch.User, error) {
				for _, u := range testUsers {
					if u.Username == username && password == "secret" {
						return u, nil
					}
				}
				return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong username or password.")
			},
			CreateSessionFn: func(ctx context.Context, userID int64, ttl time.Duration) (string, *dispatch.Session, error) {
				for role, u := range testUsers {
					if u.ID == userID {
						return "tok-" + string(role), &dispatch.Session{User: u, CSRFToken: "csrf-" + string(role), ExpiresAt: time.Now().Add(ttl)}, nil
					}
				}
				return "", nil, errors.New("no such user")
			},
			FindSessionFn: func(ctx context.Context, token string) (*dispatch.Session, error) {
				role := dispatch.Role(strings.TrimPrefix(token, "tok-"))
				if u := testUsers[role]; u != nil && strings.HasPrefix(token, "tok-") {
					return &dispatch.Session{User: u, CSRFToken: "csrf-" + string(role), ExpiresAt: time.Now().Add(time.Hour)}, nil
				}
				return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Session expired.")
			},
			DeleteSessionFn: func(ctx context.Context, token string) error { return nil },
		},
		Requests: &mock.RequestStore{
			CreateRequestFn: func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
				return sampleRequest(7), true, nil
			},
			FindRequestByIDFn: func(ctx context.Context, id int64) (*dispatch.Request, error) {
				return sampleRequest(id), nil
			},
			FindRequestsFn: func(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error) {
				return []*dispatch.Request{sampleRequest(1), sampleRequest(2)}, 42, nil
			},
			FindDuplicatesFn: func(ctx context.Context, kind dispatch.RequestKind, careAddressID *int64, pt *orb.Point) ([]*dispatch.Request, error) {
				return nil, nil
			},
			SetRequestStatusFn: func(ctx context.Context, actor *dispatch.User, id int64, next dispatch.RequestStatus, expect dispatch.Version) (*dispatch.Request, error) {
				r := sampleRequest(id)
				r.Status = next
				return r, nil
			},
		},
		Care: &mock.CareStore{},
		Geocoder: &mock.Geocoder{
			GeocodeFn: func(ctx context.Context, actor *dispatch.User, q string, limit int) ([]dispatch.Candidate, error) {
				return []dispatch.Candidate{{Kind: "house", ID: 1, Label: "Kenesary 40", Lat: testPoint.Lat(), Lon: testPoint.Lon(), Score: 0.9}}, nil
			},
			ReverseFn: func(ctx context.Context, actor *dispatch.User, pt orb.Point, maxM float64) (*dispatch.Candidate, error) {
				return &dispatch.Candidate{Kind: "house", ID: 1, Label: "Kenesary 40", Lat: pt.Lat(), Lon: pt.Lon()}, nil
			},
		},
	}
	s, err := NewServer(cfg, Services{
		Auth: ts.Auth, Requests: ts.Requests, Care: ts.Care, Geocoder: ts.Geocoder,
		Logger: slog.New(slog.NewTextHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ts.Server = s
	setFieldMocks(s)
	setPlanMocks(s)
	setRegistryMocks(s)
	setMapMocks(s)
	setOpen311Mocks(s)
	setBulkMocks(s)
	s.HQ = hqMock{}
	setHoursMocks(s)
	setSecurityMocks(s)
	return ts
}

// call describes one test request.
type call struct {
	Method, Path string
	Role         dispatch.Role
	Body         string
	ContentType  string            // default application/json when Body is set
	Header       map[string]string // extra headers
	NoCSRF       bool              // leave out the X-CSRF-Token header
}

// do runs c against ts and returns the recorded response. Logged-in unsafe
// requests carry the right CSRF token and a same-origin Origin unless
// NoCSRF.
func (ts *testServer) do(tb testing.TB, c call) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	req := httptest.NewRequest(c.Method, c.Path, body)
	if c.Body != "" {
		ct := c.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.Role != anonymous {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: "tok-" + string(c.Role)})
		if !c.NoCSRF && unsafe(c.Method) {
			req.Header.Set(CSRFHeader, "csrf-"+string(c.Role))
			req.Header.Set("Origin", "http://example.com")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	ts.Handler().ServeHTTP(w, req)
	return w
}

// problemOf decodes a problem JSON response and checks its shape.
func problemOf(tb testing.TB, w *httptest.ResponseRecorder) map[string]any {
	tb.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type=%q, want application/problem+json; body %s", ct, w.Body)
	}
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		tb.Fatalf("problem is not JSON: %v: %s", err, w.Body)
	}
	for _, k := range []string{"type", "title", "status", "code"} {
		if _, ok := p[k]; !ok {
			tb.Errorf("problem lacks %q: %s", k, w.Body)
		}
	}
	if st, _ := p["status"].(float64); int(st) != w.Code {
		tb.Errorf("problem status=%v, want %d", p["status"], w.Code)
	}
	return p
}

// routeExpect says who may use one route and how to call it.
type routeExpect struct {
	// Path is a concrete path for the pattern; Body a valid body.
	Path, Body, ContentType string
	// Public routes work without a session for every role.
	Public bool
	// Page routes redirect anonymous users to /login instead of 401.
	Page bool
	// Roles may use the route; all other logged-in roles get 403.
	Roles []dispatch.Role
	// NeedsHub routes answer 503 without Services.Events, which these
	// mocks lack; only the anonymous 401 is checked here (ws_test.go
	// checks the roles).
	NeedsHub bool
	// Ticket routes are the second login step: open to all, but without a
	// login ticket cookie every caller gets 401.
	Ticket bool
}

var (
	everyone     = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher, dispatch.RoleHotline, dispatch.RoleTeamLead, dispatch.RoleCoordinator}
	creators     = []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleHotline}
	viewers      = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher, dispatch.RoleHotline}
	searchers    = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher, dispatch.RoleHotline}
	fieldWorkers = []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleTeamLead}
	dispatchers  = []dispatch.Role{dispatch.RoleDispatcher}
	careEditors  = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher}
)

const validRequestBody = `{"kind":"snow_clearing","address":"Kenesary 40","lat":51.1282,"lon":71.4304}`

// routeTable must name every route the router registers, keyed by
// "METHOD pattern" as chi.Walk reports it. A new route without an entry
// fails TestRoutePermissions.
var routeTable = map[string]routeExpect{
	"GET /healthz":                   {Public: true},
	"GET /readyz":                    {Public: true},
	"GET /static/*":                  {Path: "/static/style.css", Public: true},
	"POST /api/login":                {Public: true, Body: `{"username":"hot","password":"secret"}`},
	"GET /login":                     {Public: true},
	"POST /login":                    {Public: true, Body: "username=hot&password=secret", ContentType: "application/x-www-form-urlencoded"},
	"GET /api/me":                    {Roles: everyone},
	"POST /api/logout":               {Roles: everyone},
	"POST /logout":                   {Roles: everyone, Page: true},
	"GET /api/requests/":             {Path: "/api/requests", Roles: viewers},
	"POST /api/requests/":            {Path: "/api/requests", Roles: creators, Body: validRequestBody},
	"GET /api/requests/duplicates":   {Path: "/api/requests/duplicates?kind=snow_clearing&lat=51.1282&lon=71.4304", Roles: creators},
	"GET /api/requests/{id}":         {Path: "/api/requests/5", Roles: viewers},
	"POST /api/requests/{id}/status": {Path: "/api/requests/5/status", Roles: []dispatch.Role{dispatch.RoleDispatcher}, Body: `{"status":"cancelled"}`},
	"GET /api/geocode":               {Path: "/api/geocode?q=kenesary", Roles: searchers},
	"GET /api/geocode/reverse":       {Path: "/api/geocode/reverse?lat=51.1282&lon=71.4304", Roles: searchers},
	"GET /":                          {Roles: everyone, Page: true},
	"GET /hotline":                   {Roles: creators, Page: true},
	"GET /requests/{id}":             {Path: "/requests/5", Roles: viewers, Page: true},
	"GET /ws":                        {Roles: everyone, NeedsHub: true},
	// Field work: the test team lead has no team, so only dispatchers pass
	// the team-scoped routes here (execute_test.go covers a lead's own team).
	"POST /api/routes/{id}/start":             {Path: "/api/routes/5/start", Roles: fieldWorkers, Body: `{"present_volunteer_ids":[1]}`},
	"POST /api/routes/{id}/finish":            {Path: "/api/routes/5/finish", Roles: fieldWorkers, Body: `{"force":false}`},
	"POST /api/stops/{id}/status":             {Path: "/api/stops/5/status", Roles: fieldWorkers, Body: `{"status":"done"}`},
	"POST /api/teams/{id}/position":           {Path: "/api/teams/5/position", Roles: dispatchers, Body: `{"lat":51.1282,"lon":71.4304}`},
	"GET /api/teams/{id}/route":               {Path: "/api/teams/5/route", Roles: dispatchers},
	"GET /api/alerts":                         {Path: "/api/alerts?status=open", Roles: dispatchers},
	"POST /api/alerts/{id}/handle":            {Path: "/api/alerts/5/handle", Roles: dispatchers, Body: `{"note":"called the neighbour"}`},
	"POST /api/campaigns":                     {Roles: dispatchers, Body: `{"kind":"snowfall","day":"2026-01-12","snowfall_cm":12}`},
	"GET /api/campaigns/{id}":                 {Path: "/api/campaigns/5", Roles: dispatchers},
	"POST /api/campaigns/{id}/run":            {Path: "/api/campaigns/5/run", Roles: dispatchers},
	"POST /api/recurring/run":                 {Roles: dispatchers, Body: `{"day":"2026-01-12"}`},
	"PUT /api/care-addresses/{id}/visit-rule": {Path: "/api/care-addresses/5/visit-rule", Roles: careEditors, Body: `{"rule":"weekly","day":1}`},
}

// TestRoutePermissions walks every registered route with every role and
// checks allowed vs 401/403 against routeTable.
func TestRoutePermissions(t *testing.T) {
	ts := MustServer(t, Config{})
	seen := map[string]bool{}
	err := chi.Walk(ts.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + route
		seen[key] = true
		exp, ok := routeTable[key]
		if !ok {
			t.Errorf("route %q has no entry in routeTable: add who may use it", key)
			return nil
		}
		path := exp.Path
		if path == "" {
			path = route
		}
		for _, role := range allRoles {
			name := string(role)
			if role == anonymous {
				name = "anonymous"
			}
			t.Run(key+"/"+name, func(t *testing.T) {
				c := call{Method: method, Path: path, Role: role, Body: exp.Body, ContentType: exp.ContentType}
				if exp.NeedsHub {
					c.Header = map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
				}
				w := ts.do(t, c)
				if exp.NeedsHub && role != anonymous {
					if w.Code != http.StatusServiceUnavailable {
						t.Fatalf("Code=%d, want 503 without a hub; body %s", w.Code, w.Body)
					}
					return
				}
				if w.Code >= 500 {
					t.Fatalf("Code=%d, want no 5xx; body %s", w.Code, w.Body)
				}
				switch {
				case exp.Ticket:
					if w.Code != http.StatusUnauthorized {
						t.Fatalf("Code=%d without a login ticket, want 401; body %s", w.Code, w.Body)
					}
				case exp.Public:
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden {
						t.Fatalf("Code=%d on a public route; body %s", w.Code, w.Body)
					}
				case role == anonymous && exp.Page:
					if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
						t.Fatalf("Code=%d Location=%q, want 303 to /login", w.Code, loc)
					}
				case role == anonymous:
					if w.Code != http.StatusUnauthorized {
						t.Fatalf("Code=%d, want 401; body %s", w.Code, w.Body)
					}
					problemOf(t, w)
				case contains(exp.Roles, role):
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 400 {
						t.Fatalf("Code=%d, want success for %s; body %s", w.Code, role, w.Body)
					}
				default:
					if w.Code != http.StatusForbidden {
						t.Fatalf("Code=%d, want 403 for %s; body %s", w.Code, role, w.Body)
					}
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range routeTable {
		if !seen[key] {
			t.Errorf("routeTable has %q but the router does not: remove or fix it", key)
		}
	}
}

func contains(roles []dispatch.Role, r dispatch.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func TestHealth(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ts := MustServer(t, Config{})
		for _, p := range []string{"/healthz", "/readyz"} {
			if w := ts.do(t, call{Method: "GET", Path: p}); w.Code != http.StatusOK {
				t.Errorf("%s Code=%d, want 200", p, w.Code)
			}
		}
	})
	t.Run("NotReady", func(t *testing.T) {
		ts := MustServer(t, Config{})
		ts.Ready = func(ctx context.Context) error { return errors.New("connection refused to secret-host") }
		w := ts.do(t, call{Method: "GET", Path: "/readyz"})
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("Code=%d, want 503", w.Code)
		}
		if strings.Contains(w.Body.String(), "secret-host") {
			t.Errorf("readyz leaks the cause: %s", w.Body)
		}
		problemOf(t, w)
	})
}

func TestRecoverer(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Requests.FindRequestByIDFn = func(ctx context.Context, id int64) (*dispatch.Request, error) {
		panic("boom at the database")
	}
	w := ts.do(t, call{Method: "GET", Path: "/api/requests/1", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("Code=%d, want 500", w.Code)
	}
	p := problemOf(t, w)
	if strings.Contains(w.Body.String(), "boom") {
		t.Errorf("500 leaks the panic: %s", w.Body)
	}
	if p["code"] != dispatch.EINTERNAL {
		t.Errorf("code=%v, want %s", p["code"], dispatch.EINTERNAL)
	}
	if !strings.Contains(ts.Logs.String(), "boom at the database") {
		t.Errorf("the panic is not logged: %s", ts.Logs)
	}
	// The server keeps serving.
	if w := ts.do(t, call{Method: "GET", Path: "/healthz"}); w.Code != http.StatusOK {
		t.Errorf("after panic Code=%d, want 200", w.Code)
	}
}

func TestInternalErrorIsGeneric(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Requests.FindRequestsFn = func(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error) {
		return nil, 0, errors.New("pq: password authentication failed for user qamqor")
	}
	w := ts.do(t, call{Method: "GET", Path: "/api/requests", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("Code=%d, want 500", w.Code)
	}
	problemOf(t, w)
	if strings.Contains(w.Body.String(), "password") {
		t.Errorf("500 leaks details: %s", w.Body)
	}
	if n := strings.Count(ts.Logs.String(), "password authentication failed"); n != 1 {
		t.Errorf("error logged %d times, want once:\n%s", n, ts.Logs)
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	ts := MustServer(t, Config{})
	w := ts.do(t, call{Method: "GET", Path: "/api/nothing", Role: dispatch.RoleHotline})
	if w.Code != http.StatusNotFound {
		t.Fatalf("Code=%d, want 404", w.Code)
	}
	problemOf(t, w)
	w = ts.do(t, call{Method: "DELETE", Path: "/api/requests/1", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("Code=%d, want 405", w.Code)
	}
	problemOf(t, w)
}

func TestListenAndServe(t *testing.T) {
	ts := MustServer(t, Config{Addr: "127.0.0.1:0"})
	ln, err := ts.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.Serve(ctx, ln) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("StatusCode=%d, want 200", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve=%v, want nil after shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

// form encodes fields for urlencoded bodies.
func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}
