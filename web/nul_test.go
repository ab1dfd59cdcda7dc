package web

import (
	"net/http"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// PostgreSQL text cannot hold NUL bytes: they are refused with a 400 at the
// door instead of failing deep in a query with a 500.
func TestNULRefused(t *testing.T) {
	ts := MustServer(t, Config{})
	for _, c := range []call{
		{Method: "GET", Path: "/api/geocode?q=a%00b", Role: dispatch.RoleHotline},
		{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: `{"kind":"snow_clearing","address":"x\u0000y","lat":51.1282,"lon":71.4304}`},
		{Method: "POST", Path: "/api/login", Body: `{"username":"hot\u0000","password":"secret"}`},
	} {
		w := ts.do(t, c)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s %s: Code=%d, want 400; body %s", c.Method, c.Path, w.Code, w.Body)
			continue
		}
		problemOf(t, w)
	}
}
