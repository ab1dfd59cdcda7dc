package main

// The chaos suite: real `qamqor serve` processes against real PostGIS,
// killed with SIGKILL, stopped with SIGTERM, or cut off from the database by
// a TCP proxy (never by stopping the shared cluster). README "Reliability"
// lists what each scenario guarantees; run them with
//
//	go test ./cmd/qamqor -run Chaos -v

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// tomorrow is the day the chaos tests plan (Astana time).
func tomorrow() string {
	return time.Now().In(time.FixedZone("Asia/Astana", 5*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
}

type planJob struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Progress int    `json:"progress"`
	Message  string `json:"message"`
}

func (c *client) planJob(id int64) planJob {
	var j planJob
	c.do("GET", fmt.Sprintf("/api/plans/%d", id), nil, nil, http.StatusOK, &j)
	return j
}

// snowDay opens a snowfall campaign for day so the planner has work.
func snowDay(t *testing.T, disp *client, day string) {
	t.Helper()
	var camp struct {
		RequestsCreated int `json:"requests_created"`
	}
	disp.do("POST", "/api/campaigns", map[string]any{"kind": "snowfall", "day": day, "snowfall_cm": 12}, nil, http.StatusCreated, &camp)
	if camp.RequestsCreated < 50 {
		t.Fatalf("campaign created %d requests, want the demo's snow addresses", camp.RequestsCreated)
	}
}

// TestChaosKillDuringPlanning: the process solving a plan is killed with
// SIGKILL. After a restart the interrupted job runs again (or fails) and
// the day can be planned again within 60 s; before the job queue, the day
// answered 409 for ten minutes.
func TestChaosKillDuringPlanning(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	a := startInstance(t, st.bin, st.env)
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	day := tomorrow()
	snowDay(t, disp, day)

	var started struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 8}, nil, http.StatusAccepted, &started)
	// Wait until the solver is at work, then kill the process.
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := disp.planJob(started.JobID)
		if j.Status == "running" && j.Progress >= 30 {
			break
		}
		if j.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("job before the kill: %+v, want running and solving", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()

	b := startInstance(t, st.bin, st.env)
	restarted := time.Now()
	disp = login(t, b.url, "dispatcher", "dispatcher-demo")
	var final planJob
	for {
		final = disp.planJob(started.JobID)
		if final.Status != "running" {
			break
		}
		if time.Since(restarted) > 60*time.Second {
			t.Fatalf("interrupted job still running 60 s after the restart: %+v", final)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("interrupted job ended %s after the restart: %+v", time.Since(restarted).Round(100*time.Millisecond), final)
	if final.Status != "done" {
		t.Fatalf("interrupted job=%+v, want done on its second attempt", final)
	}
	var again struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 1}, nil, http.StatusAccepted, &again)
	if since := time.Since(restarted); since > 60*time.Second {
		t.Fatalf("day plannable again only %v after the restart, want within 60 s", since)
	}
	for disp.planJob(again.JobID).Status == "running" {
		if time.Since(restarted) > 120*time.Second {
			t.Fatal("the new plan did not finish")
		}
		time.Sleep(250 * time.Millisecond)
	}
	if j := disp.planJob(again.JobID); j.Status != "done" {
		t.Fatalf("new plan=%+v, want done", j)
	}
}

