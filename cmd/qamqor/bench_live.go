package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
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
//	qamqor bench live [--clients 5000] [--dispatchers N] [--teams T] [--rate 100] [--duration 20s]
//
// It runs the real /ws handler and live hub on 127.0.0.1:0 over a scratch
// schema of DATABASE_URL (dropped afterwards; the data of `make run` is
// never touched). Without --teams every one of --clients WebSocket clients
// is logged in as one dispatcher (topic "dispatch": every event reaches
// every client). With --teams T, T real teams with a team lead each are
// created; --dispatchers clients subscribe to "dispatch" and the others,
// logged in as the team leads, are spread evenly over the T "team:<id>"
// topics; event i belongs to team i mod T, so it goes to that team's
// topic and to dispatch. Then --rate events per second are committed for
// --duration through the real store path (INSERT and pg_notify in one
// transaction). Each client measures commit → receipt; lost counts the
// deliveries its topics should have had and did not.
// The clients run in a child process (this binary re-executed with the
// hidden --client-process flag), so the server process holds only the
// server; --in-process runs them in the server's process instead.
// Output: CSV clients,events,delivered,lost,p50_ms,p99_ms,rss_mb (rss_mb:
// server and clients together) and lines with the memory of one idle
// connection.
func runBenchLive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench live", flag.ContinueOnError)
	nClients := fs.Int("clients", 5000, "WebSocket clients")
	rate := fs.Int("rate", 100, "events committed per second")
	duration := fs.Duration("duration", 20*time.Second, "how long to commit events")
	nDisp := fs.Int("dispatchers", 0, "clients on the dispatch topic (with --teams; without, every client)")
	nTeams := fs.Int("teams", 0, "teams; the clients that are not dispatchers are their team leads")
	// Hidden: a CPU profile of the server process during the event phase;
	// clients in the server's process; the child process's mode.
	cpuProfile := fs.String("cpuprofile", "", "")
	inProcess := fs.Bool("in-process", false, "")
	clientURL := fs.String("client-process", "", "")
	first := fs.Int64("first", 0, "")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *nClients < 1 || *rate < 1 || *duration <= 0 {
		return fmt.Errorf("bench live: --clients, --rate and --duration must be positive: %w", errUsage)
	}
	if *nTeams < 0 || *nDisp < 0 || *nDisp > *nClients || (*nTeams == 0 && *nDisp != 0 && *nDisp != *nClients) || (*nTeams > 0 && *nDisp == *nClients) {
		return fmt.Errorf("bench live: --dispatchers must be at most --clients, and below it with --teams (team leads need sockets); without --teams every client is a dispatcher: %w", errUsage)
	}
	if *nTeams == 0 {
		*nDisp = *nClients
	}
	nEvents := int(int64(*rate) * int64(*duration) / int64(time.Second))
	if *clientURL != "" {
		var groups []liveGroup
		if err := json.Unmarshal([]byte(os.Getenv(benchLiveGroupsEnv)), &groups); err != nil {
			return fmt.Errorf("bench live client process: %s: %w", benchLiveGroupsEnv, err)
		}
		return runBenchLiveClients(ctx, *clientURL, groups, *first, nEvents)
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	// The server holds one descriptor per client; in-process clients hold
	// their own too (the child process raises its own limit).
	need := uint64(*nClients + 256)
	if *inProcess {
		need += uint64(*nClients)
	}
	if err := raiseFileLimit(need); err != nil {
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
	teamIDs, leadTokens, err := createBenchTeams(ctx, db, *nTeams)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := web.NewServer(web.Config{Addr: "127.0.0.1:0", MaxSocketsPerSession: -1, MaxSocketsPerUser: -1}, web.Services{Auth: db, Events: db, Logger: logger})
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

	last, err := db.LastEventID(ctx)
	if err != nil {
		return err
	}
	firstID := last + 1 // the bench is the only writer in its schema
	base := "ws://" + ln.Addr().String() + "/ws"
	groups := liveGroups(*nClients, *nDisp, token, teamIDs, leadTokens, firstID, nEvents)

	rssBefore := rssBytes()
	t0 := time.Now()
	var clients benchLiveSide
	if *inProcess {
		bc := newBenchClients(*nClients, firstID, nEvents)
		clients = bc
		defer bc.stop()
		if err := bc.connect(ctx, base, groups); err != nil {
			return err
		}
		runtime.GC()
		time.Sleep(500 * time.Millisecond) // let the hand-shake garbage go
	} else {
		child, err := startBenchChild(ctx, base, groups, *nClients, firstID, *rate, *duration)
		if err != nil {
			return err
		}
		clients = child
		defer child.kill()
		runtime.GC()
	}
	connected, clientIdle, err := clients.connected()
	if err != nil {
		return err
	}
	rssIdle := rssBytes()
	fmt.Fprintf(os.Stderr, "bench live: %d clients connected in %v\n", connected, time.Since(t0).Round(time.Millisecond))

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	commits := make([]atomic.Int64, nEvents)
	clients.setCommits(commits)
	tw := time.Now()
	if err := commitBenchEvents(ctx, db, *rate, firstID, teamIDs, commits); err != nil {
		return err
	}
	writeTime := time.Since(tw)
	rssServer := rssBytes()
	res, err := clients.finish(commits)
	if err != nil {
		return err
	}
	stopServe()
	<-served

	want := int64(0)
	for _, g := range groups {
		want += int64(g.N) * int64(g.Events)
	}
	if connected != *nClients {
		return fmt.Errorf("bench live: %d of %d clients connected", connected, *nClients)
	}
	fmt.Println("clients,events,delivered,lost,p50_ms,p99_ms,rss_mb")
	fmt.Printf("%d,%d,%d,%d,%.1f,%.1f,%.0f\n", connected, nEvents, res.delivered, want-res.delivered,
		res.p50, res.p99, float64(rssServer+res.rss)/(1<<20))
	if *inProcess {
		fmt.Printf("idle connection: %.1f KiB RSS each (server and in-process client together; %d clients, %.0f MiB before, %.0f MiB after connecting)\n",
			float64(rssIdle-rssBefore)/float64(connected)/1024, connected, float64(rssBefore)/(1<<20), float64(rssIdle)/(1<<20))
	} else {
		fmt.Printf("idle connection, server: %.1f KiB RSS each (%d clients, server process %.0f MiB before, %.0f MiB after connecting)\n",
			float64(rssIdle-rssBefore)/float64(connected)/1024, connected, float64(rssBefore)/(1<<20), float64(rssIdle)/(1<<20))
		fmt.Printf("idle connection, client process: %.0f MiB for %d clients; at the end: server %.0f MiB, clients %.0f MiB\n",
			float64(clientIdle)/(1<<20), connected, float64(rssServer)/(1<<20), float64(res.rss)/(1<<20))
	}
	fmt.Printf("events committed in %.1fs: %.0f/s achieved of %d/s asked\n", writeTime.Seconds(), float64(nEvents)/writeTime.Seconds(), *rate)
	if res.dups > 0 {
		fmt.Printf("out of order or duplicate deliveries: %d\n", res.dups)
	}
	return nil
}

// benchLiveGroupsEnv passes the client groups, with their session tokens,
// to the client process (not on its command line).
const benchLiveGroupsEnv = "QAMQOR_BENCH_LIVE_GROUPS"

// liveGroup is a set of clients on one topic with one session.
type liveGroup struct {
	Topic  string `json:"topic"`
	Token  string `json:"token"`
	N      int    `json:"n"`
	Events int    `json:"events"` // events the topic receives
	Last   int64  `json:"last"`   // id of the last of them (first-1: none)
}

// liveGroups plans the clients: nDisp on dispatch (every event), the rest
// spread evenly over the teams' topics; event i (id first+i) belongs to
// team i mod len(teamIDs).
func liveGroups(clients, nDisp int, dispToken string, teamIDs []int64, leadTokens []string, first int64, events int) []liveGroup {
	var gs []liveGroup
	if nDisp > 0 {
		gs = append(gs, liveGroup{Topic: "dispatch", Token: dispToken, N: nDisp, Events: events, Last: first + int64(events) - 1})
	}
	t := len(teamIDs)
	rest := clients - nDisp
	for k := 0; k < t; k++ {
		n := rest / t
		if k < rest%t {
			n++
		}
		g := liveGroup{Topic: "team:" + strconv.FormatInt(teamIDs[k], 10), Token: leadTokens[k], N: n, Last: first - 1}
		if k < events {
			g.Events = (events-1-k)/t + 1
			g.Last = first + int64(k+(g.Events-1)*t)
		}
		if n > 0 {
			gs = append(gs, g)
		}
	}
	return gs
}

// createBenchTeams creates n teams, each with a team lead user and a
// session, and returns the team ids and the leads' session tokens.
func createBenchTeams(ctx context.Context, db *postgres.DB, n int) ([]int64, []string, error) {
	if n == 0 {
		return nil, nil, nil
	}
	admin := &dispatch.User{Username: "bench-admin", Role: dispatch.RoleAdmin}
	if err := db.CreateUser(ctx, admin, "bench-password"); err != nil {
		return nil, nil, err
	}
	org := &dispatch.Organisation{Name: "Bench HQ", Kind: "headquarters"}
	if err := db.SaveOrganisation(ctx, admin, org); err != nil {
		return nil, nil, err
	}
	ids := make([]int64, n)
	tokens := make([]string, n)
	for i := range n {
		t := &dispatch.Team{Name: fmt.Sprintf("Team %03d", i), OrganisationID: org.ID, Base: orb.Point{71.43, 51.13},
			CapacityPackages: 10, ShiftStart: "09:00", ShiftEnd: "17:00", Active: true}
		if err := db.SaveTeam(ctx, admin, t); err != nil {
			return nil, nil, fmt.Errorf("team %d: %w", i, err)
		}
		ids[i] = t.ID
	}
	// Team lead accounts (bcrypt makes each take a while: a few at once).
	var wg sync.WaitGroup
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lead := &dispatch.User{Username: fmt.Sprintf("bench-lead-%d", i), FullName: fmt.Sprintf("Lead %d", i), Role: dispatch.RoleTeamLead, TeamID: &ids[i]}
			if err := db.CreateUser(ctx, lead, "bench-password"); err != nil {
				errs[i] = err
				return
			}
			tokens[i], _, errs[i] = db.CreateSession(ctx, lead.ID, time.Hour)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("team lead %d: %w", i, err)
		}
	}
	return ids, tokens, nil
}

