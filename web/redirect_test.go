package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestNoOpenRedirect tries the tricks browsers turn into a jump to another
// host: control characters they drop (tab, newline), backslashes they read
// as slashes, protocol-relative and encoded forms. Each must land on "/",
// from the login form and from GET /login with a live session.
func TestNoOpenRedirect(t *testing.T) {
	evil := []string{
		"/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/\r/evil.example",
		"\t//evil.example", " //evil.example", "//evil.example", "///evil.example",
		`/\evil.example`, `\/evil.example`, `/\/evil.example`, "/%5C/evil.example", "/%5cevil.example",
		"/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example",
		"https://evil.example", "HTTPS://evil.example", "javascript:alert(1)",
		"/\u00a0/evil.example", "/\x7f/evil.example", "/\u2028/evil.example",
	}
	ts := MustServer(t, Config{})
	for _, next := range evil {
		w := ts.do(t, call{Method: "GET", Path: "/login?next=" + url.QueryEscape(next), Role: testUsers["hotline"].Role})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Errorf("GET /login next=%q: Code=%d Location=%q, want 303 to /", next, w.Code, w.Header().Get("Location"))
		}
		w = ts.do(t, call{Method: "POST", Path: "/login", ContentType: "application/x-www-form-urlencoded",
			Body: form("username", "hot", "password", "secret", "next", next)})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Errorf("POST /login next=%q: Code=%d Location=%q, want 303 to /", next, w.Code, w.Header().Get("Location"))
		}
	}
	// Local paths survive, query and all.
	for _, next := range []string{"/hotline", "/team?day=2026-01-05", "/registry#users", "/reports?from=2026-01-01&to=2026-01-31"} {
		w := ts.do(t, call{Method: "GET", Path: "/login?next=" + url.QueryEscape(next), Role: testUsers["hotline"].Role})
		if loc := w.Header().Get("Location"); loc != next {
			t.Errorf("GET /login next=%q: Location=%q, want it kept", next, loc)
		}
	}
}

// TestSecureFromPublicURL: an https public URL alone makes session cookies
// Secure, however the scheme is spelled.
func TestSecureFromPublicURL(t *testing.T) {
	for _, pub := range []string{"https://qamqor.example.kz", "HTTPS://qamqor.example.kz"} {
		ts := MustServer(t, Config{PublicURL: pub})
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"hot","password":"secret"}`})
		if c := sessionCookie(t, w); !c.Secure {
			t.Errorf("PublicURL=%s: cookie not Secure", pub)
		}
	}
}
