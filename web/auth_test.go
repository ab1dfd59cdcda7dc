package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

func TestCSRF(t *testing.T) {
	hot := dispatch.RoleHotline
	for _, tc := range []struct {
		name   string
		c      call
		status int
	}{
		{"NoToken", call{NoCSRF: true}, http.StatusForbidden},
		{"WrongToken", call{NoCSRF: true, Header: map[string]string{CSRFHeader: "csrf-dispatcher"}}, http.StatusForbidden},
		{"OtherSessionsToken", call{NoCSRF: true, Header: map[string]string{CSRFHeader: "csrf-admin"}}, http.StatusForbidden},
		{"CrossSiteOrigin", call{Header: map[string]string{"Origin": "https://evil.example"}}, http.StatusForbidden},
		{"NullOrigin", call{Header: map[string]string{"Origin": "null"}}, http.StatusForbidden},
		{"CrossSiteFetch", call{Header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		{"SameSiteFetch", call{Header: map[string]string{"Sec-Fetch-Site": "same-site"}}, http.StatusForbidden},
		{"OK", call{}, http.StatusCreated},
		{"OKWithoutOriginHeaders", call{Header: map[string]string{"Origin": "", "Sec-Fetch-Site": ""}}, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := MustServer(t, Config{})
			c := tc.c
			c.Method, c.Path, c.Role, c.Body = "POST", "/api/requests", hot, validRequestBody
			w := ts.do(t, c)
			if w.Code != tc.status {
				t.Fatalf("Code=%d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.status == http.StatusForbidden {
				problemOf(t, w)
			}
		})
	}

	t.Run("PublicURLOrigin", func(t *testing.T) {
		ts := MustServer(t, Config{PublicURL: "https://qamqor.example.kz"})
		w := ts.do(t, call{Method: "POST", Path: "/api/requests", Role: hot, Body: validRequestBody,
			Header: map[string]string{"Origin": "https://qamqor.example.kz"}})
		if w.Code != http.StatusCreated {
			t.Fatalf("Code=%d, want 201; body %s", w.Code, w.Body)
		}
		w = ts.do(t, call{Method: "POST", Path: "/api/requests", Role: hot, Body: validRequestBody,
			Header: map[string]string{"Origin": "http://qamqor.example.kz"}})
		if w.Code != http.StatusForbidden {
			t.Fatalf("http origin against https public URL: Code=%d, want 403", w.Code)
		}
	})

	t.Run("FormField", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/logout", Role: hot, NoCSRF: true,
			Body: form("csrf_token", "csrf-hotline"), ContentType: "application/x-www-form-urlencoded"})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("Code=%d, want 303; body %s", w.Code, w.Body)
		}
		w = ts.do(t, call{Method: "POST", Path: "/logout", Role: hot, NoCSRF: true,
			Body: form("csrf_token", "guess"), ContentType: "application/x-www-form-urlencoded"})
		if w.Code != http.StatusForbidden {
			t.Fatalf("wrong form token: Code=%d, want 403", w.Code)
		}
	})

	t.Run("SafeMethodsNeedNoToken", func(t *testing.T) {
		ts := MustServer(t, Config{})
		if w := ts.do(t, call{Method: "GET", Path: "/api/me", Role: hot}); w.Code != http.StatusOK {
			t.Fatalf("Code=%d, want 200", w.Code)
		}
	})
}