// benchLiveSide is the client side of the bench, in this process or in a
// child process.
type benchLiveSide interface {
	// connected waits until every client has its hello and returns how
	// many connected and the RSS of the clients' process (0 in-process).
	connected() (n int, rss int64, err error)
	// setCommits hands over where commit times (unix ns, by event id -
	// first) are stored as events commit.
	setCommits(commits []atomic.Int64)
	// finish waits (at most benchLiveDrain) for every client to receive
	// the last event, ends the clients and returns what they measured.
	finish(commits []atomic.Int64) (benchLiveResult, error)
}

type benchLiveResult struct {
	delivered, dups int64
	p50, p99        float64
	rss             int64 // of the client process; 0 in-process
}

// benchClients are the WebSocket clients of bench live. Each reader stores
// the receipt time of every event; latencies are computed at the end, from
// the commit times, so a receipt before its commit time is known is never
// mistaken.
type benchClients struct {
	first   int64
	events  int
	base    int64 // unix ns; receipt times are µs after it, plus one
	list    []*benchClient
	readers sync.WaitGroup
	commits []atomic.Int64 // in-process only
}

// benchClient is one WebSocket client. Only its reader writes its fields
// (lastID aside, which finish polls); they are read after the reader ends.
type benchClient struct {
	conn   *websocket.Conn
	want   int64 // id of the last event its topic receives
	lastID atomic.Int64
	count  int64
	dups   int64
	// recv holds one entry per received event: (event id - first) << 32 |
	// (µs after base plus one).
	recv []uint64
}

