package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestChaosConcurrentEdits: two dispatchers, each on their own `qamqor
// serve` and each with two browser tabs, edit the same three routes of a
// day and the same care addresses for 30 s (QAMQOR_CHAOS_EDIT_SECONDS):
// they move stops between the routes in both directions, reorder them, lock
// and unlock them and save care addresses, always with If-Match of the
// version they last saw, and on purpose often from a stale view. It checks
// what dispatchers rely on:
//
//   - no answer is a 5xx (deadlocks and serialization failures are retried
//     inside the store; routes are locked in one order);
//   - no request ends on two routes, no stop is lost, no two pending stops
//     of a route share a place;
//   - meanwhile the field marks stops of the published route done: a stop
//     update takes the stop's route after the stop's lock, so a stop moved
//     at that moment is never marked done on a draft route;
//   - no edit is lost without a 412: no two accepted edits of one stop or
//     care address were based on the same version, and every note token a
//     care address save was acknowledged for is still in its notes.
func TestChaosConcurrentEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	seconds := 30
	if v, err := strconv.Atoi(os.Getenv("QAMQOR_CHAOS_EDIT_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	st := newStack(t)
	ctx := context.Background()
	a := startInstance(t, st.bin, st.env)
	b := startInstance(t, st.bin, st.env)
	admin := login(t, a.url, "admin", "admin-demo")
	admin.do("POST", "/api/users", map[string]any{"username": "dispatcher2", "full_name": "Second dispatcher", "role": "dispatcher",
		"password": "dispatcher2-demo"}, nil, http.StatusCreated, nil)

	// Three routes of tomorrow (two drafts and a published one) with eight
	// planned stops each, and six care addresses both dispatchers edit.
	day := tomorrow()
	const perRoute = 8
	pool := st.db.Pool()
	var routes []int64
	rows, err := pool.Query(ctx, `SELECT id FROM teams WHERE active ORDER BY id LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	var teams []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		teams = append(teams, id)
	}
	rows.Close()
	if len(teams) != 3 {
		t.Fatalf("demo teams=%d, want 3", len(teams))
	}
	for i, team := range teams {
		status, reqStatus := "draft", "planned"
		if i == 2 {
			status, reqStatus = "published", "assigned"
		}
		var rid int64
		if err := pool.QueryRow(ctx, `INSERT INTO routes (team_id, day, status) VALUES ($1, $2::date, $3) RETURNING id`, team, day, status).Scan(&rid); err != nil {
			t.Fatal(err)
		}
		routes = append(routes, rid)
		if _, err := pool.Exec(ctx, `WITH q AS (
				INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status, due_day)
				SELECT 'snow_clearing', address_text, location, 'hotline', 'normal', 30, $3, $4::date
				FROM care_addresses ORDER BY id OFFSET $2 LIMIT $5 RETURNING id)
			INSERT INTO stops (route_id, request_id, seq) SELECT $1, id, row_number() OVER (ORDER BY id) FROM q`,
			rid, i*perRoute, reqStatus, day, perRoute); err != nil {
			t.Fatal(err)
		}
	}
	var cares []int64
	if err := pool.QueryRow(ctx, `SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM care_addresses ORDER BY id LIMIT 6) c`).Scan(&cares); err != nil {
		t.Fatal(err)
	}

	dispatchers := []*client{
		login(t, a.url, "dispatcher", "dispatcher-demo"),
		login(t, b.url, "dispatcher2", "dispatcher2-demo"),
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d, %d s, routes %v, care addresses %v", seed, seconds, routes, cares)

	log := &editLog{statuses: map[int]int{}, moves: map[[2]int64]int{}, based: map[string][]int64{}, tokens: map[int64][]string{}}
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	for d, c := range dispatchers {
		for tab := 0; tab < 2; tab++ {
			wg.Add(1)
			go func(name string, c *client, rng *rand.Rand) {
				defer wg.Done()
				e := &editor{name: name, c: c, rng: rng, day: day, routes: routes, cares: cares, log: log}
				for n := 0; time.Now().Before(deadline); n++ {
					e.step(n)
				}
			}(fmt.Sprintf("d%d.%d", d+1, tab+1), c, rand.New(rand.NewPCG(uint64(seed), uint64(d*2+tab))))
		}
	}
	// The field: every 1.5 s the published route's next pending stop is
	// marked done (a dispatcher on the team's behalf, as the API allows).
	wg.Add(1)
	go func() {
		defer wg.Done()
		e := &editor{name: "field", c: dispatchers[0], rng: rand.New(rand.NewPCG(uint64(seed), 99)), day: day, routes: routes, cares: cares, log: log}
		for n := 0; time.Now().Before(deadline); n++ {
			time.Sleep(1500 * time.Millisecond)
			if !e.load() {
				continue
			}
			for _, r := range e.view {
				if r.ID != routes[2] {
					continue
				}
				for _, s := range r.Stops {
					if s.Status == "pending" {
						e.markDone(s, n)
						break
					}
				}
			}
		}
	}()
	wg.Wait()

	// No 5xx, nothing unexpected.
	t.Logf("answers: %v; accepted moves by (from, to) route: %v", log.statuses, log.moves)
	if len(log.failures) > 0 {
		n := min(len(log.failures), 15)
		t.Errorf("%d unexpected answers (showing %d):\n%s", len(log.failures), n, strings.Join(log.failures[:n], "\n"))
	}
	if log.statuses[http.StatusOK] == 0 || log.statuses[http.StatusPreconditionFailed] == 0 {
		t.Errorf("answers %v: want both accepted edits and 412s, or the scenario tested nothing", log.statuses)
	}
	if log.moves[[2]int64{routes[0], routes[1]}] == 0 || log.moves[[2]int64{routes[1], routes[0]}] == 0 {
		t.Errorf("moves %v: want stops moved both ways between routes %d and %d", log.moves, routes[0], routes[1])
	}

	// No request on two routes, no stop lost, no shared place.
	var stops, onTwo, sharedSeq int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM stops WHERE route_id = ANY($1) AND status <> 'removed'`, routes).Scan(&stops); err != nil {
		t.Fatal(err)
	}
	if stops != 3*perRoute {
		t.Errorf("stops on the routes=%d, want %d", stops, 3*perRoute)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT request_id FROM stops WHERE status <> 'removed'
		GROUP BY request_id HAVING count(*) > 1) d`).Scan(&onTwo); err != nil || onTwo != 0 {
		t.Errorf("requests on two stops=%d (err %v), want 0", onTwo, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT route_id, seq FROM stops WHERE status = 'pending' AND route_id = ANY($1)
		GROUP BY route_id, seq HAVING count(*) > 1) d`, routes).Scan(&sharedSeq); err != nil || sharedSeq != 0 {
		t.Errorf("pending stops sharing a place=%d (err %v), want 0", sharedSeq, err)
	}

	var doneOnDraft int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM stops s JOIN routes r ON r.id = s.route_id
		WHERE r.id = ANY($1) AND r.status = 'draft' AND s.status NOT IN ('pending', 'removed')`, routes).Scan(&doneOnDraft); err != nil || doneOnDraft != 0 {
		t.Errorf("visited stops on draft routes=%d (err %v), want 0", doneOnDraft, err)
	}
	if log.statuses[http.StatusOK] > 0 && log.done == 0 {
		t.Errorf("the field marked no stop done")
	}

	// No lost edit without a 412.
	for key, bases := range log.based {
		sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
		for i := 1; i < len(bases); i++ {
			if bases[i] == bases[i-1] {
				t.Errorf("%s: two accepted edits were both based on version %d: one overwrote the other without a 412", key, bases[i])
			}
		}
	}
	for id, tokens := range log.tokens {
		var notes string
		if err := pool.QueryRow(ctx, `SELECT access_notes FROM care_addresses WHERE id = $1`, id).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		for _, tok := range tokens {
			if !strings.Contains(notes, tok) {
				t.Errorf("care address %d: acknowledged save %q is gone from its notes %q", id, tok, notes)
			}
		}
	}
}

// editLog collects what the editors saw, under one lock.
type editLog struct {
	mu       sync.Mutex
	statuses map[int]int
	failures []string
	// moves counts accepted moves by (from, to) route.
	moves map[[2]int64]int
	// based lists, per edited thing, the versions accepted edits were
	// based on.
	based map[string][]int64
	// tokens are the note tokens acknowledged per care address.
	tokens map[int64][]string
	// done counts stops the field marked done.
	done int
}

func (l *editLog) answer(who, what string, status int, body []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statuses[status]++
	switch status {
	case http.StatusOK, http.StatusPreconditionFailed:
	case http.StatusConflict:
		// A stop that stopped being pending, or the store gave up after
		// its retries: a clear "try again", allowed.
	default:
		l.failures = append(l.failures, fmt.Sprintf("%s %s: %d %s", who, what, status, bytes.TrimSpace(body)))
	}
}

func (l *editLog) accepted(key string, base int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.based[key] = append(l.based[key], base)
}

// editor is one dispatcher's browser tab.
type editor struct {
	name   string
	c      *client
	rng    *rand.Rand
	day    string
	routes []int64
	cares  []int64
	log    *editLog
	// view is the routes as last loaded: reused for a few edits, so some
	// are made from a stale view, as a dispatcher who does not reload does.
	view []chaosRoute
}

type chaosStop struct {
	ID      int64  `json:"id"`
	Version int64  `json:"version"`
	RouteID int64  `json:"route_id"`
	Status  string `json:"status"`
	Locked  bool   `json:"locked"`
}

type chaosRoute struct {
	ID    int64       `json:"id"`
	Stops []chaosStop `json:"stops"`
}

// send makes one request and returns the status and body; transport errors
// count as failures.
func (e *editor) send(method, path string, body any, ifMatch int64) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", e.c.base)
	req.Header.Set("X-CSRF-Token", e.c.csrf)
	if ifMatch > 0 {
		req.Header.Set("If-Match", `"`+strconv.FormatInt(ifMatch, 10)+`"`)
	}
	resp, err := e.c.http.Do(req)
	if err != nil {
		e.log.answer(e.name, method+" "+path, 0, []byte(err.Error()))
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *editor) load() bool {
	st, b := e.send("GET", "/api/routes?day="+e.day, nil, 0)
	if st != http.StatusOK {
		e.log.answer(e.name, "GET /api/routes", st, b)
		return false
	}
	var all []chaosRoute
	if err := json.Unmarshal(b, &all); err != nil {
		e.log.answer(e.name, "GET /api/routes (decode)", 0, b)
		return false
	}
	e.view = e.view[:0]
	for _, r := range all {
		for _, id := range e.routes {
			if r.ID == id {
				e.view = append(e.view, r)
			}
		}
	}
	return true
}

// step makes one edit: a move (often to another route, else within the
// same), a lock toggle or a care address save.
func (e *editor) step(n int) {
	if n%3 == 0 || len(e.view) == 0 {
		if !e.load() {
			return
		}
	}
	switch k := e.rng.IntN(100); {
	case k < 55:
		e.move()
	case k < 80:
		e.lock()
	default:
		e.saveCare()
	}
}

func (e *editor) pick() (chaosRoute, chaosStop, bool) {
	r := e.view[e.rng.IntN(len(e.view))]
	var pending []chaosStop
	for _, s := range r.Stops {
		if s.Status == "pending" {
			pending = append(pending, s)
		}
	}
	if len(pending) == 0 {
		return r, chaosStop{}, false
	}
	return r, pending[e.rng.IntN(len(pending))], true
}

func (e *editor) move() {
	from, s, ok := e.pick()
	if !ok {
		return
	}
	to := e.routes[e.rng.IntN(len(e.routes))]
	pos := 1 + e.rng.IntN(len(from.Stops)+1)
	path := fmt.Sprintf("/api/stops/%d/move", s.ID)
	st, b := e.send("POST", path, map[string]any{"route_id": to, "position": pos}, s.Version)
	e.log.answer(e.name, path, st, b)
	if st == http.StatusOK {
		e.log.accepted(fmt.Sprintf("stop %d", s.ID), s.Version)
		e.log.mu.Lock()
		e.log.moves[[2]int64{from.ID, to}]++
		e.log.mu.Unlock()
	}
}

func (e *editor) lock() {
	_, s, ok := e.pick()
	if !ok {
		return
	}
	path := fmt.Sprintf("/api/stops/%d/lock", s.ID)
	// Always the opposite of what this tab sees, so every accepted lock
	// edit changes the stop.
	st, b := e.send("POST", path, map[string]any{"locked": !s.Locked}, s.Version)
	e.log.answer(e.name, path, st, b)
	if st == http.StatusOK {
		e.log.accepted(fmt.Sprintf("stop %d", s.ID), s.Version)
	}
}

// markDone reports a stop done from the field, with an Idempotency-Key.
func (e *editor) markDone(s chaosStop, n int) {
	path := fmt.Sprintf("/api/stops/%d/status", s.ID)
	b, _ := json.Marshal(map[string]any{"status": "done"})
	req, _ := http.NewRequest("POST", e.c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.c.base)
	req.Header.Set("X-CSRF-Token", e.c.csrf)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("chaos-done-%d-%d", s.ID, n))
	resp, err := e.c.http.Do(req)
	if err != nil {
		e.log.answer(e.name, path, 0, []byte(err.Error()))
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	e.log.answer(e.name, path, resp.StatusCode, body)
	if resp.StatusCode == http.StatusOK {
		e.log.mu.Lock()
		e.log.done++
		e.log.mu.Unlock()
	}
}

// saveCare reads a care address, adds a token to its access notes and
// saves the whole record with If-Match; a 412 answer carries the current
// record, which the tab then edits (the "reload" choice).
func (e *editor) saveCare() {
	id := e.cares[e.rng.IntN(len(e.cares))]
	path := fmt.Sprintf("/api/care-addresses/%d", id)
	st, b := e.send("GET", path, nil, 0)
	if st != http.StatusOK {
		e.log.answer(e.name, "GET "+path, st, b)
		return
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		e.log.answer(e.name, "GET "+path+" (decode)", 0, b)
		return
	}
	for attempt := 0; attempt < 2; attempt++ {
		notes, _ := c["access_notes"].(string)
		if len(notes) > 900 {
			return // full: this address has had its share
		}
		v, _ := c["version"].(float64)
		version := int64(v)
		if version == 0 {
			e.log.answer(e.name, "GET "+path+" (no version)", 0, nil)
		}
		tok := fmt.Sprintf("[%s:%d]", e.name, e.rng.IntN(1_000_000))
		body := map[string]any{}
		for _, f := range []string{"full_name", "phone", "address", "entrance", "floor", "flat", "lat", "lon", "preferred_language",
			"needs", "immobile", "mobility_notes", "consent", "active"} {
			if v, ok := c[f]; ok {
				body[f] = v
			}
		}
		body["access_notes"] = notes + tok
		st, b := e.send("PUT", path, body, version)
		e.log.answer(e.name, "PUT "+path, st, b)
		switch st {
		case http.StatusOK:
			e.log.accepted(fmt.Sprintf("care %d", id), version)
			e.log.mu.Lock()
			e.log.tokens[id] = append(e.log.tokens[id], tok)
			e.log.mu.Unlock()
			return
		case http.StatusPreconditionFailed:
			var p struct {
				Current map[string]any `json:"current"`
			}
			if json.Unmarshal(b, &p) != nil || p.Current == nil {
				e.log.answer(e.name, "PUT "+path+" (412 without current)", 0, b)
				return
			}
			c = p.Current
		default:
			return
		}
	}
}
