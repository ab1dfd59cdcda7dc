package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// quoted is text a message quotes verbatim (API values, field names, what
// the user typed): «...», "..." and '...'.
var quoted = regexp.MustCompile(`«[^»]*»|"[^"]*"|'[^']*'`)

// technical are Latin tokens a Kazakh or Russian message may carry: names
// of formats and standards, API parameter names and language codes.
var technical = regexp.MustCompile(`\b(JSON|API|NUL|RFC|ISO|UUID|HTTP|bbox|kk|ru|en|true|false|null|id|since|team|route_id|Idempotency-Key|application/[a-z+.-]+|x-www-form-urlencoded|[A-Z]+|T\d\d:\d\d:\d\d[+-]\d\d:\d\d)\b`)

var latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)

// englishIn returns the Latin words of s that are neither quoted nor
// technical: English text that leaked into a kk or ru message.
func englishIn(s string) []string {
	s = quoted.ReplaceAllString(s, "")
	s = technical.ReplaceAllString(s, "")
	return latinWord.FindAllString(s, -1)
}

// TestProblemsLocalised walks the API's error paths (no session, wrong role,
// broken and unknown bodies, bad ids, bad parameters, domain refusals) with
// Accept-Language kk and ru and fails on any English word in a problem's
// title or detail.
func TestProblemsLocalised(t *testing.T) {
	ts := MustServer(t, Config{})
	// Domain refusals the mocks would otherwise accept.
	ts.Requests.CreateRequestFn = func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
		return nil, false, dispatch.Errorf(dispatch.ECONFLICT, "An open request of this kind (%s, #%d) already exists for this address: %s.", in.Kind, 12, "Кенесары көшесі, 40")
	}
	var calls []call
	err := chi.Walk(ts.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		exp := routeTable[method+" "+route]
		path := exp.Path
		if path == "" {
			path = route
		}
		if exp.NeedsHub || method == http.MethodGet && strings.HasPrefix(route, "/static") {
			return nil
		}
		// No session, then every role that may not use the route.
		calls = append(calls, call{Method: method, Path: path, Body: exp.Body, ContentType: exp.ContentType})
		for _, role := range everyone {
			if !exp.Public && !contains(exp.Roles, role) {
				calls = append(calls, call{Method: method, Path: path, Role: role, Body: exp.Body, ContentType: exp.ContentType})
			}
		}
		role := dispatch.RoleDispatcher
		if len(exp.Roles) > 0 {
			role = exp.Roles[0]
		}
		if strings.Contains(route, "{id}") {
			calls = append(calls, call{Method: method, Path: strings.Replace(route, "{id}", "abc", 1), Role: role, Body: exp.Body})
		}
		if method == http.MethodPost || method == http.MethodPut {
			for _, body := range []string{`{`, `[1]`, `{"zzz":1}`, `{"status":5}`, `{"a":"\u0000"}`} {
				calls = append(calls, call{Method: method, Path: path, Role: role, Body: body})
			}
			calls = append(calls, call{Method: method, Path: path, Role: role, Body: `x`, ContentType: "text/plain"})
			calls = append(calls, call{Method: method, Path: path, Role: role, Body: exp.Body, NoCSRF: true})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	hot := dispatch.RoleHotline
	calls = append(calls,
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"plumbing","address":"x","lat":51.13,"lon":71.43}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"address":"x","lat":51.13,"lon":71.43}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","address":"x","lat":51.13,"lon":71.43,"window_start":"2025-01-20T12:00:00+05:00","window_end":"2025-01-20T10:00:00+05:00"}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","address":"Almaty","lat":43.238,"lon":76.945}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","address":"x"}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","window_start":"tomorrow"}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","packages":"two"}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","priority":"asap","address":"x","lat":51.13,"lon":71.43}`},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: validRequestBody},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: ``, Header: map[string]string{"Content-Type": ""}},
		call{Method: "POST", Path: "/api/requests", Role: hot, Body: `{"kind":"snow_clearing","notes":"` + strings.Repeat("x", 2<<20) + `"}`},
		call{Method: "GET", Path: "/api/requests?status=lost", Role: hot},
		call{Method: "GET", Path: "/api/requests?kind=plumbing", Role: hot},
		call{Method: "GET", Path: "/api/requests?limit=x", Role: hot},
		call{Method: "GET", Path: "/api/requests?limit=100000", Role: hot},
		call{Method: "GET", Path: "/api/requests?lat=51", Role: hot},
		call{Method: "GET", Path: "/api/requests/duplicates?kind=snow_clearing", Role: hot},
		call{Method: "GET", Path: "/api/geocode?q=", Role: hot},
		call{Method: "GET", Path: "/api/geocode/reverse?lat=43.2&lon=76.9", Role: hot},
		call{Method: "GET", Path: "/api/geocode/reverse?lat=north&lon=76.9", Role: hot},
		call{Method: "GET", Path: "/api/alerts?status=maybe", Role: dispatch.RoleDispatcher},
		call{Method: "POST", Path: "/api/stops/5/status", Role: dispatch.RoleDispatcher, Body: `{"status":"exploded"}`},
		call{Method: "POST", Path: "/api/stops/5/status", Role: dispatch.RoleDispatcher, Body: `{}`},
		call{Method: "POST", Path: "/api/teams/5/position", Role: dispatch.RoleDispatcher, Body: `{"lat":43.2,"lon":76.9}`},
		call{Method: "POST", Path: "/api/teams/5/position", Role: dispatch.RoleDispatcher, Body: `{"lon":71.4}`},
		call{Method: "POST", Path: "/api/routes/5/start", Role: dispatch.RoleDispatcher, Body: `{"present_volunteer_ids":[]}`},
		call{Method: "POST", Path: "/api/alerts/5/handle", Role: dispatch.RoleDispatcher, Body: `{"note":""}`},
		call{Method: "POST", Path: "/api/campaigns", Role: dispatch.RoleDispatcher, Body: `{"kind":"flood","day":"2026-01-12"}`},
		call{Method: "POST", Path: "/api/campaigns", Role: dispatch.RoleDispatcher, Body: `{"kind":"snowfall","day":"2020-01-12","snowfall_cm":12}`},
		call{Method: "POST", Path: "/api/campaigns", Role: dispatch.RoleDispatcher, Body: `{"kind":"snowfall","day":"2026-01-12"}`},
		call{Method: "POST", Path: "/api/recurring/run", Role: dispatch.RoleDispatcher, Body: `{"day":"someday"}`},
		call{Method: "PUT", Path: "/api/care-addresses/5/visit-rule", Role: dispatch.RoleDispatcher, Body: `{"rule":"daily"}`},
		call{Method: "PUT", Path: "/api/care-addresses/5/visit-rule", Role: dispatch.RoleDispatcher, Body: `{"rule":"weekly","day":9}`},
		call{Method: "POST", Path: "/api/login", Body: `{"username":"hot","password":"wrong"}`},
		call{Method: "POST", Path: "/api/login", Body: `{"username":"","password":""}`},
		call{Method: "DELETE", Path: "/api/requests/5", Role: hot},
		call{Method: "GET", Path: "/api/nothing-here", Role: hot},
	)
	problems := 0
	for _, lang := range []string{"kk", "ru"} {
		for _, c := range calls {
			c.Header = mergeHeader(c.Header, "Accept-Language", lang)
			if c.Header["Content-Type"] == "" && c.Body == "" {
				delete(c.Header, "Content-Type")
			}
			w := ts.do(t, c)
			if w.Code < 400 || !strings.HasPrefix(c.Path, "/api/") {
				continue
			}
			problems++
			p := problemOf(t, w)
			for _, m := range []string{"title", "detail"} {
				s, _ := p[m].(string)
				if m == "detail" && s == "" {
					t.Errorf("%s %s %s (%s): %d problem has no detail", lang, c.Method, c.Path, c.Role, w.Code)
				}
				if en := englishIn(s); len(en) > 0 {
					t.Errorf("%s %s %s (%s) body %.40q: %d %s %q has English %q", lang, c.Method, c.Path, c.Role, c.Body, w.Code, m, s, en)
				}
			}
			if got := w.Header().Get("Content-Language"); got != lang {
				t.Errorf("%s %s %s: Content-Language=%q, want %s", lang, c.Method, c.Path, got, lang)
			}
		}
	}
	if problems < 150 {
		t.Errorf("walked %d problems; the walk is too thin to mean anything", problems)
	}
	t.Logf("%d problem responses checked", problems)
}

func mergeHeader(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range h {
		out[a] = b
	}
	return out
}

// TestProblemLanguageChoice checks how the language is chosen: the
// header, then the switcher's cookie, and English for an API client that
// names no language we speak.
func TestProblemLanguageChoice(t *testing.T) {
	ts := MustServer(t, Config{})
	body := `{"kind":"snow_clearing","address":"x","lat":51.13,"lon":71.43,"window_start":"2025-01-20T12:00:00+05:00","window_end":"2025-01-20T10:00:00+05:00"}`
	for _, tc := range []struct{ accept, cookie, want string }{
		{"en-US,en;q=0.9", "", "The time window ends before it starts."},
		{"ru", "", "Временное окно заканчивается раньше, чем начинается."},
		{"de", "", "The time window ends before it starts."},
		{"kk-KZ", "", "Уақыт аралығы басталмай тұрып аяқталады."},
		{"", "ru", "Временное окно заканчивается раньше, чем начинается."},
		{"en", "ru", "The time window ends before it starts."},
	} {
		c := call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: body, Header: map[string]string{}}
		if tc.accept != "" {
			c.Header["Accept-Language"] = tc.accept
		}
		if tc.cookie != "" {
			c.Header["Cookie"] = SessionCookie + "=tok-hotline; " + LangCookie + "=" + tc.cookie
		}
		w := ts.do(t, c)
		p := problemOf(t, w)
		if p["detail"] != tc.want {
			t.Errorf("Accept-Language=%q cookie=%q: detail=%q, want %q", tc.accept, tc.cookie, p["detail"], tc.want)
		}
	}
}

// TestExpectedErrorsAreNotErrors: a missing session (401), a missing page
// (404) and a request the client cancelled are part of a normal day; they
// must not be logged at ERROR level as 500s.
func TestExpectedErrorsAreNotErrors(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Requests.FindRequestsFn = func(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error) {
		<-ctx.Done()
		return nil, 0, fmt.Errorf("find requests: %w", ctx.Err())
	}
	if w := ts.do(t, call{Method: "GET", Path: "/api/me"}); w.Code != http.StatusUnauthorized {
		t.Fatalf("anonymous /api/me: %d", w.Code)
	}
	if w := ts.do(t, call{Method: "GET", Path: "/favicon-nothing.png", Role: dispatch.RoleHotline}); w.Code != http.StatusNotFound {
		t.Fatalf("unknown page: %d", w.Code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/api/requests", nil).WithContext(ctx)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: "tok-" + string(dispatch.RoleHotline)})
	done := make(chan struct{})
	go func() { ts.Handler().ServeHTTP(httptest.NewRecorder(), req); close(done) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	logs := ts.Logs.String()
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "status=500") {
		t.Errorf("expected refusals logged as errors:\n%s", logs)
	}
	if !strings.Contains(logs, "request cancelled by the client") {
		t.Errorf("the cancelled request left no line:\n%s", logs)
	}
}
