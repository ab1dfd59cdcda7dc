package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestEndToEnd runs two server instances against one real PostGIS schema:
// the hotline files requests and a dispatcher opens a snowfall campaign on
// instance A, plans and publishes, the field marks stops done and not home,
// and a dispatcher's websocket on instance B sees every event in order,
// reconnects with since and misses nothing.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	db := st.db
	ctx := context.Background()
	a := startInstance(t, st.bin, st.env)
	b := startInstance(t, st.bin, st.env)

	dispA := login(t, a.url, "dispatcher", "dispatcher-demo")
	dispB := login(t, b.url, "dispatcher", "dispatcher-demo")
	hot := login(t, a.url, "hotline", "hotline-demo")

	start, err := db.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws := dialWS(t, dispB, start)
	if hello := <-ws.events; hello.Type != "hello" {
		t.Fatalf("first message=%+v, want hello", hello)
	}

	// The hotline files two requests; a retry with the same key is a no-op.
	var cands []struct {
		Lat, Lon float64
		Label    string
	}
	hot.do("GET", "/api/geocode?q="+url.QueryEscape("Кенесары 40"), nil, nil, http.StatusOK, &cands)
	if len(cands) == 0 || !strings.Contains(cands[0].Label, "Кенесары") {
		t.Fatalf("geocode Кенесары 40 = %+v", cands)
	}
	body := map[string]any{"kind": "snow_clearing", "address": cands[0].Label, "lat": cands[0].Lat, "lon": cands[0].Lon, "priority": "urgent"}
	var r1, r1again struct{ ID int64 }
	hot.do("POST", "/api/requests", body, map[string]string{"Idempotency-Key": "e2e-1"}, http.StatusCreated, &r1)
	hot.do("POST", "/api/requests", body, map[string]string{"Idempotency-Key": "e2e-1"}, http.StatusOK, &r1again)
	if r1again.ID != r1.ID {
		t.Fatalf("retry id=%d, want %d", r1again.ID, r1.ID)
	}
	hot.do("POST", "/api/requests", body, nil, http.StatusConflict, nil)

	// A snowfall campaign for tomorrow, whole city.
	day := time.Now().In(time.FixedZone("Asia/Astana", 5*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	var camp struct {
		ID              int64 `json:"id"`
		RequestsCreated int   `json:"requests_created"`
	}
	dispA.do("POST", "/api/campaigns", map[string]any{"kind": "snowfall", "day": day, "snowfall_cm": 12}, nil, http.StatusCreated, &camp)
	if camp.RequestsCreated < 50 {
		t.Fatalf("campaign created %d requests, want the demo's snow addresses", camp.RequestsCreated)
	}
	var again struct {
		Created int `json:"created"`
	}
	dispA.do("POST", fmt.Sprintf("/api/campaigns/%d/run", camp.ID), nil, nil, http.StatusOK, &again)
	if again.Created != 0 {
		t.Fatalf("re-running the campaign created %d, want 0", again.Created)
	}

	// Plan tomorrow and wait for the job.
	plan := func() {
		var job struct {
			JobID int64 `json:"job_id"`
		}
		dispA.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 5}, nil, http.StatusAccepted, &job)
		for i := 0; i < 120; i++ {
			var st struct{ Status, Message string }
			dispA.do("GET", fmt.Sprintf("/api/plans/%d", job.JobID), nil, nil, http.StatusOK, &st)
			if st.Status == "done" {
				return
			}
			if st.Status == "failed" {
				t.Fatalf("planning failed: %s", st.Message)
			}
			time.Sleep(500 * time.Millisecond)
		}
		t.Fatal("planning did not finish in 60 s")
	}
	plan()
	type stopJSON struct {
		ID        int64  `json:"id"`
		RequestID int64  `json:"request_id"`
		Status    string `json:"status"`
	}
	type routeJSON struct {
		ID     int64      `json:"id"`
		TeamID int64      `json:"team_id"`
		Status string     `json:"status"`
		Stops  []stopJSON `json:"stops"`
		Path   [][2]float64
	}
	var drafts []routeJSON
	dispA.do("GET", "/api/routes?day="+day+"&status=draft", nil, nil, http.StatusOK, &drafts)
	if len(drafts) < 5 {
		t.Fatalf("drafts=%d, want routes for several teams", len(drafts))
	}
	ids := []int64{}
	for _, r := range drafts {
		ids = append(ids, r.ID)
		if len(r.Path) < 2 {
			t.Errorf("route %d has no geometry", r.ID)
		}
	}
	dispA.do("POST", "/api/routes/publish", map[string]any{"route_ids": ids}, nil, http.StatusOK, nil)

	// The field (a dispatcher acting for the team) marks one stop done and,
	// at a pensioner's door, another not home.
	var route routeJSON
	for _, r := range drafts {
		if len(r.Stops) >= 3 {
			route = r
			break
		}
	}
	if route.ID == 0 {
		t.Fatal("no route with 3 stops")
	}
	done := route.Stops[0]
	dispA.do("POST", fmt.Sprintf("/api/stops/%d/status", done.ID), map[string]any{"status": "done"}, map[string]string{"Idempotency-Key": "e2e-done"}, http.StatusOK, nil)
	dispA.do("POST", fmt.Sprintf("/api/stops/%d/status", done.ID), map[string]any{"status": "done"}, map[string]string{"Idempotency-Key": "e2e-done"}, http.StatusOK, nil)
	dispA.do("POST", fmt.Sprintf("/api/stops/%d/status", done.ID), map[string]any{"status": "arrived"}, map[string]string{"Idempotency-Key": "e2e-illegal"}, http.StatusConflict, nil)
	var notHome stopJSON
	for _, s := range route.Stops[1:] {
		var req struct {
			CareAddressID *int64 `json:"care_address_id"`
		}
		dispA.do("GET", fmt.Sprintf("/api/requests/%d", s.RequestID), nil, nil, http.StatusOK, &req)
		if req.CareAddressID != nil {
			notHome = s
			break
		}
	}
	if notHome.ID == 0 {
		t.Fatal("no stop at a care address on the route")
	}
	var upd struct {
		AlertID *int64 `json:"alert_id"`
	}
	dispA.do("POST", fmt.Sprintf("/api/stops/%d/status", notHome.ID), map[string]any{"status": "not_home", "note": "no answer"}, map[string]string{"Idempotency-Key": "e2e-nothome"}, http.StatusOK, &upd)
	if upd.AlertID == nil {
		t.Fatal("not home at a pensioner's door raised no alert")
	}
	var alerts []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	dispB.do("GET", "/api/alerts?status=open", nil, nil, http.StatusOK, &alerts)
	found := false
	for _, al := range alerts {
		found = found || (al.ID == *upd.AlertID && al.Status == "open")
	}
	if !found {
		t.Fatalf("alert %d not open on instance B: %+v", *upd.AlertID, alerts)
	}

	// Instance B's websocket saw everything so far, in order; drop it.
	first := ws.collect(t, "alert.raised", 30*time.Second)
	ws.conn.Close()
	last := first[len(first)-1].ID

	// Re-plan while disconnected; done stops stay, and the reconnecting
	// client gets exactly what it missed.
	plan()
	ws2 := dialWS(t, dispB, last)
	if hello := <-ws2.events; hello.Type != "hello" {
		t.Fatalf("first message after reconnect=%+v, want hello", hello)
	}
	second := ws2.collect(t, "plan.finished", 30*time.Second)
	ws2.conn.Close()

	all := append(first, second...)
	want, err := db.EventsSince(ctx, start, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var wantUpTo []int64
	for _, e := range want {
		if e.ID <= all[len(all)-1].ID {
			wantUpTo = append(wantUpTo, e.ID)
		}
	}
	var got []int64
	for _, e := range all {
		if e.ID != 0 {
			got = append(got, e.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantUpTo) {
		t.Fatalf("websocket on instance B saw %d events %v..., want exactly the %d committed, in order", len(got), head(got), len(wantUpTo))
	}
	types := map[string]bool{}
	for _, e := range all {
		types[e.Type] = true
	}
	for _, ty := range []string{"request.created", "campaign.opened", "plan.finished", "route.published", "stop.updated", "alert.raised"} {
		if !types[ty] {
			t.Errorf("no %s event reached instance B", ty)
		}
	}

	var after routeJSON
	dispA.do("GET", fmt.Sprintf("/api/routes/%d", route.ID), nil, nil, http.StatusOK, &after)
	if len(after.Stops) == 0 || after.Stops[0].ID != done.ID || after.Stops[0].Status != "done" {
		t.Fatalf("after re-planning the first stop=%+v, want done stop %d kept", after.Stops, done.ID)
	}
}

func head(ids []int64) []int64 {
	if len(ids) > 10 {
		return ids[:10]
	}
	return ids
}
