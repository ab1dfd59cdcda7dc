package web

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

// hoursMock implements the sign-up, attendance and certificate stores in
// memory with the same permission rules as dispatch/postgres (which
// certificate_test.go and application_test.go test against PostGIS).
type hoursMock struct {
	key      ed25519.PrivateKey
	certs    map[string]*dispatch.Certificate
	apps     []dispatch.ApplicationInput
	routeOrg int64 // the organisation of every route's team
	// volunteerOrg is the organisation of every volunteer.
	volunteerOrg int64
}

func setHoursMocks(s *Server) *hoursMock {
	m := &hoursMock{key: ed25519.NewKeyFromSeed(make([]byte, 32)), certs: map[string]*dispatch.Certificate{},
		routeOrg: testOrg, volunteerOrg: testOrg}
	s.Applications, s.Attendance, s.Certificates = m, m, m
	m.issue(dispatch.CertificateInput{VolunteerID: 3, From: "2026-01-01", To: "2026-01-31", Language: "kk"}, "7K3M-Q9XD-2HTP")
	return m
}

func (m *hoursMock) issue(in dispatch.CertificateInput, code string) *dispatch.Certificate {
	c := &dispatch.Certificate{Code: code, VolunteerID: in.VolunteerID, OrganisationID: m.volunteerOrg,
		VolunteerName: "Айгерім Сапарова", OrganisationName: "Jas Qanat", From: in.From, To: in.To,
		Seconds: 45000, Visits: 17, Language: in.Language, IssuedAt: time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), KeyID: 1}
	c.Sign(m.key)
	m.certs[code] = c
	return c
}

func (m *hoursMock) SignupOrganisations(ctx context.Context) ([]dispatch.Organisation, error) {
	return []dispatch.Organisation{{ID: 1, Name: "Jas Qanat", Kind: "volunteer_org"}}, nil
}
func (m *hoursMock) SubmitApplication(ctx context.Context, in dispatch.ApplicationInput) error {
	if in.OrganisationID != 1 {
		return dispatch.Invalid("organisation_id", "Choose an organisation from the list.")
	}
	m.apps = append(m.apps, in)
	return nil
}
func (m *hoursMock) FindApplications(ctx context.Context, actor *dispatch.User, f dispatch.ApplicationFilter) ([]*dispatch.Application, error) {
	if err := dispatch.Require(actor, dispatch.ActReviewApplications); err != nil {
		return nil, err
	}
	return []*dispatch.Application{{ID: 4, OrganisationID: testOrg, FullName: "Dana", BirthDate: "2010-03-01", Minor: true,
		Phone: "+77010000000", GuardianName: "Aigul", GuardianPhone: "+77010000001", GuardianConsent: true, Status: dispatch.ApplicationPending}}, nil
}
func (m *hoursMock) DecideApplication(ctx context.Context, actor *dispatch.User, id int64, in dispatch.DecisionInput) (*dispatch.Application, error) {
	if err := dispatch.RequireOrg(actor, dispatch.ActReviewApplications, testOrg); err != nil {
		return nil, err
	}
	return &dispatch.Application{ID: id, OrganisationID: testOrg, Status: dispatch.ApplicationApproved}, nil
}
func (m *hoursMock) sheet(id int64) *dispatch.AttendanceSheet {
	return &dispatch.AttendanceSheet{RouteID: id, TeamID: 1, Status: dispatch.RouteFinished,
		Rows: []dispatch.Attendance{{RouteID: id, VolunteerID: 3, CheckIn: time.Now().Add(-2 * time.Hour)}}}
}
func (m *hoursMock) FindAttendance(ctx context.Context, actor *dispatch.User, routeID int64) (*dispatch.AttendanceSheet, error) {
	if err := dispatch.RequireAttendanceView(actor, 1, m.routeOrg); err != nil {
		return nil, err
	}
	return m.sheet(routeID), nil
}
func (m *hoursMock) SaveAttendance(ctx context.Context, actor *dispatch.User, routeID, volunteerID int64, in dispatch.AttendanceInput) (*dispatch.AttendanceSheet, error) {
	if err := dispatch.RequireAttendanceEdit(actor, 1, m.routeOrg); err != nil {
		return nil, err
	}
	return m.sheet(routeID), nil
}
func (m *hoursMock) ConfirmAttendance(ctx context.Context, actor *dispatch.User, routeID int64) (*dispatch.AttendanceSheet, error) {
	if err := dispatch.RequireAttendanceConfirm(actor, m.routeOrg); err != nil {
		return nil, err
	}
	return m.sheet(routeID), nil
}
func (m *hoursMock) PendingAttendance(ctx context.Context, actor *dispatch.User) ([]*dispatch.AttendanceSheet, error) {
	if err := dispatch.Require(actor, dispatch.ActConfirmAttendance); err != nil {
		return nil, err
	}
	return []*dispatch.AttendanceSheet{m.sheet(3)}, nil
}
func (m *hoursMock) HoursFor(ctx context.Context, r dispatch.ReportRange, orgID *int64, ids ...int64) ([]dispatch.VolunteerHours, error) {
	return nil, nil
}
func (m *hoursMock) IssueCertificate(ctx context.Context, actor *dispatch.User, in dispatch.CertificateInput, r dispatch.ReportRange) (*dispatch.Certificate, error) {
	if err := dispatch.RequireOrg(actor, dispatch.ActIssueCertificates, m.volunteerOrg); err != nil {
		return nil, err
	}
	return m.issue(in, "AB12-CD34-EF56"), nil
}
func (m *hoursMock) FindCertificate(ctx context.Context, code string) (*dispatch.Certificate, error) {
	if c, ok := m.certs[code]; ok {
		cp := *c
		return &cp, nil
	}
	return nil, dispatch.Errorf(dispatch.ENOTFOUND, "Certificate not found.")
}
func (m *hoursMock) FindCertificates(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.Certificate, int, error) {
	if err := dispatch.Require(actor, dispatch.ActIssueCertificates); err != nil {
		return nil, 0, err
	}
	var out []*dispatch.Certificate
	for _, c := range m.certs {
		if dispatch.InOrgScope(actor, c.OrganisationID) {
			out = append(out, c)
		}
	}
	return out, len(out), nil
}
func (m *hoursMock) RevokeCertificate(ctx context.Context, actor *dispatch.User, code string, in dispatch.RevokeInput) (*dispatch.Certificate, error) {
	c, ok := m.certs[code]
	if !ok {
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "Certificate not found.")
	}
	if err := dispatch.RequireOrg(actor, dispatch.ActIssueCertificates, c.OrganisationID); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	now := time.Now()
	c.RevokedAt, c.RevokeReason = &now, in.Reason
	return c, nil
}
func (m *hoursMock) PublicKey(ctx context.Context, id int64) (ed25519.PublicKey, error) {
	return m.key.Public().(ed25519.PublicKey), nil
}
func (m *hoursMock) CurrentPublicKey(ctx context.Context) (int64, ed25519.PublicKey, error) {
	return 1, m.key.Public().(ed25519.PublicKey), nil
}

