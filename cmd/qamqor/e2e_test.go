package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// instance is one `qamqor serve` process on :0.
type instance struct {
	url string
	cmd *exec.Cmd
}

// buildBinary compiles cmd/qamqor once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "qamqor")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runQamqor(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("qamqor %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var runningAt = regexp.MustCompile(`Qamqor is running at (http://\S+)`)

func startInstance(t *testing.T, bin string, env []string) *instance {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := runningAt.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return &instance{url: u, cmd: cmd}
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start; log:\n%s", stderr.String())
	}
	return nil
}

// client is a logged-in browser session against one instance.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func login(t *testing.T, base, user, pass string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	c.do("POST", "/api/login", map[string]string{"username": user, "password": pass}, nil, http.StatusOK, &me)
	if me.CSRF == "" {
		c.do("GET", "/api/me", nil, nil, http.StatusOK, &me)
	}
	c.csrf = me.CSRF
	return c
}

func (c *client) do(method, path string, body any, hdr map[string]string, want int, out any) []byte {
	c.t.Helper()
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
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode: %v; body %s", method, path, err, b)
		}
	}
	return b
}

type wsEvent struct {
	ID       int64           `json:"id"`
	Type     string          `json:"type"`
	LastID   int64           `json:"last_id"`
	EntityID int64           `json:"entity_id"`
	Payload  json.RawMessage `json:"payload"`
}

// wsClient reads events from /ws; several JSON documents may share one
// message, one per line.
type wsClient struct {
	conn   *websocket.Conn
	events chan wsEvent
}

func dialWS(t *testing.T, c *client, since int64) *wsClient {
	t.Helper()
	u, _ := url.Parse(c.base)
	wsURL := fmt.Sprintf("ws://%s/ws?topic=dispatch&since=%d", u.Host, since)
	hdr := http.Header{"Origin": {c.base}}
	for _, ck := range c.http.Jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL, hdr)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", wsURL, err, st)
	}
	w := &wsClient{conn: conn, events: make(chan wsEvent, 10000)}
	go func() {
		defer close(w.events)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			for _, line := range bytes.Split(msg, []byte("\n")) {
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				var e wsEvent
				if err := json.Unmarshal(line, &e); err == nil {
					w.events <- e
				}
			}
		}
	}()
	return w
}

// collect reads events until one of type stopType arrives (or timeout).
func (w *wsClient) collect(t *testing.T, stopType string, timeout time.Duration) []wsEvent {
	t.Helper()
	var got []wsEvent
	deadline := time.After(timeout)
	for {
		select {
		case e, ok := <-w.events:
			if !ok {
				return got
			}
			got = append(got, e)
			if e.Type == stopType {
				return got
			}
		case <-deadline:
			t.Fatalf("no %s event within %v; got %d events", stopType, timeout, len(got))
		}
	}
}

// TestEndToEnd runs two server instances against one real PostGIS schema:
// the hotline files requests and a dispatcher opens a snowfall campaign on
// instance A, plans and publishes, the field marks stops done and not home,
// and a dispatcher's websocket on instance B sees every event in order,
// reconnects with since and misses nothing.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	dsn := pgtest.URL()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	env := []string{
		"DATABASE_URL=" + dsn + sep + "search_path=" + db.Schema() + ",public",
		"QAMQOR_GRAPH=" + filepath.Join("..", "..", "testdata", "osm", "astana_roads_approx.osm.pbf"),
	}
	bin := buildBinary(t)
	runQamqor(t, bin, env, "demo", "load")
	a := startInstance(t, bin, env)
	b := startInstance(t, bin, env)

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
