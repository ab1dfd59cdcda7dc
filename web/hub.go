package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch"
)

// Timing and size limits of a live connection, after gorilla's chat example.
const (
	// writeWait bounds one write to the peer: a write that blocks this long
	// means the peer is gone or cannot keep up, and the connection ends.
	writeWait = 10 * time.Second
	// defaultPongWait is how long the reader waits for any frame (a pong at
	// least) before it declares the peer dead.
	defaultPongWait = 60 * time.Second
	// maxMessageSize is the read limit: clients send nothing but control
	// frames, so anything larger is a misbehaving peer.
	maxMessageSize = 512
	// maxBatch and maxFrameBytes bound how many queued messages the
	// writer joins into one frame: joining saves a write per message when
	// a client lags, but a frame must stay small enough for a browser to
	// parse without stalling.
	maxBatch      = 256
	maxFrameBytes = 1 << 20
	// fetchLimit is how many events the hub reads per query.
	fetchLimit = 1000
	// gapRetry is how soon the hub reads again while it waits for a hole
	// in the event ids to fill (an earlier transaction still committing).
	gapRetry = 10 * time.Millisecond
)

// Defaults for the zero values of HubConfig.
const (
	DefaultMaxBacklog = 10000
	DefaultTick       = 2 * time.Second
	DefaultSendBuffer = 256
	DefaultGapWait    = 10 * time.Second
	// DefaultLinger bounds how long events wait for the previous fan-out
	// to be written: at 100 events/s and 5,000 clients, one frame per
	// event is 500,000 writes a second, more than two cores can do; a few
	// events per frame is not.
	DefaultLinger = 100 * time.Millisecond
)

// Close codes the hub sends besides the standard ones.
const (
	// CloseTooSlow ends a connection whose send buffer filled up; the page
	// should reload (and may resume with since).
	CloseTooSlow = 4000
)

// Topics a connection subscribes to.
const (
	// TopicDispatch receives every event.
	TopicDispatch = "dispatch"
	// topicTeamPrefix plus a team id receives only events whose TeamID is
	// that team.
	topicTeamPrefix = "team:"
)

// HubConfig tunes a Hub; zero values take the Default constants.
type HubConfig struct {
	// MaxBacklog is how many events a resuming client may have missed; past
	// it the client gets a reset message and continues live.
	MaxBacklog int64
	// Tick is how often the hub reads new events without being woken, a
	// safety net should a notification be lost.
	Tick time.Duration
	// SendBuffer is how many messages may queue for one client before the
	// hub drops it as too slow.
	SendBuffer int
	// PongWait is how long a connection may stay silent (no pong) before
	// it is closed; pings go out every 9/10 of it.
	PongWait time.Duration
	// GapWait bounds how long the hub holds later events back while a
	// lower event id is missing, when the source cannot tell that the
	// hole is final (see dispatch.GapSettler).
	GapWait time.Duration
	// Linger is the least time between two reads after wake-ups, so that
	// events committed close together share a frame. The wait is
	// adaptive: a wake-up Linger or more after the last read reads at
	// once (an idle hub adds no delay); otherwise the read waits for the
	// rest of Linger and, past that, for the last fan-out to be written
	// to (nearly) every client, at most another 3 Linger. So a busy hub
	// batches as many events per frame as its write rate needs and fan-outs
	// do not pile up. Negative means never wait.
	Linger time.Duration
	// Logger gets read errors; nil means slog.Default().
	Logger *slog.Logger
	// Observe, when set, is told of every batch of events the hub fans
	// out, before they are queued (the metrics count them and their lag).
	Observe func(evs []dispatch.Event)
	// Sessions returns which of the tokens are still live sessions and
	// their users as stored now (dispatch.AuthStore.LiveSessions); the hub
	// closes connections whose session ended or whose user's grant changed.
	// Nil turns the checks off (connections opened without a session).
	Sessions func(ctx context.Context, tokens []string) (map[string]*dispatch.User, error)
	// SessionCheck is how often the sessions are re-checked.
	SessionCheck time.Duration
	// MaxPerSession and MaxPerUser cap the connections one session and
	// one user may hold; negative means no cap.
	MaxPerSession, MaxPerUser int
	// ReplayTimeout bounds how long a resuming client may spend reading
	// its backlog (since=); past it the client gets a reset and goes live.
	ReplayTimeout time.Duration
	// MaxReplays is how many backlogs are read at once; each holds a
	// database connection while it reads. Others wait (within
	// ReplayTimeout) for a turn.
	MaxReplays int
}

