package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// proc is a `qamqor serve` process whose output lines a test can wait for.
type proc struct {
	url   string
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   []string
	added chan struct{}
	log   *bytes.Buffer
}

// startServe starts `qamqor serve` on :0 with extra env and waits for its
// URL. Unlike startInstance it keeps every output line for waitLine.
func startServe(t *testing.T, bin string, env []string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, added: make(chan struct{}, 1), log: &bytes.Buffer{}}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.added <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		p.stop(t, os.Interrupt)
		pw.Close()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("server output:\n%s", p.log.String())
			p.mu.Unlock()
		}
	})
	p.url = p.waitLine(t, regexp.MustCompile(`Qamqor is running at (http://\S+)`), 60*time.Second)[1]
	return p
}

// stop signals the process and waits for it to exit (kill after 20 s).
func (p *proc) stop(t *testing.T, sig os.Signal) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// waitLine returns the submatches of the first output line matching re.
func (p *proc) waitLine(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, l := range p.out {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("no output line matches %s within %v; output:\n%s", re, timeout, p.log.String())
		}
	}
}

// TestMetrics starts a server with QAMQOR_METRICS_ADDR, uses it, and checks
// that /metrics (on its own address only) exposes every named series.
func TestMetrics(t *testing.T) {
	st := newStack(t)
	// One finished and one failed planning job, as the planner leaves them.
	if _, err := st.db.Pool().Exec(context.Background(), `INSERT INTO planning_jobs (scope_key, scope, status, created_at, finished_at)
		VALUES ('day:2026-01-12', '{}', 'done', now() - interval '7 seconds', now()),
		       ('day:2026-01-13', '{}', 'failed', now() - interval '2 seconds', now())`); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, st.bin, append(st.env, "QAMQOR_METRICS_ADDR=127.0.0.1:0"))
	metricsURL := srv.waitLine(t, regexp.MustCompile(`Metrics at (http://\S+)`), 10*time.Second)[1]
	// Without a token Telegram is off, and start-up says so once.
	if n := srv.countLines(regexp.MustCompile(`Telegram notifications are off`)); n != 1 {
		t.Errorf("start-up says Telegram is off %d times, want once", n)
	}

	disp := login(t, srv.url, "dispatcher", "dispatcher-demo")
	ws := dialWS(t, disp, 0)
	defer ws.conn.Close()
	disp.do("GET", "/api/requests/999999", nil, nil, http.StatusNotFound, nil)
	hot := login(t, srv.url, "hotline", "hotline-demo")
	hot.do("POST", "/api/requests", map[string]any{"kind": "other", "address": "Kenesary 40", "lat": 51.1282, "lon": 71.4304, "force": true},
		nil, http.StatusCreated, nil)
	ws.collect(t, "request.created", 20*time.Second)

	var body string
	want := []string{
		`qamqor_http_requests_total{method="GET",route="/api/requests/{id}",status="404"} 1`,
		`qamqor_http_requests_total{method="POST",route="/api/requests",status="201"} 1`,
		`qamqor_http_request_duration_seconds_bucket{method="POST",route="/api/requests",status="201",le="+Inf"} 1`,
		`qamqor_ws_clients 1`,
		`qamqor_ws_delivery_lag_seconds_count`,
		`qamqor_events_total{type="request.created"}`,
		`qamqor_planning_jobs_total{outcome="done"} 1`,
		`qamqor_planning_jobs_total{outcome="failed"} 1`,
		`qamqor_planning_job_duration_seconds_bucket{outcome="done",le="10"} 1`,
		`qamqor_planning_job_duration_seconds_bucket{outcome="done",le="5"} 0`,
		`qamqor_queue_depth{queue="planning"} 0`,
		`qamqor_db_pool_connections{state="max"}`,
		`qamqor_db_pool_acquires_total`,
		`go_goroutines`,
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(metricsURL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		missing := 0
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	if t.Failed() {
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "qamqor_http_requests_total") {
				t.Log(l)
			}
		}
	}
	if strings.Contains(body, `route="/api/requests/999999"`) {
		t.Errorf("a route label holds an id: series would grow without bound")
	}
	// The public address does not serve the metrics.
	res, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusSeeOther {
		t.Errorf("public /metrics: status %d, want 404 (or the login redirect)", res.StatusCode)
	}
}