var (
	certIssuers      = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleCoordinator}
	attendanceEditor = []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleCoordinator}
)

const validSignupBody = `{"organisation_id":1,"full_name":"Dana Serik","birth_date":"2000-05-01","phone":"+7 701 234 5678","consent":true}`

func init() {
	for k, v := range map[string]routeExpect{
		"GET /signup":                          {Public: true},
		"POST /signup":                         {Public: true, Body: "organisation_id=1&full_name=Dana&birth_date=2000-05-01&phone=%2B77012345678&consent=1", ContentType: "application/x-www-form-urlencoded"},
		"POST /api/signup":                     {Public: true, Body: validSignupBody},
		"GET /verify/key":                      {Public: true},
		"GET /verify/{code}":                   {Path: "/verify/7K3M-Q9XD-2HTP", Public: true},
		"GET /applications":                    {Roles: certIssuers, Page: true},
		"POST /applications/{id}":              {Path: "/applications/4", Roles: certIssuers, Page: true, Body: "decision=approve", ContentType: "application/x-www-form-urlencoded"},
		"GET /api/applications":                {Roles: certIssuers},
		"POST /api/applications/{id}/decision": {Path: "/api/applications/4/decision", Roles: certIssuers, Body: `{"approve":true}`},
		"GET /certificates":                    {Roles: certIssuers, Page: true},
		"POST /certificates":                   {Roles: certIssuers, Page: true, Body: "volunteer_id=3&from=2026-01-01&to=2026-01-31", ContentType: "application/x-www-form-urlencoded"},
		"POST /certificates/{code}/revoke":     {Path: "/certificates/7K3M-Q9XD-2HTP/revoke", Roles: certIssuers, Page: true, Body: "reason=typo", ContentType: "application/x-www-form-urlencoded"},
		"GET /api/certificates":                {Roles: certIssuers},
		"POST /api/certificates":               {Roles: certIssuers, Body: `{"volunteer_id":3,"from":"2026-01-01","to":"2026-01-31"}`},
		"GET /api/certificates/{code}/pdf":     {Path: "/api/certificates/7K3M-Q9XD-2HTP/pdf", Roles: certIssuers},
		"POST /api/certificates/{code}/revoke": {Path: "/api/certificates/7K3M-Q9XD-2HTP/revoke", Roles: certIssuers, Body: `{"reason":"typo"}`},
		// The table's team lead has no team, so only dispatchers and the
		// organisation's coordinator pass the route-scoped attendance.
		"GET /api/routes/{id}/attendance":                       {Path: "/api/routes/3/attendance", Roles: attendanceEditor},
		"PUT /api/routes/{id}/attendance/{volunteer}":           {Path: "/api/routes/3/attendance/3", Roles: attendanceEditor, Body: `{"check_in":"2026-01-12T09:00:00+05:00"}`},
		"POST /api/routes/{id}/attendance/{volunteer}/checkout": {Path: "/api/routes/3/attendance/3/checkout", Roles: attendanceEditor},
		"GET /attendance":                          {Roles: attendanceEditor, Page: true},
		"POST /attendance/{id}/confirm":            {Path: "/attendance/3/confirm", Roles: attendanceEditor, Page: true, Body: "x=1", ContentType: "application/x-www-form-urlencoded"},
		"POST /api/routes/{id}/attendance/confirm": {Path: "/api/routes/3/attendance/confirm", Roles: attendanceEditor},
	} {
		routeTable[k] = v
	}
}

