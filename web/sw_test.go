package web

import (
	"io/fs"
	"net/http"
	"strings"
	"testing"
)

func init() {
	// The worker script holds no data; update checks come without a session.
	routeTable["GET /team-sw.js"] = routeExpect{Public: true}
}

func TestTeamServiceWorker(t *testing.T) {
	ts := MustServer(t, Config{})
	want, err := fs.ReadFile(staticFS, "static/team-sw.js")
	if err != nil {
		t.Fatal(err)
	}
	w := ts.do(t, call{Method: "GET", Path: "/team-sw.js"})
	if w.Code != http.StatusOK {
		t.Fatalf("Code=%d, want 200; body %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/javascript") {
		t.Errorf("Content-Type=%q, want application/javascript", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control=%q, want no-cache", cc)
	}
	if w.Body.String() != string(want) {
		t.Error("body is not static/team-sw.js")
	}
	etag := w.Header().Get("ETag")
	if etag == "" || etag == `""` {
		t.Fatalf("ETag=%q, want the file's hash", etag)
	}
	w = ts.do(t, call{Method: "GET", Path: "/team-sw.js", Header: map[string]string{"If-None-Match": etag}})
	if w.Code != http.StatusNotModified {
		t.Errorf("revalidation Code=%d, want 304", w.Code)
	}

	// The worker must leave the API and the WebSocket alone, and team.js
	// must register it from the root with a scope covering /team.
	sw := string(want)
	for _, s := range []string{`url.pathname === "/team"`, `url.pathname.indexOf("/static/") === 0`, "var VERSION = "} {
		if !strings.Contains(sw, s) {
			t.Errorf("team-sw.js lacks %q", s)
		}
	}
	js, err := fs.ReadFile(staticFS, "static/team.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `register("/team-sw.js", { scope: "/team" })`) {
		t.Error(`team.js does not register /team-sw.js with scope /team`)
	}
}