func newBenchClients(n int, first int64, events int) *benchClients {
	return &benchClients{first: first, events: events, base: time.Now().UnixNano(), list: make([]*benchClient, 0, n)}
}

// connect logs the clients of groups in (base is the ws:// URL of /ws), a
// bounded number at a time, and starts their readers once each has its
// hello.
func (bc *benchClients) connect(ctx context.Context, base string, groups []liveGroup) error {
	n := cap(bc.list)
	ctx, cancel := context.WithTimeout(ctx, benchLiveConnect)
	defer cancel()
	dialer := &websocket.Dialer{ReadBufferSize: 4096, WriteBufferSize: 256, HandshakeTimeout: 30 * time.Second}
	origin := "http://" + strings.TrimPrefix(strings.TrimSuffix(base, "/ws"), "ws://")
	type spec struct {
		url  string
		hdr  http.Header
		want int64
		cap  int
	}
	var specs []spec
	for _, g := range groups {
		hdr := http.Header{}
		hdr.Set("Cookie", web.SessionCookie+"="+g.Token)
		hdr.Set("Origin", origin)
		for range g.N {
			specs = append(specs, spec{base + "?topic=" + g.Topic, hdr, g.Last, g.Events})
		}
	}
	if len(specs) != n {
		return fmt.Errorf("bench live: %d client specs for %d clients", len(specs), n)
	}
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
			conn, _, err := dialer.DialContext(ctx, specs[i].url, specs[i].hdr)
			if err == nil {
				_, _, err = conn.ReadMessage() // hello
			}
			if err != nil {
				errMu.Lock()
				first = cmpErr(first, fmt.Errorf("connect client %d: %w", i, err))
				errMu.Unlock()
				return
			}
			c := &benchClient{conn: conn, want: specs[i].want, recv: make([]uint64, 0, specs[i].cap)}
			clients[i] = c
			bc.readers.Add(1)
			go func() {
				defer bc.readers.Done()
				c.read(bc.first, bc.base)
			}()
		}()
	}
	wg.Wait()
	for _, c := range clients {
		if c != nil {
			bc.list = append(bc.list, c)
		}
	}
	return first
}

