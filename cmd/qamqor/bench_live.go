package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/web"
)

func init() {
	benchCommands["live"] = runBenchLive
}

// Limits of bench live, so it always ends by itself.
const (
	benchLiveDialers    = 100              // concurrent handshakes while connecting
	benchLiveConnect    = 2 * time.Minute  // to connect every client
	benchLiveDrain      = 10 * time.Second // after the last event, to receive it everywhere
	benchLiveBucketUsec = 100              // latency histogram resolution
	benchLiveMaxUsec    = 60_000_000       // latencies above a minute count as a minute
)

// runBenchLive implements
//
//	qamqor bench live [--clients 5000] [--rate 100] [--duration 20s]
//
// It runs the real /ws handler and live hub on 127.0.0.1:0 over a scratch
// schema of DATABASE_URL (dropped afterwards; the data of `make run` is
// never touched), logs --clients WebSocket clients in as one dispatcher
// (topic "dispatch": every event reaches every client), then commits --rate
// events per second for --duration through the real store path (INSERT and
// pg_notify in one transaction). Each client measures commit → receipt.
// Output: CSV clients,events,delivered,lost,p50_ms,p99_ms,rss_mb and a line
// with the memory of one idle connection.
func runBenchLive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench live", flag.ContinueOnError)
	nClients := fs.Int("clients", 5000, "WebSocket clients")
	rate := fs.Int("rate", 100, "events committed per second")
	duration := fs.Duration("duration", 20*time.Second, "how long to commit events")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *nClients < 1 || *rate < 1 || *duration <= 0 {
		return fmt.Errorf("bench live: --clients, --rate and --duration must be positive: %w", errUsage)
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	if err := raiseFileLimit(uint64(2**nClients + 256)); err != nil {
		return err
	}

	db, err := postgres.OpenTestSchema(ctx, cfg.DatabaseURL, "bench_live")
	if err != nil {
		return err
	}
	defer db.Close()
	defer db.DropTestSchema(context.WithoutCancel(ctx))
	disp := &dispatch.User{Username: "bench-dispatcher", FullName: "Bench Dispatcher", Role: dispatch.RoleDispatcher}
	if err := db.CreateUser(ctx, disp, "bench-password"); err != nil {
		return err
	}
	token, _, err := db.CreateSession(ctx, disp.ID, time.Hour)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := web.NewServer(web.Config{Addr: "127.0.0.1:0"}, web.Services{Auth: db, Events: db, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	go db.Listen(serveCtx, srv.Hub().Wake)

	rssBefore := rssBytes()
	t0 := time.Now()
	clients, err := connectBenchClients(ctx, "ws://"+ln.Addr().String()+"/ws?topic=dispatch", token, *nClients)
	defer func() {
		for _, c := range clients {
			c.conn.Close()
		}
	}()
	if err != nil {
		return err
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond) // let the hand-shake garbage go
	rssIdle := rssBytes()
	fmt.Fprintf(os.Stderr, "bench live: %d clients connected in %v\n", len(clients), time.Since(t0).Round(time.Millisecond))

	nEvents := int(int64(*rate) * int64(*duration) / int64(time.Second))
	last, err := db.LastEventID(ctx)
	if err != nil {
		return err
	}
	first := last + 1 // the bench is the only writer in its schema
	commits := make([]atomic.Int64, nEvents)
	for _, c := range clients {
		c.setCommits(first, commits)
	}
	tw := time.Now()
	if err := commitBenchEvents(ctx, db, *rate, first, commits); err != nil {
		return err
	}
	writeTime := time.Since(tw)
	deadline := time.Now().Add(benchLiveDrain)
	for time.Now().Before(deadline) && !allReceived(clients, first+int64(nEvents)-1) {
		time.Sleep(50 * time.Millisecond)
	}
	rssEnd := rssBytes()
	stopServe()
	<-served

	var delivered, dups int64
	hist := make([]int64, benchLiveMaxUsec/benchLiveBucketUsec+1)
	for _, c := range clients {
		c.mu.Lock()
		delivered += c.count
		dups += c.dups
		for _, us := range c.latencies {
			hist[min(us, benchLiveMaxUsec)/benchLiveBucketUsec]++
		}
		c.mu.Unlock()
	}
	want := int64(nEvents) * int64(len(clients))
	fmt.Println("clients,events,delivered,lost,p50_ms,p99_ms,rss_mb")
	fmt.Printf("%d,%d,%d,%d,%.1f,%.1f,%.0f\n", len(clients), nEvents, delivered, want-delivered,
		percentileMs(hist, delivered, 0.50), percentileMs(hist, delivered, 0.99), float64(rssEnd)/(1<<20))
	fmt.Printf("idle connection: %.1f KiB RSS each (server and in-process client together; %d clients, %.0f MiB before, %.0f MiB after connecting)\n",
		float64(rssIdle-rssBefore)/float64(len(clients))/1024, len(clients), float64(rssBefore)/(1<<20), float64(rssIdle)/(1<<20))
	fmt.Printf("events committed in %.1fs: %.0f/s achieved of %d/s asked\n", writeTime.Seconds(), float64(nEvents)/writeTime.Seconds(), *rate)
	if dups > 0 {
		fmt.Printf("out of order or duplicate deliveries: %d\n", dups)
	}
	return nil
}

// benchClient is one WebSocket client of bench live.
type benchClient struct {
	conn *websocket.Conn

	mu        sync.Mutex
	count     int64
	dups      int64
	lastID    int64
	latencies []int64 // microseconds
	first     int64
	commits   []atomic.Int64
}

// connectBenchClients logs n clients in, a bounded number at a time, and
// starts their readers once each has its hello.
func connectBenchClients(ctx context.Context, url, token string, n int) ([]*benchClient, error) {
	ctx, cancel := context.WithTimeout(ctx, benchLiveConnect)
	defer cancel()
	dialer := &websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256, HandshakeTimeout: 30 * time.Second}
	hdr := http.Header{}
	hdr.Set("Cookie", web.SessionCookie+"="+token)
	hdr.Set("Origin", "http://"+strings.TrimPrefix(strings.TrimSuffix(url, "/ws?topic=dispatch"), "ws://"))
	clients := make([]*benchClient, n)
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, benchLiveDialers)
		errMu sync.Mutex
		first error
	)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			conn, _, err := dialer.DialContext(ctx, url, hdr)
			if err == nil {
				_, _, err = conn.ReadMessage() // hello
			}
			if err != nil {
				errMu.Lock()
				first = cmpErr(first, fmt.Errorf("connect client %d: %w", i, err))
				errMu.Unlock()
				return
			}
			c := &benchClient{conn: conn}
			clients[i] = c
			go c.read()
		}()
	}
	wg.Wait()
	var ok []*benchClient
	for _, c := range clients {
		if c != nil {
			ok = append(ok, c)
		}
	}
	return ok, first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// read records the receipt time of every event until the connection ends.