// Hub delivers committed events to WebSocket clients. One goroutine (Run)
// owns the set of live clients and the live cursor: on a wake-up (Wake,
// called for each LISTEN notification) or every Tick it reads the events
// after the cursor from the EventSource and fans each out, in id order, to
// the clients of its topics. Events are only ever read from the table, so
// nothing is sent before it commits.
//
// A client that resumes (since) catches up from the table in its own writer
// goroutine and asks Run to go live once its cursor reaches the live one;
// Run, which alone moves the live cursor, answers, so the hand-over has no
// gap and no duplicate.
type Hub struct {
	src dispatch.EventSource
	cfg HubConfig
	log *slog.Logger

	register   chan registration
	unregister chan *client
	wake       chan struct{}
	drained    chan struct{} // a fan-out pass has been written everywhere
	ready      chan struct{} // closed once Run knows the live cursor
	done       chan struct{} // closed when Run returns
	recheck    chan struct{} // check sessions now
	replays    chan struct{} // one token per backlog being read

	// conns is every connection with its owner, for session checks and caps.
	conns conns

	// live is the id of the last event fanned out. Only Run stores it;
	// catching-up writers load it.
	live atomic.Int64
	// nClients is len(clients), for readers outside Run (metrics).
	nClients atomic.Int64

	// Owned by Run.
	clients map[*client]struct{}
	topics  map[string]map[*client]struct{}
	gap     gapState
	retry   <-chan time.Time
	linger  <-chan time.Time // a read is due; set on a wake-up
	woken   time.Time        // of the pending wake-up; zero when none
	lastRd  time.Time        // when the last read after a wake-up began
	pass    *pass            // the last fan-out pass
}

// pass counts the client messages of one fan-out not yet written, so the
// hub knows when the fan-out has gone out everywhere and it is idle.
type pass struct {
	left    atomic.Int64
	drained chan<- struct{}
}

// done marks one client message of the pass as written (or given up).
func (p *pass) done() {
	if p.left.Add(-1) == 0 {
		select {
		case p.drained <- struct{}{}:
		default:
		}
	}
}

// busy reports whether the last fan-out is still being written to more
// than 1/64 of the clients (a few stuck ones must not hold back the rest).
func (h *Hub) busy() bool {
	return h.pass != nil && h.pass.left.Load() > int64(len(h.clients)/64)
}

// due reads now when a pending wake-up may go (see HubConfig.Linger) or
// sets the timer for when it may.
func (h *Hub) due(ctx context.Context) {
	if h.woken.IsZero() {
		return
	}
	now := time.Now()
	wait := h.lastRd.Add(h.cfg.Linger).Sub(now)
	if wait <= 0 && h.busy() {
		wait = h.woken.Add(3 * h.cfg.Linger).Sub(now) // or drained, first
	}
	if wait > 0 && h.cfg.Linger >= 0 {
		h.linger = time.After(wait)
		return
	}
	h.woken, h.linger, h.lastRd = time.Time{}, nil, now
	h.fetch(ctx)
}

// gapState is the hole in the event ids the hub is waiting on.
type gapState struct {
	next    int64 // the missing id; 0 when there is no hole
	seen    time.Time
	mark    uint64
	hasMark bool
	settled bool // every writer running when the hole was seen has ended
}

// registration asks Run to make c live from cursor.
type registration struct {
	c      *client
	cursor int64
	reply  chan bool
}

// message is the events of one topic from one read, encoded once for all
// its clients: data is every event's JSON, one per line, and prepared the
// same as a WebSocket frame, built once and written to every client; ids
// and parts are the same per event, for a writer that must skip some
// already sent.
type message struct {
	ids      []int64
	parts    [][]byte
	data     []byte
	prepared *websocket.PreparedMessage
	pass     *pass
}

func (m *message) add(id int64, part []byte) {
	if len(m.data) > 0 {
		m.data = append(m.data, '\n')
	}
	m.data = append(m.data, part...)
	m.ids = append(m.ids, id)
	m.parts = append(m.parts, part)
}

// client is one WebSocket connection.
type client struct {
	hub    *Hub
	conn   *websocket.Conn
	topic  string
	teamID int64 // for team topics
	send   chan *message
	// owner is the session that opened the connection; nil when opened
	// without one (tests, benchmarks).
	owner   *owner
	endOnce sync.Once
	// closeCode and closeText are set by Run before it closes send.
	closeCode int
	closeText string
}

