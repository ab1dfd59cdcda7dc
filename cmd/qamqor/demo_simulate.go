package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"time"

	"github.com/qamqor/qamqor/dispatch/demo"
)

// runDemoSimulate implements
//
//	qamqor demo simulate [--speed 10] [--url http://localhost:8080] [--day auto|today|tomorrow|YYYY-MM-DD]
//	                     [--requests 40] [--teams 0] [--user dispatcher --password dispatcher-demo] [--seed 1]
//
// against a running server (make run), through the same HTTP API the
// phones use: it logs in as the dispatcher, makes sure the day has a
// published plan (filing --requests at registered pensioners and planning
// when it has none), then drives every team through its route: start with
// the roster, positions along the drawn route, arrival and done at each
// stop, now and then nobody home (a welfare alert), an urgent request
// halfway through, finish. --speed is simulated seconds per real second.
// --day auto is today until 14:00 in Astana and tomorrow after, since
// nobody plans a day whose shifts are over.
func runDemoSimulate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo simulate", flag.ContinueOnError)
	speed := fs.Float64("speed", 10, "simulated seconds per real second")
	base := fs.String("url", cmpOr(os.Getenv("QAMQOR_URL"), "http://localhost:8080"), "the running server")
	dayArg := fs.String("day", "auto", "auto, today, tomorrow or YYYY-MM-DD")
	nReq := fs.Int("requests", 40, "requests to file when the day has no plan")
	nTeams := fs.Int("teams", 0, "drive at most this many teams (0: all)")
	user := fs.String("user", "dispatcher", "login of a dispatcher")
	pass := fs.String("password", "dispatcher-demo", "its password")
	seed := fs.Uint64("seed", 1, "random seed (which visits find nobody home)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *speed <= 0 {
		return fmt.Errorf("--speed must be above 0: %w", errUsage)
	}
	astana := time.FixedZone("Asia/Astana", 5*3600)
	now := time.Now().In(astana)
	day := *dayArg
	switch day {
	case "auto":
		day = now.Format(time.DateOnly)
		if now.Hour() >= 14 {
			day = now.AddDate(0, 0, 1).Format(time.DateOnly)
		}
	case "today":
		day = now.Format(time.DateOnly)
	case "tomorrow":
		day = now.AddDate(0, 0, 1).Format(time.DateOnly)
	default:
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			return fmt.Errorf("--day %q: want auto, today, tomorrow or YYYY-MM-DD: %w", day, errUsage)
		}
	}
	c, err := newSimClient(ctx, strings.TrimRight(*base, "/"), *user, *pass)
	if err != nil {
		return err
	}
	routes, err := c.publishedDay(ctx, day, *nReq)
	if err != nil {
		return err
	}
	if *nTeams > 0 && len(routes) > *nTeams {
		routes = routes[:*nTeams]
	}
	if len(routes) == 0 {
		return fmt.Errorf("demo simulate: no published route with stops on %s", day)
	}
	stops := 0
	for _, r := range routes {
		stops += len(r.Stops)
	}
	fmt.Printf("demo simulate: %s, %d teams, %d stops, speed %g: open %s/dispatch?day=%s to watch\n", day, len(routes), stops, *speed, c.base, day)
	st, err := demo.Simulate(ctx, c, routes, demo.SimConfig{Speed: *speed, NotHomeShare: 0.05, Seed: *seed,
		Log: func(format string, args ...any) { fmt.Printf("demo simulate: "+format+"\n", args...) }})
	if err != nil {
		return err
	}
	fmt.Printf("demo simulate: done: %d positions, %d arrivals, %d done, %d not home, %d routes finished, urgent request #%d; simulated %s\n",
		st.Positions, st.Arrived, st.Done, st.NotHome, st.Finished, st.UrgentID, st.SimulatedDay.Round(time.Minute))
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// simClient is a dispatcher's session, doing what the phones do.
type simClient struct {
	base string
	http *http.Client
	csrf string
	// members caches each team's volunteers for the roster.
	members map[int64][]int64
}