func TestCertificateAPI(t *testing.T) {
	t.Run("IssueAnswer", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/certificates", Role: dispatch.RoleCoordinator,
			Body: `{"volunteer_id":3,"from":"2026-01-01","to":"2026-01-31"}`})
		if w.Code != http.StatusCreated {
			t.Fatalf("Code=%d, want 201; body %s", w.Code, w.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]any{"code": "AB12-CD34-EF56", "hours": "12.50", "visits": float64(17),
			"pdf_url": "http://example.com/api/certificates/AB12-CD34-EF56/pdf", "verify_url": "http://example.com/verify/AB12-CD34-EF56"} {
			if got[k] != want {
				t.Errorf("%s=%v, want %v", k, got[k], want)
			}
		}
	})
	t.Run("OtherOrganisation", func(t *testing.T) {
		ts := MustServer(t, Config{})
		ts.Certificates.(*hoursMock).volunteerOrg = 99
		w := ts.do(t, call{Method: "POST", Path: "/api/certificates", Role: dispatch.RoleCoordinator,
			Body: `{"volunteer_id":3,"from":"2026-01-01","to":"2026-01-31"}`})
		if w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403; body %s", w.Code, w.Body)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		ts := MustServer(t, Config{})
		for _, body := range []string{`{"from":"2026-01-01","to":"2026-01-31"}`, `{"volunteer_id":3,"from":"2026-02-01","to":"2026-01-31"}`,
			`{"volunteer_id":3,"from":"2026-01-01","to":"2999-01-31"}`, `{"volunteer_id":3,"from":"x","to":"2026-01-31"}`} {
			w := ts.do(t, call{Method: "POST", Path: "/api/certificates", Role: dispatch.RoleAdmin, Body: body})
			if w.Code != http.StatusBadRequest && w.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: Code=%d, want 4xx problem; body %s", body, w.Code, w.Body)
				continue
			}
			problemOf(t, w)
		}
	})
	t.Run("PDF", func(t *testing.T) {
		ts := MustServer(t, Config{})
		for _, lang := range []string{"kk", "ru", "en"} {
			w := ts.do(t, call{Method: "GET", Path: "/api/certificates/7K3M-Q9XD-2HTP/pdf?lang=" + lang, Role: dispatch.RoleAdmin})
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(w.Body.String(), "%PDF-") {
				t.Fatalf("%s: Code=%d Content-Type=%q, want a PDF", lang, w.Code, w.Header().Get("Content-Type"))
			}
		}
	})
}