func (c *benchClient) read() {
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		c.mu.Lock()
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			id, ok := eventID(line)
			if !ok {
				continue
			}
			if id <= c.lastID {
				c.dups++
				continue
			}
			c.lastID = id
			c.count++
			c.record(id, now)
		}
		c.mu.Unlock()
	}
}

// record stores the latency of id. c.mu is held.
func (c *benchClient) record(id, at int64) {
	i := id - c.first
	if i < 0 || i >= int64(len(c.commits)) {
		return
	}
	committed := c.commits[i].Load()
	if committed == 0 {
		// Received before AppendEvent returned: the commit is on its way
		// back to the writer; count zero.
		committed = at
	}
	c.latencies = append(c.latencies, max(0, (at-committed)/1000))
}

// setCommits hands over where commit times (unix ns, by event id - first)
// will be stored.
func (c *benchClient) setCommits(first int64, commits []atomic.Int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.first, c.commits = first, commits
}

func allReceived(clients []*benchClient, lastID int64) bool {
	for _, c := range clients {
		c.mu.Lock()
		done := c.lastID >= lastID
		c.mu.Unlock()
		if !done {
			return false
		}
	}
	return true
}

// eventID reads the id of an event line ({"id":N,...}); control messages
// start with "type".
func eventID(line []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"id":`))
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return id, err == nil
}

// commitBenchEvents commits len(commits) events at rate per second, one
// transaction each, and stores the time each commit returned; the events
// must get the ids first, first+1, ...
func commitBenchEvents(ctx context.Context, db *postgres.DB, rate int, first int64, commits []atomic.Int64) error {
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	team := int64(1)
	for i := range commits {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		payload := map[string]any{"request_id": 100000 + i, "status": "assigned", "route_id": 42, "eta": "2025-01-20T09:30:00Z", "lat": 51.1282, "lon": 71.4304}
		id, err := db.AppendEvent(ctx, dispatch.EventStopUpdated, "stop", int64(i+1), &team, payload)
		if err != nil {
			return err
		}
		commits[i].Store(time.Now().UnixNano())
		if id != first+int64(i) {
			return fmt.Errorf("bench live: event id=%d, want %d (another writer in the schema?)", id, first+int64(i))
		}
	}
	return nil
}

// raiseFileLimit lifts the open-file soft limit to want (at most the hard
// limit): each client needs two descriptors, its own and the server's.
func raiseFileLimit(want uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read open-file limit: %w", err)
	}
	if lim.Cur >= want {
		return nil
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise open-file limit to %d: %w", lim.Cur, err)
	}
	if lim.Cur < want {
		return fmt.Errorf("open-file hard limit %d is below the %d the clients need (ulimit -Hn)", lim.Max, want)
	}
	return nil
}

// rssBytes returns the resident set size of the process from
// /proc/self/status, 0 when it cannot be read.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// percentileMs returns the q-quantile of the histogram in milliseconds.
func percentileMs(hist []int64, total int64, q float64) float64 {
	if total == 0 {
		return 0
	}
	rank := int64(q * float64(total))
	var seen int64
	for i, n := range hist {
		seen += n
		if seen > rank {
			return float64(i*benchLiveBucketUsec) / 1000
		}
	}
	return float64(benchLiveMaxUsec) / 1000
}