// TestChaosGracefulShutdown: SIGTERM closes every websocket with 1001
// (going away), answers requests in flight, and hands a running plan back
// to the queue; the next process finishes it.
func TestChaosGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	// Shut down sooner than the solve ends so the plan is handed back.
	env := append(append([]string(nil), st.env...), "QAMQOR_SHUTDOWN_TIMEOUT=1s")
	a := startInstance(t, st.bin, env)
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	day := tomorrow()
	snowDay(t, disp, day)
	ws := dialWS(t, disp, 0)

	var started struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 20}, nil, http.StatusAccepted, &started)
	deadline := time.Now().Add(30 * time.Second)
	for j := disp.planJob(started.JobID); j.Progress < 30; j = disp.planJob(started.JobID) {
		if j.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("job before SIGTERM: %+v", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopAt := time.Now()
	if err := a.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The websocket ends with a close frame 1001.
	for range ws.events {
	}
	if ws.closeCode != websocket.CloseGoingAway {
		t.Fatalf("websocket close code=%d, want 1001 going away", ws.closeCode)
	}
	if err := a.cmd.Wait(); err != nil {
		t.Fatalf("server exit after SIGTERM: %v", err)
	}
	if d := time.Since(stopAt); d > 15*time.Second {
		t.Fatalf("shutdown took %v", d)
	}

	b := startInstance(t, st.bin, st.env)
	disp = login(t, b.url, "dispatcher", "dispatcher-demo")
	restarted := time.Now()
	for disp.planJob(started.JobID).Status == "running" {
		if time.Since(restarted) > 60*time.Second {
			t.Fatalf("handed-back plan not finished 60 s after the restart: %+v", disp.planJob(started.JobID))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if j := disp.planJob(started.JobID); j.Status != "done" {
		t.Fatalf("handed-back plan=%+v, want done", j)
	}
}

// try sends a request and reports what came back, without failing the test
// (status 0: no answer at all).
func (c *client) try(method, path string, body any, hdr map[string]string) (int, http.Header, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", c.base)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// submission is one hotline request sent with an Idempotency-Key until it
// is acknowledged.
type submission struct {
	key   string
	body  map[string]any
	id    int64 // 0 until acknowledged
	seen  []int
	retry bool
}

func newSubmission(prefix string, i int) *submission {
	return &submission{key: fmt.Sprintf("%s-%d", prefix, i), body: map[string]any{
		"kind": "snow_clearing", "address": fmt.Sprintf("Chaos street %d", i),
		"lat": 51.10 + float64(i%40)*0.002, "lon": 71.40 + float64(i/40)*0.003,
		"priority": "normal", "force": true,
	}}
}

// send posts the submission once; it reports whether it was acknowledged.
// Any status but 201, 200 (a replay) and 503 (an outage) fails the test.
func (s *submission) send(t *testing.T, c *client) bool {
	st, hdr, b := c.try("POST", "/api/requests", s.body, map[string]string{"Idempotency-Key": s.key})
	s.seen = append(s.seen, st)
	switch st {
	case http.StatusCreated, http.StatusOK:
		var r struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(b, &r); err != nil || r.ID == 0 {
			t.Errorf("submission %s: %d with body %s", s.key, st, b)
			return false
		}
		if s.id != 0 && s.id != r.ID {
			t.Errorf("submission %s acknowledged as %d, then %d", s.key, s.id, r.ID)
		}
		s.id = r.ID
		return true
	case http.StatusServiceUnavailable:
		if hdr.Get("Retry-After") == "" {
			t.Errorf("submission %s: 503 without Retry-After", s.key)
		}
		var p struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(b, &p) != nil || p.Code != "unavailable" {
			t.Errorf("submission %s: 503 body %s, want a problem with code unavailable", s.key, b)
		}
	case 0: // no answer (the process was killed): retried later
	default:
		t.Errorf("submission %s: status %d (%s), want 201, 200 or 503", s.key, st, b)
	}
	s.retry = true
	return false
}

// checkExactlyOnce: every submission is one request row, with the id it was
// acknowledged with.
func checkExactlyOnce(t *testing.T, st *stack, subs []*submission) {
	t.Helper()
	ctx := context.Background()
	for _, s := range subs {
		if s.id == 0 {
			t.Errorf("submission %s never acknowledged (statuses %v)", s.key, s.seen)
			continue
		}
		var n int
		var id int64
		if err := st.db.Pool().QueryRow(ctx, `SELECT count(*), coalesce(max(id), 0) FROM requests WHERE address_text = $1`, s.body["address"]).Scan(&n, &id); err != nil {
			t.Fatal(err)
		}
		if n != 1 || id != s.id {
			t.Errorf("submission %s: %d rows (id %d), want exactly one with id %d", s.key, n, id, s.id)
		}
	}
}

// retryAll resends every unacknowledged submission (same key) until it is
// acknowledged or the deadline passes.
func retryAll(t *testing.T, c *client, subs []*submission, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, s := range subs {
		for s.id == 0 && time.Now().Before(deadline) {
			if !s.send(t, c) {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
}

// TestChaosKillDuringHotlineBurst: the server is killed with SIGKILL in the
// middle of a burst of hotline submissions. The hotline retries whatever
// was not acknowledged, with the same keys, on the restarted server: every
// submission then exists exactly once, with the id it was acknowledged with.
func TestChaosKillDuringHotlineBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	a := startInstance(t, st.bin, st.env)
	hot := login(t, a.url, "hotline", "hotline-demo")
	var subs []*submission
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s := newSubmission("burst", i)
			mu.Lock()
			subs = append(subs, s)
			mu.Unlock()
			if !s.send(t, hot) && s.seen[len(s.seen)-1] == 0 {
				return // no answer: the operator waits for the server
			}
		}
	}()
	time.Sleep(3 * time.Second)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-done
	acked := 0
	for _, s := range subs {
		if s.id != 0 {
			acked++
		}
	}
	t.Logf("%d submissions, %d acknowledged before the kill", len(subs), acked)
	if acked == 0 || acked == len(subs) {
		t.Fatalf("acknowledged %d of %d: the kill did not land mid-burst", acked, len(subs))
	}
	b := startInstance(t, st.bin, st.env)
	hot = login(t, b.url, "hotline", "hotline-demo")
	retryAll(t, hot, subs, 60*time.Second)
	// Acknowledged ones replayed with their keys give the same ids.
	for _, s := range subs[:min(5, len(subs))] {
		s.send(t, hot)
	}
	checkExactlyOnce(t, st, subs)
}

// TestChaosDatabaseOutage: the database is unreachable for 10 s while the
// hotline submits requests and a dispatcher watches the live feed. The
// server answers 503 with Retry-After (never 500), /readyz fails, and once
// the database is back the server serves again without a restart; every
// submission exists exactly once after retries with the same keys, and the
// websocket client misses no event.
func TestChaosDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	proxy := newTCPProxy(t, dbHostPort(t, st.env))
	inst := startInstance(t, st.bin, viaProxy(t, st.env, proxy))
	hot := login(t, inst.url, "hotline", "hotline-demo")
	disp := login(t, inst.url, "dispatcher", "dispatcher-demo")
	ctx := context.Background()
	start, err := st.db.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws := dialWS(t, disp, start)

	var subs []*submission
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s := newSubmission("outage", i)
			subs = append(subs, s)
			s.send(t, hot)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	time.Sleep(2 * time.Second)
	proxy.Cut()
	cutAt := time.Now()
	notReady := false
	for time.Since(cutAt) < 10*time.Second {
		if code, _, _ := hot.try("GET", "/readyz", nil, nil); code == http.StatusServiceUnavailable {
			notReady = true
		}
		time.Sleep(500 * time.Millisecond)
	}
	proxy.Restore()
	restored := time.Now()
	for {
		code, _, _ := hot.try("GET", "/readyz", nil, nil)
		if code == http.StatusOK {
			break
		}
		if time.Since(restored) > 30*time.Second {
			t.Fatalf("not ready 30 s after the database returned (readyz %d)", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("ready again %v after the database returned", time.Since(restored).Round(100*time.Millisecond))
	time.Sleep(2 * time.Second) // traffic after the recovery
	close(stop)
	<-done
	if !notReady {
		t.Error("/readyz never failed while the database was unreachable")
	}
	unavailable := 0
	for _, s := range subs {
		for _, code := range s.seen {
			if code == http.StatusServiceUnavailable {
				unavailable++
			}
		}
	}
	t.Logf("%d submissions, %d answers 503 during the outage", len(subs), unavailable)
	if unavailable == 0 {
		t.Fatal("no 503 during the outage: the traffic did not hit it")
	}
	retryAll(t, hot, subs, 60*time.Second)
	checkExactlyOnce(t, st, subs)

	// The live feed: every event committed since the client connected
	// arrives, in order, without gaps (reconnecting with since if the
	// server closed the socket).
	last, err := st.db.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := st.db.EventsSince(ctx, start, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	cursor := start
	deadline := time.After(60 * time.Second)
	for cursor < last {
		select {
		case e, ok := <-ws.events:
			if !ok {
				ws = dialWS(t, disp, cursor)
				continue
			}
			if e.ID > 0 {
				got = append(got, e.ID)
				cursor = e.ID
			}
		case <-deadline:
			t.Fatalf("websocket at event %d, want %d, 60 s after the recovery", cursor, last)
		}
	}
	var wantIDs []int64
	for _, e := range want {
		if e.ID <= last {
			wantIDs = append(wantIDs, e.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
		t.Fatalf("websocket got %d events, want %d (missed or repeated some)", len(got), len(wantIDs))
	}
}

type fieldStop struct {
	ID        int64  `json:"id"`
	RequestID int64  `json:"request_id"`
	Status    string `json:"status"`
}

type fieldRoute struct {
	ID     int64       `json:"id"`
	Status string      `json:"status"`
	Stops  []fieldStop `json:"stops"`
}

// planDay plans day and waits for the job; it returns the job's result.
func planDay(t *testing.T, disp *client, day string, limit float64, during func(jobID int64)) map[string]any {
	t.Helper()
	var started struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": limit}, nil, http.StatusAccepted, &started)
	if during != nil {
		during(started.JobID)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		var j struct {
			Status  string         `json:"status"`
			Message string         `json:"message"`
			Result  map[string]any `json:"result"`
		}
		disp.do("GET", fmt.Sprintf("/api/plans/%d", started.JobID), nil, nil, http.StatusOK, &j)
		if j.Status == "done" {
			return j.Result
		}
		if j.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("plan job %d: %s (%s)", started.JobID, j.Status, j.Message)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// publishAll publishes the day's drafts and returns the live routes.
func publishAll(t *testing.T, disp *client, day string) []fieldRoute {
	t.Helper()
	var drafts []fieldRoute
	disp.do("GET", "/api/routes?day="+day+"&status=draft", nil, nil, http.StatusOK, &drafts)
	var ids []int64
	for _, r := range drafts {
		ids = append(ids, r.ID)
	}
	disp.do("POST", "/api/routes/publish", map[string]any{"route_ids": ids}, nil, http.StatusOK, nil)
	var live []fieldRoute
	disp.do("GET", "/api/routes?day="+day+"&status=published", nil, nil, http.StatusOK, &live)
	return live
}

// noRequestOnTwoRoutes checks the database: at most one stop to visit,
// being visited or visited per request.
func noRequestOnTwoRoutes(t *testing.T, st *stack) {
	t.Helper()
	var n int
	if err := st.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM (SELECT request_id FROM stops
		WHERE status IN ('pending', 'arrived', 'done') GROUP BY request_id HAVING count(*) > 1) d`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d requests are on two routes (or done and pending again)", n)
	}
}

// TestChaosPlanWhileFieldMarksDone: a dispatcher re-plans the day while the
// field marks stops of the live routes done. Nothing done is undone or
// duplicated, and the plan's result lists those stops as kept.
func TestChaosPlanWhileFieldMarksDone(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	inst := startInstance(t, st.bin, st.env)
	disp := login(t, inst.url, "dispatcher", "dispatcher-demo")
	field := login(t, inst.url, "dispatcher", "dispatcher-demo") // acting for the teams
	day := tomorrow()
	snowDay(t, disp, day)
	planDay(t, disp, day, 2, nil)
	live := publishAll(t, disp, day)
	var marked []fieldStop
	result := planDay(t, disp, day, 20, func(jobID int64) {
		// Once the solver works from its snapshot, the field marks the
		// first pending stop of each live route done.
		deadline := time.Now().Add(30 * time.Second)
		for disp.planJob(jobID).Progress < 30 {
			if time.Now().After(deadline) {
				t.Fatal("the plan never started solving")
			}
			time.Sleep(100 * time.Millisecond)
		}
		for i, r := range live {
			if len(r.Stops) == 0 || len(marked) == 3 {
				continue
			}
			s := r.Stops[0]
			field.do("POST", fmt.Sprintf("/api/stops/%d/status", s.ID), map[string]any{"status": "done"},
				map[string]string{"Idempotency-Key": fmt.Sprintf("field-done-%d", i)}, http.StatusOK, nil)
			marked = append(marked, s)
		}
		if j := disp.planJob(jobID); j.Status != "running" {
			t.Fatalf("the plan finished before the field acted (%+v); the test proves nothing", j)
		}
	})
	if len(marked) == 0 {
		t.Fatal("no stop marked done")
	}
	noRequestOnTwoRoutes(t, st)
	for _, s := range marked {
		var status string
		if err := st.db.Pool().QueryRow(context.Background(), `SELECT status FROM stops WHERE id = $1`, s.ID).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != "done" {
			t.Errorf("stop %d marked done during the plan is now %s", s.ID, status)
		}
	}
	kept, _ := result["kept"].([]any)
	keptReq := map[int64]bool{}
	for _, k := range kept {
		if m, ok := k.(map[string]any); ok {
			if id, ok := m["request_id"].(float64); ok {
				keptReq[int64(id)] = true
			}
		}
	}
	for _, s := range marked {
		if !keptReq[s.RequestID] {
			t.Errorf("plan result does not list request %d (done during planning) as kept: %v", s.RequestID, kept)
		}
	}
}

// TestChaosCancelOnStartedRoute: a request is cancelled while its stop is
// on a started route. The stop leaves the route, the team finishes the
// rest, and the route finishes without force.
func TestChaosCancelOnStartedRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	inst := startInstance(t, st.bin, st.env)
	disp := login(t, inst.url, "dispatcher", "dispatcher-demo")
	day := tomorrow()
	snowDay(t, disp, day)
	planDay(t, disp, day, 2, nil)
	var route fieldRoute
	for _, r := range publishAll(t, disp, day) {
		if len(r.Stops) >= 3 {
			route = r
			break
		}
	}
	if route.ID == 0 {
		t.Fatal("no route with 3 stops")
	}
	key := 0
	mark := func(s fieldStop, status string) {
		key++
		disp.do("POST", fmt.Sprintf("/api/stops/%d/status", s.ID), map[string]any{"status": status},
			map[string]string{"Idempotency-Key": fmt.Sprintf("cancel-%d", key)}, http.StatusOK, nil)
	}
	mark(route.Stops[0], "done") // starts the route
	cancelled := route.Stops[1]
	disp.do("POST", fmt.Sprintf("/api/requests/%d/status", cancelled.RequestID), map[string]any{"status": "cancelled"}, nil, http.StatusOK, nil)
	var now fieldRoute
	disp.do("GET", fmt.Sprintf("/api/routes/%d", route.ID), nil, nil, http.StatusOK, &now)
	for _, s := range now.Stops {
		if s.ID == cancelled.ID {
			t.Fatalf("the cancelled request's stop is still on the route: %+v", s)
		}
		if s.Status == "pending" {
			mark(s, "done")
		}
	}
	var fin struct {
		Route struct {
			Status string `json:"status"`
		} `json:"route"`
	}
	disp.do("POST", fmt.Sprintf("/api/routes/%d/finish", route.ID), map[string]any{}, map[string]string{"Idempotency-Key": "cancel-finish"}, http.StatusOK, &fin)
	if fin.Route.Status != "finished" {
		t.Fatalf("route status=%s, want finished", fin.Route.Status)
	}
	var req struct {
		Status string `json:"status"`
	}
	disp.do("GET", fmt.Sprintf("/api/requests/%d", cancelled.RequestID), nil, nil, http.StatusOK, &req)
	if req.Status != "cancelled" {
		t.Fatalf("cancelled request is %s", req.Status)
	}
}