// NewHub returns a hub reading from src. Call Run to start it.
func NewHub(src dispatch.EventSource, cfg HubConfig) *Hub {
	cfg.MaxBacklog = cmp.Or(cfg.MaxBacklog, DefaultMaxBacklog)
	cfg.Tick = cmp.Or(cfg.Tick, DefaultTick)
	cfg.SendBuffer = cmp.Or(cfg.SendBuffer, DefaultSendBuffer)
	cfg.PongWait = cmp.Or(cfg.PongWait, defaultPongWait)
	cfg.GapWait = cmp.Or(cfg.GapWait, DefaultGapWait)
	cfg.Linger = cmp.Or(cfg.Linger, DefaultLinger)
	cfg.SessionCheck = cmp.Or(cfg.SessionCheck, DefaultSessionCheck)
	cfg.MaxPerSession = cmp.Or(cfg.MaxPerSession, DefaultMaxPerSession)
	cfg.MaxPerUser = cmp.Or(cfg.MaxPerUser, DefaultMaxPerUser)
	cfg.ReplayTimeout = cmp.Or(cfg.ReplayTimeout, DefaultReplayTimeout)
	cfg.MaxReplays = cmp.Or(cfg.MaxReplays, DefaultMaxReplays)
	h := &Hub{
		src:        src,
		cfg:        cfg,
		log:        cmp.Or(cfg.Logger, slog.Default()),
		register:   make(chan registration),
		unregister: make(chan *client),
		wake:       make(chan struct{}, 1),
		drained:    make(chan struct{}, 1),
		ready:      make(chan struct{}),
		done:       make(chan struct{}),
		recheck:    make(chan struct{}, 1),
		replays:    make(chan struct{}, max(cfg.MaxReplays, 1)),
		conns:      conns{all: map[*client]struct{}{}, perToken: map[string]int{}, perUser: map[int64]int{}},
		clients:    make(map[*client]struct{}),
		topics:     make(map[string]map[*client]struct{}),
	}
	return h
}

// Wake tells the hub that new events may have committed. It never blocks;
// wake-ups that arrive while one is pending merge into it. Pass it to
// postgres.DB.Listen.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Clients returns how many connections are live (caught up and fanned
// out to).
func (h *Hub) Clients() int { return int(h.nClients.Load()) }

// LastID returns the id of the last event the hub delivered.
func (h *Hub) LastID() int64 { return h.live.Load() }

// Run delivers events until ctx is done, then closes every connection with
// "going away" and returns. It first learns the newest event id, retrying
// every Tick while the source fails; clients wait for that.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	defer h.closeAll()
	ticker := time.NewTicker(h.cfg.Tick)
	defer ticker.Stop()
	for {
		last, err := h.src.LastEventID(ctx)
		if err == nil {
			h.live.Store(last)
			break
		}
		if ctx.Err() != nil {
			return
		}
		h.log.Error("live hub: read last event id", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
	close(h.ready)
	if h.cfg.Sessions != nil {
		go h.watchSessions(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case reg := <-h.register:
			reg.reply <- h.add(reg.c, reg.cursor)
		case c := <-h.unregister:
			h.remove(c, websocket.CloseNormalClosure, "")
		case <-h.wake:
			if h.woken.IsZero() {
				h.woken = time.Now()
				h.due(ctx)
			}
		case <-h.drained:
			if !h.busy() && !h.woken.IsZero() && !time.Now().Before(h.lastRd.Add(h.cfg.Linger)) {
				h.due(ctx)
			}
		case <-h.linger:
			h.linger = nil
			h.due(ctx)
		case <-ticker.C:
			h.fetch(ctx)
		case <-h.retry:
			h.retry = nil
			h.fetch(ctx)
		}
	}
}

// add makes c live when its cursor has reached the live cursor; every event
// after the live cursor will be fanned out to it. It reports false when c
// must catch up further first.
func (h *Hub) add(c *client, cursor int64) bool {
	if cursor < h.live.Load() {
		return false
	}
	h.clients[c] = struct{}{}
	h.nClients.Store(int64(len(h.clients)))
	set := h.topics[c.topic]
	if set == nil {
		set = make(map[*client]struct{})
		h.topics[c.topic] = set
	}
	set[c] = struct{}{}
	return true
}

// remove forgets c and closes its send channel, telling its writer to end
// the connection with code.
func (h *Hub) remove(c *client, code int, text string) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	h.nClients.Store(int64(len(h.clients)))
	set := h.topics[c.topic]
	delete(set, c)
	if len(set) == 0 {
		delete(h.topics, c.topic)
	}
	c.closeCode, c.closeText = code, text
	close(c.send)
}

