package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// leadStop is a stop as GET /api/teams/{id}/route shows it.
type leadStop struct {
	ID     int64  `json:"id"`
	Notes  string `json:"notes"`
	Active bool   `json:"active"`
	Visit  *struct {
		Name        string `json:"name"`
		Phone       string `json:"phone"`
		Entrance    string `json:"entrance"`
		Floor       string `json:"floor"`
		Flat        string `json:"flat"`
		AccessNotes string `json:"access_notes"`
		Immobile    bool   `json:"immobile"`
	} `json:"visit"`
}

// TestLeadSeesDoorDetailsOnlyWhileRouteRuns: a team lead sees entrance,
// floor, flat, access notes, the immobile flag and notes only on today's
// running route (the phone only at the active stop); before the start and
// after the finish the first name, on another day the address only. A
// dispatcher sees everything.
func TestLeadSeesDoorDetailsOnlyWhileRouteRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	ctx := context.Background()
	pool := st.db.Pool()
	var team int64
	if err := pool.QueryRow(ctx, `SELECT team_id FROM users WHERE username = 'lead1'`).Scan(&team); err != nil {
		t.Fatal(err)
	}
	astana := time.FixedZone("Asia/Astana", 5*3600)
	today := time.Now().In(astana).Format(time.DateOnly)
	yesterday := time.Now().In(astana).AddDate(0, 0, -1).Format(time.DateOnly)
	route := func(day, status string) int64 {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO routes (team_id, day, status) VALUES ($1, $2, $3) RETURNING id`, team, day, status).Scan(&id); err != nil {
			t.Fatal(err)
		}
		rows, err := pool.Query(ctx, `SELECT id FROM care_addresses WHERE flat <> '' AND entrance <> '' ORDER BY id LIMIT 2`)
		if err != nil {
			t.Fatal(err)
		}
		var cares []int64
		for rows.Next() {
			var c int64
			_ = rows.Scan(&c)
			cares = append(cares, c)
		}
		rows.Close()
		if len(cares) < 2 {
			t.Fatal("demo has no care addresses with entrance and flat")
		}
		for i, c := range cares {
			var req int64
			if err := pool.QueryRow(ctx, `INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority, service_minutes, notes, status, due_day)
				SELECT 'food_delivery', id, address_text, location, district_id, 'hotline', 'normal', 20, 'ring twice, the dog is kind', 'assigned', $2::date
				FROM care_addresses WHERE id = $1 RETURNING id`, c, day).Scan(&req); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `UPDATE care_addresses SET access_notes = 'code 4512', immobile = true WHERE id = $1`, c); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `INSERT INTO stops (route_id, request_id, seq) VALUES ($1, $2, $3)`, id, req, i+1); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	running := route(today, "in_progress")
	route(yesterday, "finished")

	a := startInstance(t, st.bin, st.env)
	lead := login(t, a.url, "lead1", "lead-demo")
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	get := func(c *client, day string) []leadStop {
		var r struct{ Stops []leadStop }
		q := ""
		if day != "" {
			q = "?day=" + day
		}
		c.do("GET", fmt.Sprintf("/api/teams/%d/route%s", team, q), nil, nil, http.StatusOK, &r)
		if len(r.Stops) != 2 {
			t.Fatalf("stops=%d, want 2", len(r.Stops))
		}
		return r.Stops
	}
	doorShown := func(s leadStop) bool {
		return s.Notes != "" || (s.Visit != nil && (s.Visit.Entrance != "" || s.Visit.Floor != "" || s.Visit.Flat != "" || s.Visit.AccessNotes != "" || s.Visit.Immobile))
	}

	// Today, running: door details on every stop, the phone at the active one.
	stops := get(lead, "")
	for i, s := range stops {
		if s.Visit == nil || s.Visit.Flat == "" || s.Visit.Entrance == "" || s.Visit.AccessNotes == "" || !s.Visit.Immobile || s.Notes == "" {
			t.Errorf("running route, stop %d: %+v notes=%q, want door details", i, s.Visit, s.Notes)
		}
		if s.Visit != nil && (s.Visit.Phone != "") != s.Active {
			t.Errorf("running route, stop %d: phone=%q active=%v, want the phone only at the active stop", i, s.Visit.Phone, s.Active)
		}
	}
	// Yesterday: addresses only.
	for i, s := range get(lead, yesterday) {
		if s.Visit != nil || s.Notes != "" {
			t.Errorf("past day, stop %d: visit=%+v notes=%q, want the address only", i, s.Visit, s.Notes)
		}
	}
	// Finished: the details are gone, the first name stays.
	if _, err := pool.Exec(ctx, `UPDATE routes SET status = 'finished', finished_at = now() WHERE id = $1`, running); err != nil {
		t.Fatal(err)
	}
	for i, s := range get(lead, "") {
		if doorShown(s) || s.Visit == nil || s.Visit.Phone != "" || s.Visit.Name == "" {
			t.Errorf("finished route, stop %d: %+v notes=%q, want first name only", i, s.Visit, s.Notes)
		}
	}
	// The dispatcher sees all of it, any day.
	for i, s := range get(disp, yesterday) {
		if !doorShown(s) || s.Visit.Phone == "" {
			t.Errorf("dispatcher, stop %d: %+v, want everything", i, s.Visit)
		}
	}
}

// TestVisitWithoutConsentNeedsApproval: the planner leaves a request for a
// pensioner without recorded consent unassigned, with the reason, until a
// dispatcher approves the visit.
func TestVisitWithoutConsentNeedsApproval(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	ctx := context.Background()
	pool := st.db.Pool()
	day := time.Now().In(time.FixedZone("Asia/Astana", 5*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	var reqID int64
	if err := pool.QueryRow(ctx, `WITH c AS (UPDATE care_addresses SET consent = false
			WHERE id = (SELECT id FROM care_addresses WHERE active ORDER BY id LIMIT 1) RETURNING *)
		INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority, service_minutes, due_day)
		SELECT 'other', id, address_text, location, district_id, 'hotline', 'normal', 20, $1::date FROM c RETURNING id`, day).Scan(&reqID); err != nil {
		t.Fatal(err)
	}
	a := startInstance(t, st.bin, st.env)
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	plan := func() {
		var job struct {
			JobID int64 `json:"job_id"`
		}
		disp.do("POST", "/api/plans", map[string]any{"day": day, "kinds": []string{"other"}, "time_limit_s": 1}, nil, http.StatusAccepted, &job)
		for i := 0; i < 120; i++ {
			var st struct{ Status, Message string }
			disp.do("GET", fmt.Sprintf("/api/plans/%d", job.JobID), nil, nil, http.StatusOK, &st)
			if st.Status == "done" {
				return
			}
			if st.Status == "failed" {
				t.Fatalf("planning failed: %s", st.Message)
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Fatal("planning did not finish")
	}
	var req struct {
		Status           string `json:"status"`
		UnassignedReason string `json:"unassigned_reason"`
	}
	plan()
	disp.do("GET", fmt.Sprintf("/api/requests/%d", reqID), nil, nil, http.StatusOK, &req)
	if req.Status != "new" || req.UnassignedReason == "" {
		t.Fatalf("request without consent after planning: %+v, want new with the reason", req)
	}
	t.Logf("reason: %s", req.UnassignedReason)
	login(t, a.url, "hotline", "hotline-demo").do("POST", fmt.Sprintf("/api/requests/%d/approve-visit", reqID), nil, nil, http.StatusForbidden, nil)
	disp.do("POST", fmt.Sprintf("/api/requests/%d/approve-visit", reqID), nil, nil, http.StatusOK, nil)
	plan()
	disp.do("GET", fmt.Sprintf("/api/requests/%d", reqID), nil, nil, http.StatusOK, &req)
	if req.Status != "planned" {
		t.Fatalf("approved request after planning: %+v, want planned", req)
	}
	var who string
	if err := pool.QueryRow(ctx, `SELECT u.username FROM audit_log a JOIN users u ON u.id = a.user_id
		WHERE a.action = 'request.visit_approved' AND a.object_id = $1`, reqID).Scan(&who); err != nil || who != "dispatcher" {
		t.Fatalf("audit of the approval: user %q err %v, want dispatcher", who, err)
	}
}
