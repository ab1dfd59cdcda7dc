package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuditTrailAndErasure: state changes and reads of personal data land
// in the audit trail with actor, action, object and source address; admins
// search and export it, nobody else may; erasing a pensioner leaves no
// trace of their name, phone or address in any table (event payloads
// included) while their requests still count.
func TestAuditTrailAndErasure(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	ctx := context.Background()
	pool := st.db.Pool()
	a := startInstance(t, st.bin, st.env)
	admin := login(t, a.url, "admin", "admin-demo")
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	hot := login(t, a.url, "hotline", "hotline-demo")

	var careID int64
	var name, phone, address, digits string
	if err := pool.QueryRow(ctx, `SELECT id, full_name, phone, address_text, phone_digits FROM care_addresses
		WHERE phone <> '' AND flat <> '' ORDER BY id LIMIT 1`).Scan(&careID, &name, &phone, &address, &digits); err != nil {
		t.Fatal(err)
	}
	// The hotline finds the pensioner by phone and files a request with notes.
	hot.do("GET", "/api/geocode?q="+url.QueryEscape(phone), nil, nil, http.StatusOK, nil)
	var lat, lon float64
	if err := pool.QueryRow(ctx, `SELECT ST_Y(location::geometry), ST_X(location::geometry) FROM care_addresses WHERE id = $1`, careID).Scan(&lat, &lon); err != nil {
		t.Fatal(err)
	}
	var req struct{ ID int64 }
	hot.do("POST", "/api/requests", map[string]any{"kind": "other", "care_address_id": careID, "address": address, "lat": lat, "lon": lon,
		"notes": "Call " + name + " first: " + phone, "force": true}, nil, http.StatusCreated, &req)
	disp.do("POST", fmt.Sprintf("/api/requests/%d/status", req.ID), map[string]string{"status": "cancelled"}, nil, http.StatusOK, nil)
	admin.do("GET", "/api/volunteers?limit=5", nil, nil, http.StatusOK, nil)
	var u struct{ ID int64 }
	admin.do("POST", "/api/users", map[string]any{"username": "aud-user", "role": "hotline", "password": "long-enough-1"}, nil, http.StatusCreated, &u)
	admin.do("PUT", fmt.Sprintf("/api/users/%d", u.ID), map[string]any{"role": "dispatcher"}, map[string]string{"If-Match": `"1"`}, http.StatusOK, nil)

	type page struct {
		Items []struct {
			Actor      string `json:"actor"`
			Action     string `json:"action"`
			ObjectType string `json:"object_type"`
			Source     string `json:"source"`
			ObjectID   *int64 `json:"object_id"`
		} `json:"items"`
		Total int `json:"total"`
	}
	find := func(q string) page {
		var p page
		admin.do("GET", "/api/audit?"+q, nil, nil, http.StatusOK, &p)
		return p
	}
	expect := func(q, actor, action, objType string, objID int64) {
		t.Helper()
		for _, it := range find(q).Items {
			if it.Actor == actor && it.Action == action && it.ObjectType == objType && (objID == 0 || (it.ObjectID != nil && *it.ObjectID == objID)) {
				want := "127.0.0.1"
				if actor == "" {
					want = "command line"
				}
				if it.Source != want {
					t.Errorf("%s %s: source=%q, want %q", actor, action, it.Source, want)
				}
				return
			}
		}
		t.Errorf("no audit row %s %s %s %d for ?%s", actor, action, objType, objID, q)
	}
	expect("actor=hotline&action=read&object_type=care_address", "hotline", "read", "care_address", careID)
	expect("actor=hotline&action=request.created", "hotline", "request.created", "request", req.ID)
	expect("actor=dispatcher&action=request.", "dispatcher", "request.status_changed", "request", req.ID)
	expect("actor=admin&action=read&object_type=volunteer", "admin", "read", "volunteer", 0)
	expect("action=user.role_changed", "admin", "user.role_changed", "user", u.ID)
	expect("action=login&actor=dispatcher", "dispatcher", "login", "user", 0)
	var actor *int64
	if err := pool.QueryRow(ctx, `SELECT actor_id FROM events WHERE type = 'request.status_changed' AND entity_id = $1`, req.ID).Scan(&actor); err != nil || actor == nil {
		t.Errorf("the cancel event has no actor (%v)", err)
	}
	disp.do("GET", "/api/audit", nil, nil, http.StatusForbidden, nil)
	disp.do("GET", "/security", nil, nil, http.StatusForbidden, nil)
	csvBody := string(admin.do("GET", "/api/audit.csv?action=user.", nil, nil, http.StatusOK, nil))
	if !strings.HasPrefix(csvBody, "id,at,actor_id,actor,action,object_type,object_id,source,detail\n") || !strings.Contains(csvBody, ",user.role_changed,user,") {
		t.Errorf("CSV export:\n%s\nwant the header and the role change", csvBody)
	}
	if page := string(admin.do("GET", "/security?action=user.", nil, nil, http.StatusOK, nil)); !strings.Contains(page, "user.role_changed") {
		t.Errorf("the security page does not list the role change")
	}

	// Erasure from the command line.
	var before int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM requests WHERE care_address_id = $1`, careID).Scan(&before); err != nil {
		t.Fatal(err)
	}
	out := runQamqor(t, st.bin, st.env, "privacy", "erase", "--care-address", fmt.Sprint(careID))
	var rep struct {
		Rows map[string]int64 `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Rows["care_addresses"] != 1 || rep.Rows["events"] == 0 {
		t.Fatalf("erase output %q (%v), want a report with the care address and its events", out, err)
	}
	// No column of any table still holds the name, the phone or the
	// address. (The gazetteer and the road network are the city's public
	// address and street lists, from OpenStreetMap; a house there says
	// nothing about who lives in it.)
	rows, err := pool.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'jsonb', 'character varying')
		AND table_name NOT IN ('gazetteer', 'road_vertices', 'road_edges', 'road_imports', 'districts')`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		_ = rows.Scan(&c.table, &c.column)
		cols = append(cols, c)
	}
	rows.Close()
	for _, c := range cols {
		for _, needle := range []string{name, phone, address, digits} {
			var n int
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q::text ILIKE '%%' || $1 || '%%'`, c.table, c.column)
			if err := pool.QueryRow(ctx, q, needle).Scan(&n); err != nil {
				t.Fatalf("%s.%s: %v", c.table, c.column, err)
			}
			if n > 0 {
				t.Errorf("%s.%s still holds %q in %d rows", c.table, c.column, needle, n)
			}
		}
	}
	var after int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM requests WHERE care_address_id = $1`, careID).Scan(&after); err != nil || after != before {
		t.Errorf("requests of the erased address=%d, want %d still counted", after, before)
	}
	// The erasure itself is audited, without the data.
	expect("action=privacy.erase", "", "privacy.erase", "care_address", careID)

	// Erasure through the API: admins only.
	var other int64
	if err := pool.QueryRow(ctx, `SELECT id FROM care_addresses WHERE erased_at IS NULL ORDER BY id LIMIT 1`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	disp.do("POST", "/api/privacy/erase", map[string]int64{"care_address_id": other}, nil, http.StatusForbidden, nil)
	admin.do("POST", "/api/privacy/erase", map[string]int64{"care_address_id": other}, nil, http.StatusOK, nil)
	admin.do("POST", "/api/privacy/erase", map[string]int64{"care_address_id": 99999999}, nil, http.StatusNotFound, nil)
	var erased string
	if err := pool.QueryRow(ctx, `SELECT full_name FROM care_addresses WHERE id = $1`, other).Scan(&erased); err != nil || erased != "[erased]" {
		t.Errorf("after the API erasure name=%q (%v)", erased, err)
	}
}