func newSimClient(ctx context.Context, base, user, pass string) (*simClient, error) {
	jar, _ := cookiejar.New(nil)
	c := &simClient{base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}, members: map[int64][]int64{}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.do(ctx, "POST", "/api/login", map[string]string{"username": user, "password": pass}, &me); err != nil {
		return nil, fmt.Errorf("demo simulate: log in to %s as %s (is `make run` serving there?): %w", base, user, err)
	}
	c.csrf = me.CSRF
	if c.csrf == "" {
		if err := c.do(ctx, "GET", "/api/me", nil, &me); err != nil {
			return nil, err
		}
		c.csrf = me.CSRF
	}
	return c, nil
}

func key() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// do sends a JSON request; a non-2xx answer is an error with the problem's
// detail.
func (c *simClient) do(ctx context.Context, method, path string, body, out any, hdr ...string) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Origin", c.base)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(b, &p)
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, cmpOr(p.Detail, strings.TrimSpace(string(b))))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

type simRouteJSON struct {
	ID     int64        `json:"id"`
	TeamID int64        `json:"team_id"`
	Status string       `json:"status"`
	Path   [][2]float64 `json:"path"`
	Stops  []struct {
		ID        int64   `json:"id"`
		RequestID int64   `json:"request_id"`
		Status    string  `json:"status"`
		Lat       float64 `json:"lat"`
		Lon       float64 `json:"lon"`
	} `json:"stops"`
}

// publishedDay returns the day's published routes as the simulator drives
// them, planning and publishing the day first when it has none.
func (c *simClient) publishedDay(ctx context.Context, day string, nReq int) ([]demo.SimRoute, error) {
	var routes []simRouteJSON
	if err := c.do(ctx, "GET", "/api/routes?day="+day+"&status=published", nil, &routes); err != nil {
		return nil, err
	}
	if len(routes) == 0 {
		if err := c.planDay(ctx, day, nReq); err != nil {
			return nil, err
		}
		if err := c.do(ctx, "GET", "/api/routes?day="+day+"&status=published", nil, &routes); err != nil {
			return nil, err
		}
	}
	var out []demo.SimRoute
	for _, r := range routes {
		var full simRouteJSON
		if err := c.do(ctx, "GET", fmt.Sprintf("/api/routes/%d", r.ID), nil, &full); err != nil {
			return nil, err
		}
		sr := demo.SimRoute{ID: full.ID, TeamID: full.TeamID, Path: full.Path}
		for _, s := range full.Stops {
			if s.Status != "pending" {
				continue
			}
			var rq struct {
				ServiceMinutes int    `json:"service_minutes"`
				CareAddressID  *int64 `json:"care_address_id"`
			}
			if err := c.do(ctx, "GET", fmt.Sprintf("/api/requests/%d", s.RequestID), nil, &rq); err != nil {
				return nil, err
			}
			sr.Stops = append(sr.Stops, demo.SimStop{ID: s.ID, Lat: s.Lat, Lon: s.Lon, ServiceMinutes: rq.ServiceMinutes, Care: rq.CareAddressID != nil})
		}
		if len(sr.Stops) > 0 {
			out = append(out, sr)
		}
	}
	return out, nil
}