func (bc *benchClients) connected() (int, int64, error) { return len(bc.list), 0, nil }

func (bc *benchClients) setCommits(commits []atomic.Int64) { bc.commits = commits }

func (bc *benchClients) finish(commits []atomic.Int64) (benchLiveResult, error) {
	times := make([]int64, len(commits))
	for i := range commits {
		times[i] = commits[i].Load()
	}
	return bc.result(times), nil
}

// waitAll waits until every client has the last event or until deadline.
func (bc *benchClients) waitAll(deadline time.Time) {
	for _, c := range bc.list {
		for c.lastID.Load() < c.want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// stop closes every connection and waits for the readers to end.
func (bc *benchClients) stop() {
	for _, c := range bc.list {
		c.conn.Close()
	}
	bc.readers.Wait()
}

// result waits for the last event (benchLiveDrain at most), stops the
// clients and adds up their deliveries against the commit times.
func (bc *benchClients) result(commits []int64) benchLiveResult {
	bc.waitAll(time.Now().Add(benchLiveDrain))
	bc.stop()
	var r benchLiveResult
	hist := make([]int64, benchLiveMaxUsec/benchLiveBucketUsec+1)
	for _, c := range bc.list {
		r.delivered += c.count
		r.dups += c.dups
		for _, e := range c.recv {
			i, at := int(e>>32), uint32(e)
			recvNs := bc.base + int64(at-1)*1000
			us := int64(0)
			if commits[i] != 0 {
				// A receipt before the commit time was taken (the commit
				// still on its way back to the writer) counts zero.
				us = max(0, (recvNs-commits[i])/1000)
			}
			hist[min(us, benchLiveMaxUsec)/benchLiveBucketUsec]++
		}
	}
	r.p50 = percentileMs(hist, r.delivered, 0.50)
	r.p99 = percentileMs(hist, r.delivered, 0.99)
	return r
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// read records the receipt time of every event until the connection ends.
// It reads each message into one reused buffer and scans only the ids, so
// a client costs little besides the read itself; one clock read per
// message.
func (c *benchClient) read(first, base int64) {
	buf := make([]byte, 0, 8192)
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
		}
		at := uint32((time.Now().UnixNano()-base)/1000) + 1
		last := c.lastID.Load()
		for rest := buf; len(rest) > 0; {
			line := rest
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			id, ok := eventID(line)
			if !ok {
				continue
			}
			if id <= last {
				c.dups++
				continue
			}
			last = id
			c.count++
			if i := id - first; i >= 0 && i < math.MaxUint32 {
				c.recv = append(c.recv, uint64(i)<<32|uint64(at))
			}
		}
		c.lastID.Store(last)
	}
}

// eventID reads the id of an event line ({"id":N,...}); control messages
// start with "type".
func eventID(line []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"id":`))
	if !ok {
		return 0, false
	}
	var id int64
	n := 0
	for ; n < len(rest) && rest[n] >= '0' && rest[n] <= '9'; n++ {
		id = id*10 + int64(rest[n]-'0')
	}
	return id, n > 0 && n < 19 && n < len(rest) && rest[n] == ','
}

// benchChild is the client side in a child process. Protocol: the child
// prints "connected N RSS" once every client has its hello; after the
// events the parent writes the commit times (one unix-ns number a line,
// by event id - first); the child then waits for the last event, ends its
// clients and prints "result DELIVERED DUPS P50 P99 RSS".
type benchChild struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startBenchChild(ctx context.Context, base string, groups []liveGroup, n int, first int64, rate int, duration time.Duration) (*benchChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	gj, err := json.Marshal(groups)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "live", "--client-process", base,
		"--clients", strconv.Itoa(n), "--first", strconv.FormatInt(first, 10),
		"--rate", strconv.Itoa(rate), "--duration", duration.String())
	cmd.Env = append(os.Environ(), benchLiveGroupsEnv+"="+string(gj))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start client process: %w", err)
	}
	return &benchChild{cmd: cmd, in: in, out: bufio.NewScanner(out)}, nil
}

func (b *benchChild) line(want string) ([]string, error) {
	if !b.out.Scan() {
		return nil, fmt.Errorf("client process ended before %q: %v (see its errors above)", want, cmpErr(b.out.Err(), b.cmd.Wait()))
	}
	f := strings.Fields(b.out.Text())
	if len(f) == 0 || f[0] != want {
		return nil, fmt.Errorf("client process said %q, want %q", b.out.Text(), want)
	}
	return f[1:], nil
}

func (b *benchChild) connected() (int, int64, error) {
	f, err := b.line("connected")
	if err != nil {
		return 0, 0, err
	}
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("client process: bad connected line %q", f)
	}
	n, _ := strconv.Atoi(f[0])
	rss, _ := strconv.ParseInt(f[1], 10, 64)
	return n, rss, nil
}

func (b *benchChild) setCommits([]atomic.Int64) {}

func (b *benchChild) finish(commits []atomic.Int64) (benchLiveResult, error) {
	w := bufio.NewWriter(b.in)
	for i := range commits {
		fmt.Fprintln(w, commits[i].Load())
	}
	if err := w.Flush(); err != nil {
		return benchLiveResult{}, fmt.Errorf("client process: %w", err)
	}
	b.in.Close()
	f, err := b.line("result")
	if err != nil {
		return benchLiveResult{}, err
	}
	var r benchLiveResult
	if len(f) != 5 {
		return r, fmt.Errorf("client process: bad result line %q", f)
	}
	r.delivered, _ = strconv.ParseInt(f[0], 10, 64)
	r.dups, _ = strconv.ParseInt(f[1], 10, 64)
	r.p50, _ = strconv.ParseFloat(f[2], 64)
	r.p99, _ = strconv.ParseFloat(f[3], 64)
	r.rss, _ = strconv.ParseInt(f[4], 10, 64)
	return r, b.cmd.Wait()
}

func (b *benchChild) kill() {
	if b.cmd.ProcessState == nil {
		b.cmd.Process.Kill()
		b.cmd.Wait()
	}
}

// runBenchLiveClients is the client process of bench live.
func runBenchLiveClients(ctx context.Context, base string, groups []liveGroup, first int64, events int) error {
	n := 0
	for _, g := range groups {
		n += g.N
	}
	if err := raiseFileLimit(uint64(n + 256)); err != nil {
		return err
	}
	bc := newBenchClients(n, first, events)
	defer bc.stop()
	if err := bc.connect(ctx, base, groups); err != nil {
		return err
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond) // let the hand-shake garbage go
	fmt.Printf("connected %d %d\n", len(bc.list), rssBytes())
	commits := make([]int64, events)
	sc := bufio.NewScanner(os.Stdin)
	for i := range commits {
		if !sc.Scan() {
			return fmt.Errorf("client process: %d of %d commit times: %v", i, events, sc.Err())
		}
		commits[i], _ = strconv.ParseInt(sc.Text(), 10, 64)
	}
	r := bc.result(commits)
	fmt.Printf("result %d %d %.1f %.1f %d\n", r.delivered, r.dups, r.p50, r.p99, rssBytes())
	return nil
}

// commitBenchEvents commits len(commits) events at rate per second, one
// transaction each, and stores the time each commit returned; the events
// must get the ids first, first+1, ... Event i belongs to team
// teamIDs[i mod len(teamIDs)] (to team 1, which has no clients, without
// teams).
func commitBenchEvents(ctx context.Context, db *postgres.DB, rate int, first int64, teamIDs []int64, commits []atomic.Int64) error {
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range commits {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		payload := map[string]any{"request_id": 100000 + i, "status": "assigned", "route_id": 42, "eta": "2025-01-20T09:30:00Z", "lat": 51.1282, "lon": 71.4304}
		team := int64(1)
		if len(teamIDs) > 0 {
			team = teamIDs[i%len(teamIDs)]
		}
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