func (h *Hub) closeAll() {
	for c := range h.clients {
		h.remove(c, websocket.CloseGoingAway, "server shutting down")
	}
}

// fetch reads and fans out events after the live cursor until caught up or
// stopped by a hole in the ids that may still fill. Each read goes out as
// one message per topic, so a burst costs each client one buffer slot per
// read, not one per event.
func (h *Hub) fetch(ctx context.Context) {
	for {
		last := h.live.Load()
		evs, err := h.src.EventsSince(ctx, last, fetchLimit)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("live hub: read events", "since", last, "err", err)
			}
			return
		}
		n := 0
		for ; n < len(evs); n++ {
			if evs[n].ID > last+1 && !h.holeFinal(ctx, last+1) {
				h.retry = time.After(gapRetry)
				break
			}
			last = evs[n].ID
		}
		h.fanOut(evs[:n])
		h.live.Store(last)
		if n < len(evs) || len(evs) < fetchLimit {
			return
		}
	}
}

// holeFinal reports whether the missing id after the live cursor will never
// commit. A hole is final once every transaction that was running when it
// was first seen has ended and a read after that still shows it, or, for
// sources that cannot tell, after GapWait.
func (h *Hub) holeFinal(ctx context.Context, next int64) bool {
	g := &h.gap
	if g.next != next {
		*g = gapState{next: next, seen: time.Now()}
	}
	if time.Since(g.seen) > h.cfg.GapWait {
		h.log.Warn("live hub: skipping event ids that never committed", "from", next, "waited", h.cfg.GapWait)
		return true
	}
	settler, ok := h.src.(dispatch.GapSettler)
	if !ok {
		return false
	}
	if g.settled {
		return true // settled before this read, and the hole is still there
	}
	if !g.hasMark {
		mark, err := settler.WriteMark(ctx)
		if err != nil {
			h.log.Error("live hub: read write mark", "err", err)
			return false
		}
		g.mark, g.hasMark = mark, true
		return false
	}
	settled, err := settler.Settled(ctx, g.mark)
	if err != nil {
		h.log.Error("live hub: check write mark", "err", err)
		return false
	}
	g.settled = settled
	return false
}

// fanOut queues evs for the clients of their topics. A client whose buffer
// is full is dropped: it cannot keep up, and waiting for it would delay all.
func (h *Hub) fanOut(evs []dispatch.Event) {
	if len(evs) == 0 {
		return
	}
	if h.cfg.Observe != nil {
		h.cfg.Observe(evs)
	}
	all := &message{}
	_, anyAll := h.topics[TopicDispatch]
	anyTeam := len(h.topics) > 1 || (len(h.topics) == 1 && !anyAll)
	var teams map[int64]*message
	for i := range evs {
		e := &evs[i]
		data, err := json.Marshal(e)
		if err != nil {
			h.log.Error("live hub: encode event", "id", e.ID, "err", err)
			continue
		}
		all.add(e.ID, data)
		if e.TeamID != nil && anyTeam {
			if teams == nil {
				teams = make(map[int64]*message)
			}
			m := teams[*e.TeamID]
			if m == nil {
				m = &message{}
				teams[*e.TeamID] = m
			}
			m.add(e.ID, data)
		}
	}
	p := &pass{drained: h.drained}
	p.left.Store(1) // until every message is queued
	h.pass = p
	if len(all.ids) > 0 {
		h.sendTo(h.topics[TopicDispatch], all, p)
	}
	for team, m := range teams {
		h.sendTo(h.topics[teamTopic(team)], m, p)
	}
	p.done()
}

func (h *Hub) sendTo(set map[*client]struct{}, m *message, p *pass) {
	if len(set) == 0 {
		return
	}
	m.pass = p
	m.prepared, _ = websocket.NewPreparedMessage(websocket.TextMessage, m.data) // fails only on compression
	p.left.Add(int64(len(set)))
	for c := range set {
		select {
		case c.send <- m:
		default:
			p.done()
			h.remove(c, CloseTooSlow, "too slow, reload")
		}
	}
}