func TestVerifyPage(t *testing.T) {
	ts := MustServer(t, Config{})
	m := ts.Certificates.(*hoursMock)
	get := func(path, accept string) (*httptest.ResponseRecorder, map[string]any) {
		w := ts.do(t, call{Method: "GET", Path: path, Header: map[string]string{"Accept": accept}})
		var j map[string]any
		if accept == "application/json" {
			json.Unmarshal(w.Body.Bytes(), &j)
		}
		return w, j
	}
	t.Run("Valid", func(t *testing.T) {
		w, j := get("/verify/7k3m-q9xd-2htp", "application/json")
		if w.Code != http.StatusOK || j["status"] != "valid" || j["hours"] != "12.50" || j["visits"] != float64(17) {
			t.Fatalf("Code=%d body %s, want valid 12.50 h 17 visits", w.Code, w.Body)
		}
		for _, k := range []string{"phone", "birth_year", "volunteer_id", "organisation_id"} {
			if _, ok := j[k]; ok {
				t.Errorf("verification shows %s", k)
			}
		}
		page, _ := get("/verify/7K3M-Q9XD-2HTP?lang=ru", "text/html")
		if !strings.Contains(page.Body.String(), "Сертификат действителен") || !strings.Contains(page.Body.String(), "12.50") {
			t.Errorf("Russian page lacks the verdict or hours:\n%s", page.Body)
		}
		page, _ = get("/verify/7K3M-Q9XD-2HTP", "text/html")
		if !strings.Contains(page.Body.String(), "Сертификат жарамды") {
			t.Errorf("default (Kazakh) page lacks the verdict")
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		m.certs["7K3M-Q9XD-2HTP"].Seconds += 3600
		defer func() { m.certs["7K3M-Q9XD-2HTP"].Seconds -= 3600 }()
		w, j := get("/verify/7K3M-Q9XD-2HTP", "application/json")
		if w.Code != http.StatusOK || j["status"] != "invalid" {
			t.Fatalf("Code=%d body %s, want status invalid", w.Code, w.Body)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/certificates/7K3M-Q9XD-2HTP/revoke", Role: dispatch.RoleCoordinator, Body: `{"reason":"issued twice"}`})
		if w.Code != http.StatusOK {
			t.Fatalf("revoke Code=%d body %s", w.Code, w.Body)
		}
		w = ts.do(t, call{Method: "GET", Path: "/verify/7K3M-Q9XD-2HTP", Header: map[string]string{"Accept": "application/json"}})
		if !strings.Contains(w.Body.String(), `"status":"revoked"`) {
			t.Errorf("after revoke: %s", w.Body)
		}
	})
	t.Run("UnknownAndMalformedLookAlike", func(t *testing.T) {
		a, _ := get("/verify/ZZZZ-ZZZZ-ZZZZ", "application/json")
		b, _ := get("/verify/not-a-code", "application/json")
		if a.Code != http.StatusNotFound || b.Code != http.StatusNotFound {
			t.Fatalf("Codes=%d,%d, want 404", a.Code, b.Code)
		}
	})
	t.Run("Key", func(t *testing.T) {
		w, j := get("/verify/key", "application/json")
		if w.Code != http.StatusOK || j["algorithm"] != "Ed25519" || !strings.Contains(j["pem"].(string), "BEGIN PUBLIC KEY") {
			t.Fatalf("Code=%d body %s", w.Code, w.Body)
		}
	})
}

func TestCoordinatorReports(t *testing.T) {
	ts := MustServer(t, Config{})
	if w := ts.do(t, call{Method: "GET", Path: "/api/reports/hours-volunteers?from=2026-01-01&to=2026-01-31", Role: dispatch.RoleCoordinator}); w.Code != http.StatusOK {
		t.Errorf("hours report Code=%d, want 200; body %s", w.Code, w.Body)
	}
	// Visits and on-time are scoped to the organisation by the store.
	for _, name := range []string{"visits", "ontime"} {
		w := ts.do(t, call{Method: "GET", Path: "/api/reports/" + name + "?from=2026-01-01&to=2026-01-31", Role: dispatch.RoleCoordinator})
		if w.Code != http.StatusOK {
			t.Errorf("%s Code=%d, want 200; body %s", name, w.Code, w.Body)
		}
	}
	// Requests (the hotline's intake) and alerts stay city-wide roles'.
	for _, name := range []string{"requests", "alerts"} {
		w := ts.do(t, call{Method: "GET", Path: "/api/reports/" + name + "?from=2026-01-01&to=2026-01-31", Role: dispatch.RoleCoordinator})
		if w.Code != http.StatusForbidden {
			t.Errorf("%s Code=%d, want 403", name, w.Code)
		}
	}
	page := ts.do(t, call{Method: "GET", Path: "/reports", Role: dispatch.RoleCoordinator})
	if page.Code != http.StatusOK {
		t.Errorf("reports page Code=%d", page.Code)
	}
}

func TestSignup(t *testing.T) {
	form := func(v url.Values) call {
		return call{Method: "POST", Path: "/signup?lang=en", Body: v.Encode(), ContentType: "application/x-www-form-urlencoded"}
	}
	adult := url.Values{"organisation_id": {"1"}, "full_name": {"Dana Serik"}, "birth_date": {"2000-05-01"}, "phone": {"+7 701 234 5678"}, "consent": {"1"}}
	t.Run("SameAnswerForRepeat", func(t *testing.T) {
		ts := MustServer(t, Config{})
		a := ts.do(t, form(adult))
		b := ts.do(t, form(adult))
		if a.Code != http.StatusOK || b.Code != http.StatusOK || a.Body.String() != b.Body.String() {
			t.Fatalf("first %d, repeat %d: the answers differ", a.Code, b.Code)
		}
		if !strings.Contains(a.Body.String(), "Your application has been received") {
			t.Errorf("no thanks in %s", a.Body)
		}
	})
	t.Run("MinorNeedsGuardian", func(t *testing.T) {
		ts := MustServer(t, Config{})
		minor := url.Values{}
		for k, v := range adult {
			minor[k] = v
		}
		minor.Set("birth_date", time.Now().AddDate(-15, 0, 0).Format(time.DateOnly))
		w := ts.do(t, form(minor))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `data-field="guardian_name"`) {
			t.Fatalf("Code=%d, want 422 naming guardian_name; body %s", w.Code, w.Body)
		}
		if n := len(ts.Applications.(*hoursMock).apps); n != 0 {
			t.Fatalf("%d applications stored, want none", n)
		}
		minor.Set("guardian_name", "Aigul Serik")
		minor.Set("guardian_phone", "+7 701 000 0000")
		minor.Set("guardian_consent", "1")
		if w := ts.do(t, form(minor)); w.Code != http.StatusOK {
			t.Fatalf("with guardian Code=%d; body %s", w.Code, w.Body)
		}
	})
	t.Run("RateLimited", func(t *testing.T) {
		ts := MustServer(t, Config{})
		for i := 0; i < signupsPerClient; i++ {
			if w := ts.do(t, call{Method: "POST", Path: "/api/signup", Body: validSignupBody}); w.Code != http.StatusAccepted {
				t.Fatalf("attempt %d Code=%d", i, w.Code)
			}
		}
		w := ts.do(t, call{Method: "POST", Path: "/api/signup", Body: validSignupBody})
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("Code=%d Retry-After=%q, want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
		}
		if n := len(ts.Applications.(*hoursMock).apps); n != signupsPerClient {
			t.Errorf("%d stored, want %d", n, signupsPerClient)
		}
	})
	t.Run("SharedThrottle", func(t *testing.T) {
		// A store that counts for every instance decides, not this
		// instance's memory: its "wait" refuses the very first post.
		ts := MustServer(t, Config{})
		m := &sharedThrottle{hoursMock: ts.Applications.(*hoursMock), wait: 20 * time.Minute}
		ts.Applications = m
		w := ts.do(t, call{Method: "POST", Path: "/api/signup", Body: validSignupBody})
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1201" {
			t.Fatalf("Code=%d Retry-After=%q, want 429 after 1201 s", w.Code, w.Header().Get("Retry-After"))
		}
		if m.calls != 1 || m.per != signupsPerClient || m.window != signupWindow || len(m.apps) != 0 {
			t.Errorf("throttle calls=%d per=%d window=%v stored=%d", m.calls, m.per, m.window, len(m.apps))
		}
	})
}

// sharedThrottle is an application store that throttles sign-ups itself
// (dispatch.SignupThrottle), like the PostgreSQL store.
type sharedThrottle struct {
	*hoursMock
	wait   time.Duration
	calls  int
	per    int
	window time.Duration
}

func (m *sharedThrottle) TakeSignup(ctx context.Context, client string, now time.Time, per int, window time.Duration) (time.Duration, error) {
	m.calls, m.per, m.window = m.calls+1, per, window
	return m.wait, nil
}