func TestAPILogin(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ts := MustServer(t, Config{Secure: true})
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"hot","password":"secret"}`})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d, want 200; body %s", w.Code, w.Body)
		}
		c := sessionCookie(t, w)
		if c.Value != "tok-hotline" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie=%+v, want tok-hotline HttpOnly Secure SameSite=Lax Path=/", c)
		}
		var me meJSON
		if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
			t.Fatal(err)
		}
		if me.User == nil || me.User.Username != "hot" || me.CSRFToken != "csrf-hotline" {
			t.Errorf("me=%+v, want user hot with its CSRF token", me)
		}
		if len(me.Pages) != 1 || me.Pages[0].Path != "/hotline" {
			t.Errorf("Pages=%+v, want the hotline page", me.Pages)
		}
	})
	t.Run("NotSecureWithoutTLS", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"hot","password":"secret"}`})
		if c := sessionCookie(t, w); c.Secure {
			t.Errorf("Secure=true, want false when not configured")
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"hot","password":"nope"}`})
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("Code=%d, want 401", w.Code)
		}
		problemOf(t, w)
		if w.Header().Get("Set-Cookie") != "" {
			t.Errorf("failed login set a cookie: %s", w.Header().Get("Set-Cookie"))
		}
	})
	t.Run("Empty", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"","password":""}`})
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("Code=%d, want 422", w.Code)
		}
	})
	t.Run("LoginCSRF", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"hot","password":"secret"}`,
			Header: map[string]string{"Origin": "https://evil.example"}})
		if w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
		if w.Header().Get("Set-Cookie") != "" {
			t.Errorf("cross-site login set a cookie")
		}
	})
	t.Run("ReplacesOldSession", func(t *testing.T) {
		ts := MustServer(t, Config{})
		var deleted string
		ts.Auth.DeleteSessionFn = func(ctx context.Context, token string) error { deleted = token; return nil }
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Role: dispatch.RoleTeamLead, Body: `{"username":"hot","password":"secret"}`})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d, want 200; body %s", w.Code, w.Body)
		}
		if deleted != "tok-team_lead" {
			t.Errorf("deleted=%q, want the old session tok-team_lead", deleted)
		}
	})
}

func TestLogout(t *testing.T) {
	ts := MustServer(t, Config{})
	var deleted string
	ts.Auth.DeleteSessionFn = func(ctx context.Context, token string) error { deleted = token; return nil }
	w := ts.do(t, call{Method: "POST", Path: "/api/logout", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusNoContent {
		t.Fatalf("Code=%d, want 204; body %s", w.Code, w.Body)
	}
	if deleted != "tok-dispatcher" {
		t.Errorf("deleted=%q, want tok-dispatcher", deleted)
	}
	if c := sessionCookie(t, w); c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("cookie=%+v, want it deleted", c)
	}
}

func TestExpiredSession(t *testing.T) {
	ts := MustServer(t, Config{})
	w := ts.do(t, call{Method: "GET", Path: "/api/me", Header: map[string]string{"Cookie": SessionCookie + "=stale"}})
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("Code=%d, want 401", w.Code)
	}
	if c := sessionCookie(t, w); c.MaxAge >= 0 {
		t.Errorf("stale cookie not deleted: %+v", c)
	}
}

func TestLoginPage(t *testing.T) {
	t.Run("RedirectsAnonymous", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/hotline?x=1"})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Fhotline%3Fx%3D1" {
			t.Fatalf("Code=%d Location=%q, want 303 to /login?next=%%2Fhotline%%3Fx%%3D1", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("Form", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/login?next=/hotline"})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="next" value="/hotline"`) {
			t.Fatalf("Code=%d, want 200 with next=/hotline; body %s", w.Code, w.Body)
		}
	})
	t.Run("OK", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/login", ContentType: "application/x-www-form-urlencoded",
			Body: form("username", "hot", "password", "secret", "next", "/hotline")})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/hotline" {
			t.Fatalf("Code=%d Location=%q, want 303 to /hotline", w.Code, w.Header().Get("Location"))
		}
		if c := sessionCookie(t, w); c.Value != "tok-hotline" {
			t.Errorf("cookie=%q, want tok-hotline", c.Value)
		}
	})
	t.Run("NoOpenRedirect", func(t *testing.T) {
		ts := MustServer(t, Config{})
		for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "javascript:alert(1)"} {
			w := ts.do(t, call{Method: "POST", Path: "/login", ContentType: "application/x-www-form-urlencoded",
				Body: form("username", "hot", "password", "secret", "next", next)})
			if loc := w.Header().Get("Location"); loc != "/" {
				t.Errorf("next=%q: Location=%q, want /", next, loc)
			}
		}
	})
	t.Run("WrongPasswordEscapesInput", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/login", ContentType: "application/x-www-form-urlencoded",
			Body: form("username", `<script>alert(1)</script>`, "password", "x")})
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("Code=%d, want 401", w.Code)
		}
		if strings.Contains(w.Body.String(), "<script>alert") {
			t.Errorf("username is not escaped: %s", w.Body)
		}
	})
	t.Run("CrossSite", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/login", ContentType: "application/x-www-form-urlencoded",
			Body: form("username", "hot", "password", "secret"), Header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
		if w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
	})
}

func sessionCookie(tb testing.TB, w interface{ Result() *http.Response }) *http.Cookie {
	tb.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	tb.Fatalf("no %s cookie set", SessionCookie)
	return nil
}