func teamTopic(id int64) string { return topicTeamPrefix + strconv.FormatInt(id, 10) }

// wants reports whether e belongs to the client's topic.
func (c *client) wants(e *dispatch.Event) bool {
	return c.topic == TopicDispatch || (e.TeamID != nil && *e.TeamID == c.teamID)
}

// control is a message that is not an event.
type control struct {
	Type   string `json:"type"`
	LastID int64  `json:"last_id"`
}

// Control message types.
const (
	// MsgHello is the first message of every connection; its last_id is
	// the newest event the hub had delivered when the client connected.
	MsgHello = "hello"
	// MsgReset tells a resuming client it missed too much: reload a
	// snapshot; events after last_id follow.
	MsgReset = "reset"
)

// serve runs one connection until it ends: the reader in a new goroutine,
// the writer in this one. since < 0 means start live; otherwise the client
// first receives the events after since from the table. The hub must be
// ready.
//
// o, when not nil, is the session that opened the connection and has been
// admitted (admit); serve releases its slot at the end.
func (h *Hub) serve(ctx context.Context, conn *websocket.Conn, o *owner, topic string, teamID, since int64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &client{hub: h, conn: conn, owner: o, topic: topic, teamID: teamID, send: make(chan *message, h.cfg.SendBuffer)}
	h.track(c)
	defer func() {
		h.untrack(c)
		h.release(o)
	}()
	go c.readPump(cancel)
	c.writePump(ctx, since)
}

// readPump reads (and discards) frames so that pongs and close frames are
// processed, and ends the connection when the peer goes quiet.
func (c *client) readPump(cancel context.CancelFunc) {
	defer func() {
		cancel()
		c.hub.leave(c)
		c.conn.Close()
	}()
	pongWait := c.hub.cfg.PongWait
	c.conn.SetReadLimit(maxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
	}
}

// leave unregisters c unless Run has stopped.
func (h *Hub) leave(c *client) {
	select {
	case h.unregister <- c:
	case <-h.done:
	}
}

// join asks Run to make c live from cursor; it reports whether c is live
// (false: catch up further) and whether the hub still runs.
func (h *Hub) join(ctx context.Context, c *client, cursor int64) (live, ok bool) {
	reply := make(chan bool, 1)
	select {
	case h.register <- registration{c: c, cursor: cursor, reply: reply}:
		return <-reply, true
	case <-h.done:
	case <-ctx.Done():
	}
	return false, false
}

