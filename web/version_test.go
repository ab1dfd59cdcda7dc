package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// TestOptimisticConcurrencyHTTP: If-Match reaches the store as the expected
// version, a stale save answers 412 with the current representation and its
// ETag, a missing version 428, and successful saves and reads carry ETags.
func TestOptimisticConcurrencyHTTP(t *testing.T) {
	stored := &dispatch.CareAddress{ID: 5, Version: 4, FullName: "Ivanova Maria", AddressText: "Kenesary 40",
		Location: testPoint, PreferredLanguage: "ru", Needs: []string{"snow"}, Active: true}
	newServer := func(t *testing.T) *testServer {
		ts := MustServer(t, Config{})
		m := setRegistryMocks(ts.Server)
		m.SaveCareAddressFn = func(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error {
			if c.ID == 0 {
				c.ID, c.Version = 9, 1
				return nil
			}
			if err := dispatch.RequireVersion("Care address", c.ID, c.Version, stored.Version); err != nil {
				var de *dispatch.Error
				if dispatch.ErrorCode(err) == dispatch.EPRECONDITION {
					de = err.(*dispatch.Error)
					de.Detail["current"] = stored
				}
				return err
			}
			c.Version = stored.Version + 1
			return nil
		}
		return ts
	}

	t.Run("Match200", func(t *testing.T) {
		ts := newServer(t)
		w := ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/5", Role: dispatch.RoleDispatcher, Body: validCareBody,
			Header: map[string]string{"If-Match": `"4"`}})
		if w.Code != http.StatusOK || w.Header().Get("ETag") != `"5"` {
			t.Fatalf("Code=%d ETag=%q, want 200 \"5\"; body %s", w.Code, w.Header().Get("ETag"), w.Body)
		}
	})
	t.Run("Stale412", func(t *testing.T) {
		ts := newServer(t)
		w := ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/5", Role: dispatch.RoleDispatcher, Body: validCareBody,
			Header: map[string]string{"If-Match": `"3"`}})
		if w.Code != http.StatusPreconditionFailed || w.Header().Get("ETag") != `"4"` {
			t.Fatalf("Code=%d ETag=%q, want 412 \"4\"; body %s", w.Code, w.Header().Get("ETag"), w.Body)
		}
		p := problemOf(t, w)
		cur, _ := p["current"].(map[string]any)
		if p["code"] != dispatch.EPRECONDITION || p["current_version"] != float64(4) || cur == nil ||
			cur["full_name"] != "Ivanova Maria" || cur["version"] != float64(4) || cur["lat"] == nil {
			t.Fatalf("problem=%v, want code %s, current_version 4 and the current care address with lat/lon", p, dispatch.EPRECONDITION)
		}
	})
	t.Run("Missing428", func(t *testing.T) {
		ts := newServer(t)
		w := ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/5", Role: dispatch.RoleDispatcher, Body: validCareBody})
		if p := problemOf(t, w); w.Code != http.StatusPreconditionRequired || p["field"] != "If-Match" {
			t.Fatalf("Code=%d problem=%v, want 428 naming If-Match", w.Code, p)
		}
	})
	t.Run("Garbage400", func(t *testing.T) {
		ts := newServer(t)
		w := ts.do(t, call{Method: "PUT", Path: "/api/care-addresses/5", Role: dispatch.RoleDispatcher, Body: validCareBody,
			Header: map[string]string{"If-Match": `banana`}})
		if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "If-Match" {
			t.Fatalf("Code=%d problem=%v, want 422 naming If-Match", w.Code, p)
		}
	})
	t.Run("PostNeedsNone", func(t *testing.T) {
		ts := newServer(t)
		w := ts.do(t, call{Method: "POST", Path: "/api/care-addresses", Role: dispatch.RoleDispatcher, Body: validCareBody})
		if w.Code != http.StatusCreated {
			t.Fatalf("Code=%d, want 201 without If-Match for a new row; body %s", w.Code, w.Body)
		}
	})
	t.Run("StopMoveForwardsIfMatch", func(t *testing.T) {
		ts := MustServer(t, Config{})
		m := setPlanMocks(ts.Server)
		var got dispatch.StopEdit
		m.MoveStopFn = func(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) ([]int64, error) {
			got = edit
			return nil, dispatch.Stale("Stop", stopID, 8)
		}
		w := ts.do(t, call{Method: "POST", Path: "/api/stops/4/move", Role: dispatch.RoleDispatcher, Body: `{"route_id":3,"position":1}`,
			Header: map[string]string{"If-Match": `"7"`}})
		if w.Code != http.StatusPreconditionFailed || got.Expect != 7 || got.Schedule == nil {
			t.Fatalf("Code=%d Expect=%d Schedule=%v, want 412 with Expect 7 and ETAs recomputed in the store", w.Code, got.Expect, got.Schedule)
		}
	})
}

// TestRouteViewETag: a route's ETag changes when any of its stops changes.
func TestRouteViewETag(t *testing.T) {
	ts := MustServer(t, Config{})
	setPlanMocks(ts.Server)
	w := ts.do(t, call{Method: "GET", Path: "/api/routes/3", Role: dispatch.RoleDispatcher})
	var rt dispatch.Route
	if err := json.Unmarshal(w.Body.Bytes(), &rt); err != nil || w.Code != http.StatusOK {
		t.Fatalf("Code=%d err=%v", w.Code, err)
	}
	if got, want := w.Header().Get("ETag"), dispatch.RouteETag(&rt); got == "" || got != want {
		t.Fatalf("ETag=%q, want %q", got, want)
	}
}