// planDay files nReq requests at registered pensioners, plans the day and
// publishes every draft.
func (c *simClient) planDay(ctx context.Context, day string, nReq int) error {
	var cares []struct {
		ID    int64    `json:"id"`
		Needs []string `json:"needs"`
	}
	if err := c.do(ctx, "GET", fmt.Sprintf("/api/care-addresses?limit=%d", nReq), nil, &cares); err != nil {
		return err
	}
	for _, ca := range cares {
		kind := "snow_clearing"
		for _, n := range ca.Needs {
			if n == "food" {
				kind = "food_delivery"
			}
		}
		body := map[string]any{"kind": kind, "care_address_id": ca.ID, "force": true}
		if kind == "food_delivery" {
			body["packages"] = 1
		}
		if err := c.do(ctx, "POST", "/api/requests", body, nil, "Idempotency-Key", key()); err != nil {
			return err
		}
	}
	fmt.Printf("demo simulate: filed %d requests; planning %s\n", len(cares), day)
	var job struct {
		JobID int64 `json:"job_id"`
	}
	if err := c.do(ctx, "POST", "/api/plans", map[string]any{"day": day}, &job); err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Minute); ; {
		var st struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		}
		if err := c.do(ctx, "GET", fmt.Sprintf("/api/plans/%d", job.JobID), nil, &st); err != nil {
			return err
		}
		if st.Status == "done" || st.Status == "finished" {
			break
		}
		if st.Status == "failed" || st.Status == "cancelled" || time.Now().After(deadline) {
			return fmt.Errorf("demo simulate: planning %s: %s %s", day, st.Status, st.Message)
		}
		time.Sleep(time.Second)
	}
	var drafts []simRouteJSON
	if err := c.do(ctx, "GET", "/api/routes?day="+day+"&status=draft", nil, &drafts); err != nil {
		return err
	}
	ids := make([]int64, len(drafts))
	for i, d := range drafts {
		ids[i] = d.ID
	}
	if len(ids) == 0 {
		return fmt.Errorf("demo simulate: the plan of %s has no routes (are the teams' shifts over? try --day tomorrow)", day)
	}
	fmt.Printf("demo simulate: publishing %d routes\n", len(ids))
	return c.do(ctx, "POST", "/api/routes/publish", map[string]any{"route_ids": ids}, nil)
}

// StartRoute implements demo.FieldAPI: the roster is every member.
func (c *simClient) StartRoute(ctx context.Context, r demo.SimRoute) error {
	var m struct {
		Members []struct {
			ID int64 `json:"id"`
		} `json:"members"`
	}
	if err := c.do(ctx, "GET", fmt.Sprintf("/api/teams/%d/members", r.TeamID), nil, &m); err != nil {
		return err
	}
	ids := []int64{}
	for _, v := range m.Members {
		ids = append(ids, v.ID)
	}
	return c.do(ctx, "POST", fmt.Sprintf("/api/routes/%d/start", r.ID), map[string]any{"present_volunteer_ids": ids}, nil, "Idempotency-Key", key())
}

// Position implements demo.FieldAPI.
func (c *simClient) Position(ctx context.Context, teamID int64, lat, lon float64) error {
	return c.do(ctx, "POST", fmt.Sprintf("/api/teams/%d/position", teamID), map[string]any{"lat": lat, "lon": lon, "accuracy_m": 15}, nil)
}

// StopStatus implements demo.FieldAPI.
func (c *simClient) StopStatus(ctx context.Context, stopID int64, status, note string) error {
	body := map[string]any{"status": status}
	if note != "" {
		body["note"] = note
	}
	return c.do(ctx, "POST", fmt.Sprintf("/api/stops/%d/status", stopID), body, nil, "Idempotency-Key", key())
}

// FinishRoute implements demo.FieldAPI.
func (c *simClient) FinishRoute(ctx context.Context, routeID int64) error {
	return c.do(ctx, "POST", fmt.Sprintf("/api/routes/%d/finish", routeID), map[string]any{"force": true}, nil, "Idempotency-Key", key())
}

// Urgent implements demo.FieldAPI: the hotline's urgent call, at the
// nearest known address.
func (c *simClient) Urgent(ctx context.Context, lat, lon float64) (int64, error) {
	var place struct {
		Label string `json:"label"`
	}
	addr := "Urgent call"
	if err := c.do(ctx, "GET", fmt.Sprintf("/api/geocode/reverse?lat=%f&lon=%f", lat, lon), nil, &place); err == nil && place.Label != "" {
		addr = place.Label
	}
	var r struct {
		ID int64 `json:"id"`
	}
	err := c.do(ctx, "POST", "/api/requests", map[string]any{"kind": "snow_clearing", "priority": "urgent", "address": addr,
		"lat": lat, "lon": lon, "force": true, "notes": "Шұғыл: кіреберісті қар басып қалды / Срочно: вход завален снегом"}, &r, "Idempotency-Key", key())
	return r.ID, err
}
