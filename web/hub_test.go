package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// liveMsg is any message of the live stream: an event or a control message.
type liveMsg struct {
	ID     int64  `json:"id"`
	Type   string `json:"type"`
	LastID int64  `json:"last_id"`
	TeamID *int64 `json:"team_id"`
}

// MustStartHub runs a hub over db, woken by db.Listen, until the test ends.
func MustStartHub(tb testing.TB, db *postgres.DB, cfg HubConfig) *Hub {
	tb.Helper()
	h := NewHub(db, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	go db.Listen(ctx, h.Wake)
	tb.Cleanup(func() { cancel(); <-done })
	select {
	case <-h.ready:
	case <-time.After(5 * time.Second):
		tb.Fatal("hub not ready after 5s")
	}
	return h
}

// hubServer serves a hub without authentication: ?topic= and ?since= as
// /ws takes them. slowSocket shrinks the server's socket send buffer so a
// client that does not read backs up quickly.
func hubServer(tb testing.TB, h *Hub, slowSocket bool) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		topic := r.URL.Query().Get("topic")
		if topic == "" {
			topic = TopicDispatch
		}
		var team int64
		if id, ok := strings.CutPrefix(topic, topicTeamPrefix); ok {
			team, _ = strconv.ParseInt(id, 10, 64)
		}
		since := int64(-1)
		if v := r.URL.Query().Get("since"); v != "" {
			since, _ = strconv.ParseInt(v, 10, 64)
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if slowSocket {
			conn.NetConn().(*net.TCPConn).SetWriteBuffer(4096)
		}
		h.serve(context.Background(), conn, nil, topic, team, since)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// wsClient is a test client that splits frames into messages.
type wsClient struct {
	tb      testing.TB
	conn    *websocket.Conn
	pending []liveMsg
}

// MustDial connects to the ws URL of srv plus query.
func MustDial(tb testing.TB, srv *httptest.Server, path string, hdr http.Header) *wsClient {
	tb.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+path, hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	tb.Cleanup(func() { conn.Close() })
	return &wsClient{tb: tb, conn: conn}
}

// next returns the next message, or an error (a *websocket.CloseError when
// the server closed) after timeout.
func (c *wsClient) next(timeout time.Duration) (liveMsg, error) {
	for len(c.pending) == 0 {
		c.conn.SetReadDeadline(time.Now().Add(timeout))
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return liveMsg{}, err
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			var m liveMsg
			if err := json.Unmarshal(line, &m); err != nil {
				c.tb.Fatalf("message %q is not JSON: %v", line, err)
			}
			c.pending = append(c.pending, m)
		}
	}
	m := c.pending[0]
	c.pending = c.pending[1:]
	return m, nil
}

func (c *wsClient) mustNext() liveMsg {
	c.tb.Helper()
	m, err := c.next(5 * time.Second)
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return m
}

// mustHello reads the hello message and returns its last_id.
func (c *wsClient) mustHello() int64 {
	c.tb.Helper()
	m := c.mustNext()
	if m.Type != MsgHello {
		c.tb.Fatalf("first message=%+v, want hello", m)
	}
	return m.LastID
}

// mustEvents reads n events and returns their ids.
func (c *wsClient) mustEvents(n int) []int64 {
	c.tb.Helper()
	ids := make([]int64, 0, n)
	for len(ids) < n {
		m := c.mustNext()
		if m.ID == 0 {
			c.tb.Fatalf("message=%+v, want an event", m)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// mustAppend writes n events (concurrently when writers > 1, so commits
// may overtake each other) and returns their ids in id order.
func mustAppend(tb testing.TB, db *postgres.DB, n, writers int, team *int64) []int64 {
	tb.Helper()
	var (
		mu   sync.Mutex
		ids  []int64
		wg   sync.WaitGroup
		errc = make(chan error, writers)
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				id, err := db.AppendEvent(context.Background(), "test.event", "test", int64(i), team, map[string]int{"i": i})
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
	sortIDs(ids)
	return ids
}

func sortIDs(ids []int64) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHubOrder(t *testing.T) {
	db := pgtest.MustOpen(t)
	h := MustStartHub(t, db, HubConfig{})
	srv := hubServer(t, h, false)
	c := MustDial(t, srv, "/", nil)
	c.mustHello()
	// Eight concurrent writers: commits overtake each other, and the hub
	// must still deliver every id once, in id order.
	want := mustAppend(t, db, 400, 8, nil)
	if got := c.mustEvents(len(want)); !equalIDs(got, want) {
		t.Fatalf("ids=%v, want %v", got, want)
	}
}

func TestHubGapFromRollback(t *testing.T) {
	db := pgtest.MustOpen(t)
	h := MustStartHub(t, db, HubConfig{})
	srv := hubServer(t, h, false)
	c := MustDial(t, srv, "/", nil)
	c.mustHello()
	ctx := context.Background()
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO events (type, entity, entity_id) VALUES ('test.rolled_back', 'test', 1)`); err != nil {
		t.Fatal(err)
	}
	want := mustAppend(t, db, 3, 1, nil) // committed after a hole
	time.Sleep(100 * time.Millisecond)   // the hub waits on the open writer
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if got := c.mustEvents(3); !equalIDs(got, want) {
		t.Fatalf("ids=%v, want %v", got, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("delivery after rollback took %v, want the hole settled long before GapWait", d)
	}
}

func TestHubResume(t *testing.T) {
	t.Run("Since", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		before := mustAppend(t, db, 50, 1, nil)
		h := MustStartHub(t, db, HubConfig{})
		srv := hubServer(t, h, false)
		since := before[9]
		c := MustDial(t, srv, "/?since="+strconv.FormatInt(since, 10), nil)
		if last := c.mustHello(); last != before[49] {
			t.Fatalf("hello last_id=%d, want %d", last, before[49])
		}
		after := mustAppend(t, db, 20, 2, nil)
		want := append(before[10:], after...)
		if got := c.mustEvents(len(want)); !equalIDs(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
	})

	t.Run("ReconnectMidStream", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		h := MustStartHub(t, db, HubConfig{})
		srv := hubServer(t, h, false)
		c := MustDial(t, srv, "/", nil)
		c.mustHello()
		written := make(chan []int64, 1)
		go func() { written <- mustAppend(t, db, 600, 4, nil) }()
		var got []int64
		for range 3 {
			// Read a while, drop the connection, resume from the last id.
			got = append(got, c.mustEvents(100)...)
			c.conn.Close()
			c = MustDial(t, srv, "/?since="+strconv.FormatInt(got[len(got)-1], 10), nil)
			c.mustHello()
		}
		want := <-written
		got = append(got, c.mustEvents(len(want)-len(got))...)
		if !equalIDs(got, want) {
			t.Fatalf("ids=%v, want %v (no gaps, no duplicates)", got, want)
		}
	})

	t.Run("TooFarBehind", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		before := mustAppend(t, db, 20, 1, nil)
		h := MustStartHub(t, db, HubConfig{MaxBacklog: 5})
		srv := hubServer(t, h, false)
		c := MustDial(t, srv, "/?since="+strconv.FormatInt(before[3], 10), nil)
		c.mustHello()
		if m := c.mustNext(); m.Type != MsgReset || m.LastID != before[19] {
			t.Fatalf("message=%+v, want reset with last_id=%d", m, before[19])
		}
		after := mustAppend(t, db, 3, 1, nil)
		if got := c.mustEvents(3); !equalIDs(got, after) {
			t.Fatalf("ids=%v, want %v", got, after)
		}
	})

	t.Run("AheadOfDatabase", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		h := MustStartHub(t, db, HubConfig{})
		srv := hubServer(t, h, false)
		c := MustDial(t, srv, "/?since=999999", nil)
		c.mustHello()
		if m := c.mustNext(); m.Type != MsgReset {
			t.Fatalf("message=%+v, want reset", m)
		}
		want := mustAppend(t, db, 2, 1, nil)
		if got := c.mustEvents(2); !equalIDs(got, want) {
			t.Fatalf("ids=%v, want %v", got, want)
		}
	})
}

func TestHubTeamTopic(t *testing.T) {
	db := pgtest.MustOpen(t)
	h := MustStartHub(t, db, HubConfig{})
	srv := hubServer(t, h, false)
	team1 := MustDial(t, srv, "/?topic=team:1", nil)
	team1.mustHello()
	all := MustDial(t, srv, "/?topic=dispatch", nil)
	all.mustHello()
	one, two := int64(1), int64(2)
	a := mustAppend(t, db, 1, 1, &one)
	b := mustAppend(t, db, 1, 1, &two)
	c := mustAppend(t, db, 1, 1, nil)
	d := mustAppend(t, db, 1, 1, &one)
	if got, want := all.mustEvents(4), []int64{a[0], b[0], c[0], d[0]}; !equalIDs(got, want) {
		t.Fatalf("dispatch ids=%v, want %v", got, want)
	}
	if got, want := team1.mustEvents(2), []int64{a[0], d[0]}; !equalIDs(got, want) {
		t.Fatalf("team:1 ids=%v, want %v", got, want)
	}
	// Resuming a team topic filters the backlog the same way.
	late := MustDial(t, srv, "/?topic=team:2&since=0", nil)
	late.mustHello()
	if got := late.mustEvents(1); got[0] != b[0] {
		t.Fatalf("team:2 backlog ids=%v, want [%d]", got, b[0])
	}
}

func TestHubSlowClientDropped(t *testing.T) {
	db := pgtest.MustOpen(t)
	h := MustStartHub(t, db, HubConfig{SendBuffer: 4, Linger: -1}) // one message per event
	slow := MustDial(t, hubServer(t, h, true), "/", nil)
	// The slow client's own receive buffer is small too and it never
	// reads until the end.
	slow.conn.NetConn().(*net.TCPConn).SetReadBuffer(4096)
	fast := MustDial(t, hubServer(t, h, false), "/", nil)
	fast.mustHello()
	const n = 100
	pad := strings.Repeat("x", 32<<10)
	ids := make([]int64, 0, n)
	for i := range n {
		id, err := db.AppendEvent(context.Background(), "test.big", "test", int64(i), nil, map[string]string{"pad": pad})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	start := time.Now()
	if got := fast.mustEvents(n); !equalIDs(got, ids) {
		t.Fatalf("fast client ids=%v, want %v", got, ids)
	}
	t.Logf("fast client done %v after the last commit", time.Since(start))
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("fast client took %v: the slow one held it back", d)
	}
	defer func(t0 time.Time) { t.Logf("slow client closed after %v", time.Since(t0)) }(time.Now())
	for {
		// The hub gives a blocked write writeWait before it gives up, so the
		// close frame can take that long under load.
		_, err := slow.next(writeWait + 5*time.Second)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != CloseTooSlow {
				t.Fatalf("close code=%d, want %d", ce.Code, CloseTooSlow)
			}
			return
		}
		if err != nil {
			t.Fatalf("slow client: %v, want close %d", err, CloseTooSlow)
		}
	}
}

func TestHubPingPong(t *testing.T) {
	db := pgtest.MustOpen(t)
	h := MustStartHub(t, db, HubConfig{PongWait: 300 * time.Millisecond})
	srv := hubServer(t, h, false)

	alive := MustDial(t, srv, "/", nil)
	alive.mustHello()
	// A reading client answers pings (gorilla's default ping handler) and
	// outlives several pong waits.
	readErr := make(chan error, 1)
	got := make(chan int64, 1)
	go func() {
		m, err := alive.next(5 * time.Second)
		readErr <- err
		got <- m.ID
	}()

	mute := MustDial(t, srv, "/", nil) // never reads, so never answers pings
	time.Sleep(1500 * time.Millisecond)
	ids := mustAppend(t, db, 1, 1, nil)
	if err := <-readErr; err != nil {
		t.Fatalf("reading client: %v, want it kept alive by pings", err)
	}
	if id := <-got; id != ids[0] {
		t.Fatalf("id=%d, want %d", id, ids[0])
	}
	// The mute client was dropped: draining what was queued ends in an
	// error, not in the new event.
	for {
		m, err := mute.next(2 * time.Second)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("mute client still connected after pong wait")
			}
			return
		}
		if m.ID == ids[0] {
			t.Fatalf("mute client got event %d, want it dropped", m.ID)
		}
	}
}

func TestHubCrossInstance(t *testing.T) {
	db := pgtest.MustOpen(t)
	// A second server instance: its own pool, listener and hub.
	sp := db.Pool().Config().ConnConfig.RuntimeParams["search_path"]
	schema, _, _ := strings.Cut(sp, ",")
	db2, err := postgres.Open(context.Background(), pgtest.URL(), schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db2.Close)
	h1 := MustStartHub(t, db, HubConfig{Tick: time.Hour})
	h2 := MustStartHub(t, db2, HubConfig{Tick: time.Hour}) // only LISTEN wakes them
	c1 := MustDial(t, hubServer(t, h1, false), "/", nil)
	c2 := MustDial(t, hubServer(t, h2, false), "/", nil)
	c1.mustHello()
	c2.mustHello()
	a := mustAppend(t, db, 5, 1, nil)
	b := mustAppend(t, db2, 5, 1, nil)
	want := append(a, b...)
	for i, c := range []*wsClient{c1, c2} {
		if got := c.mustEvents(10); !equalIDs(got, want) {
			t.Fatalf("instance %d ids=%v, want %v", i+1, got, want)
		}
	}
}

func TestHubTick(t *testing.T) {
	db := pgtest.MustOpen(t)
	h := NewHub(db, HubConfig{Tick: 50 * time.Millisecond}) // no Listen
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	<-h.ready
	c := MustDial(t, hubServer(t, h, false), "/", nil)
	c.mustHello()
	want := mustAppend(t, db, 3, 1, nil)
	if got := c.mustEvents(3); !equalIDs(got, want) {
		t.Fatalf("ids=%v, want %v", got, want)
	}

	cancel() // Run ends and says goodbye to its clients
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	_, err := c.next(5 * time.Second)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("after cancel: %v, want close %d", err, websocket.CloseGoingAway)
	}
}