// writePump says hello, replays the backlog when resuming, joins the live
// fan-out and then writes queued messages and pings until the hub closes
// send or a write fails.
func (c *client) writePump(ctx context.Context, since int64) {
	h := c.hub
	pingTicker := time.NewTicker(h.cfg.PongWait * 9 / 10)
	defer func() {
		pingTicker.Stop()
		c.conn.Close()
	}()
	head := h.live.Load()
	if !c.writeControl(MsgHello, head) {
		return
	}
	cursor := head
	if since >= 0 {
		cursor = since
		tooFar := head-since > h.cfg.MaxBacklog
		if since > head {
			// Resuming from another instance that is ahead is fine (its
			// events will come); ahead of the table itself means the client
			// knows a different database.
			last, err := h.src.LastEventID(ctx)
			if err != nil {
				c.fail(ctx, err)
				return
			}
			tooFar = since > last
		}
		if tooFar {
			if !c.writeControl(MsgReset, head) {
				return
			}
			cursor = head
		}
	}
	// A backlog is read within ReplayTimeout and by at most MaxReplays
	// clients at once (each read holds a database connection); a client
	// that gets no turn or runs out of time is reset and goes live.
	replayCtx, release := ctx, func() {}
	defer func() { release() }()
	if cursor < head {
		rctx, cancel := context.WithTimeout(ctx, h.cfg.ReplayTimeout)
		select {
		case h.replays <- struct{}{}:
			replayCtx = rctx
			release = func() { <-h.replays; cancel() }
		case <-rctx.Done():
			cancel()
			if ctx.Err() != nil {
				return
			}
			cursor = h.live.Load()
			if !c.writeControl(MsgReset, cursor) {
				return
			}
		}
	}
	for {
		var ok bool
		if cursor, ok = c.catchUp(replayCtx, cursor); !ok {
			if ctx.Err() != nil || replayCtx.Err() == nil {
				return
			}
			// Out of replay time: reset to the live cursor.
			release()
			release, replayCtx = func() {}, ctx
			cursor = h.live.Load()
			if !c.writeControl(MsgReset, cursor) {
				return
			}
			continue
		}
		live, running := h.join(ctx, c, cursor)
		if !running {
			if ctx.Err() == nil {
				c.writeClose(websocket.CloseGoingAway, "server shutting down")
			}
			return
		}
		if live {
			break
		}
	}
	release()
	release = func() {}

	var (
		buf   bytes.Buffer
		taken []*message
	)
	for {
		select {
		case m, ok := <-c.send:
			if !ok {
				c.writeClose(c.closeCode, c.closeText)
				return
			}
			if len(c.send) == 0 && m.prepared != nil && m.ids[0] > cursor {
				// The common case: one whole message, framed once for all.
				cursor = m.ids[len(m.ids)-1]
				c.conn.SetWriteDeadline(time.Now().Add(writeWait))
				if c.conn.WritePreparedMessage(m.prepared) != nil {
					return
				}
				m.pass.done()
				continue
			}
			buf.Reset()
			taken = append(taken[:0], m)
			cursor = appendMessage(&buf, m, cursor)
			for n := min(len(c.send), maxBatch-1); n > 0 && buf.Len() < maxFrameBytes; n-- {
				m, ok := <-c.send
				if !ok {
					break // the next receive reports the close
				}
				taken = append(taken, m)
				cursor = appendMessage(&buf, m, cursor)
			}
			if buf.Len() > 0 && !c.write(buf.Bytes()) {
				return
			}
			for i, m := range taken {
				m.pass.done()
				taken[i] = nil
			}
		case <-pingTicker.C:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// appendMessage adds the events of m to the frame in buf, one JSON
// document per line, leaving out those at or before cursor (already sent
// from the backlog). It returns the new cursor.
func appendMessage(buf *bytes.Buffer, m *message, cursor int64) int64 {
	last := m.ids[len(m.ids)-1]
	if last <= cursor {
		return cursor
	}
	if m.ids[0] > cursor {
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		buf.Write(m.data)
		return last
	}
	for i, id := range m.ids {
		if id <= cursor {
			continue
		}
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		buf.Write(m.parts[i])
	}
	return last
}

// catchUp sends the client's events after cursor up to the live cursor,
// read from the table a page at a time, and returns the new cursor.
func (c *client) catchUp(ctx context.Context, cursor int64) (int64, bool) {
	h := c.hub
	var buf bytes.Buffer
	for {
		head := h.live.Load()
		if cursor >= head {
			return cursor, true
		}
		want := int(min(fetchLimit, head-cursor))
		evs, err := h.src.EventsSince(ctx, cursor, want)
		if err != nil {
			if ctx.Err() == nil {
				c.fail(ctx, err)
			}
			return cursor, false
		}
		buf.Reset()
		for i := range evs {
			e := &evs[i]
			if e.ID > head {
				break
			}
			cursor = e.ID
			if !c.wants(e) {
				continue
			}
			data, err := json.Marshal(e)
			if err != nil {
				c.fail(ctx, err)
				return cursor, false
			}
			if buf.Len() > 0 {
				buf.WriteByte('\n')
			}
			buf.Write(data)
		}
		if len(evs) < want || evs[len(evs)-1].ID > head {
			// The rest up to head are ids that never committed (the hub
			// skipped them too).
			cursor = max(cursor, head)
		}
		if buf.Len() > 0 && !c.write(buf.Bytes()) {
			return cursor, false
		}
	}
}

func (c *client) write(data []byte) bool {
	c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return c.conn.WriteMessage(websocket.TextMessage, data) == nil
}

func (c *client) writeControl(typ string, lastID int64) bool {
	data, _ := json.Marshal(control{Type: typ, LastID: lastID})
	return c.write(data)
}

func (c *client) writeClose(code int, text string) {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(writeWait))
}

// fail logs err and closes the connection with "internal error"; the
// client should reconnect with since.
func (c *client) fail(ctx context.Context, err error) {
	if ctx.Err() == nil {
		c.hub.log.Error("live client: read backlog", "topic", c.topic, "err", err)
	}
	c.writeClose(websocket.CloseInternalServerErr, "internal error, reconnect")
}
