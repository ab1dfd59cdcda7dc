package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

func TestDispatchPage(t *testing.T) {
	ts := MustServer(t, Config{TileURL: "https://tiles.example.kz/{z}/{x}/{y}.png"})
	t.Run("Dispatcher", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/dispatch", Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d; body %s", w.Code, w.Body)
		}
		body := w.Body.String()
		for _, want := range []string{
			`id="map"`, `id="offline-banner"`, `data-tile-template="https://tiles.example.kz/{z}/{x}/{y}.png"`,
			"/static/vendor/leaflet/leaflet.js?v=", "/static/vendor/leaflet.markercluster/leaflet.markercluster.js?v=",
			"/static/dispatch.js?v=", "/static/dispatch.css?v=", `name="csrf-token"`, `href="/dispatch"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		// Every script is our own file: no CDN.
		if strings.Contains(body, "unpkg") || strings.Contains(body, "cdn") {
			t.Errorf("page loads from a CDN")
		}
	})
	for _, role := range []dispatch.Role{dispatch.RoleHotline, dispatch.RoleTeamLead, dispatch.RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			w := ts.do(t, call{Method: "GET", Path: "/dispatch", Role: role, Header: map[string]string{"Accept": "text/html"}})
			if w.Code != http.StatusForbidden {
				t.Fatalf("Code=%d, want 403", w.Code)
			}
		})
	}
	t.Run("Anonymous", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/dispatch", Header: map[string]string{"Accept": "text/html"}})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
			t.Fatalf("Code=%d Location=%q, want 303 to /login", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("MenuOnlyForDispatchers", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/", Role: dispatch.RoleHotline})
		if strings.Contains(w.Body.String(), `href="/dispatch"`) {
			t.Errorf("the hotline operator's menu links the dispatch map")
		}
	})
}

func TestVendoredAssets(t *testing.T) {
	ts := MustServer(t, Config{})
	for _, p := range []string{
		"/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", "/static/vendor/leaflet/images/layers.png",
		"/static/vendor/leaflet/LICENSE", "/static/vendor/leaflet.markercluster/LICENSE",
		"/static/vendor/leaflet.markercluster/MarkerCluster.css", "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
	} {
		if w := ts.do(t, call{Method: "GET", Path: p}); w.Code != http.StatusOK {
			t.Errorf("%s: Code=%d", p, w.Code)
		}
	}
}
