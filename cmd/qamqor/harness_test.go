package main

// The end-to-end harness shared by e2e_test.go and browser_test.go: the
// binary built once per test, `qamqor serve` instances on :0, a fresh
// PostGIS schema with the demo set, API clients with cookie jars and
// websocket readers.

import (
	"bufio"
	"bytes"
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
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// stack is a fresh schema with the demo set loaded and the built binary:
// what every end-to-end test starts from. env points `qamqor` at the
// schema and at the test road graph.
type stack struct {
	db  *postgres.DB
	env []string
	bin string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	db := pgtest.MustOpen(t)
	dsn := pgtest.URL()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	env := []string{"DATABASE_URL=" + dsn + sep + "search_path=" + db.Schema() + ",public"}
	bin := buildBinary(t)
	// The same set-up as make run: demo data, then the road network into
	// the database, where the server loads it from.
	runQamqor(t, bin, env, "demo", "load")
	runQamqor(t, bin, env, "import-osm", "--skip-if-loaded", filepath.Join("..", "..", "testdata", "osm", "astana_roads_approx.osm.pbf"))
	return &stack{db: db, env: env, bin: bin}
}

// instance is one `qamqor serve` process on :0.
type instance struct {
	url string
	cmd *exec.Cmd
}

// built is the binary every end-to-end test of this run shares: linking it
// once instead of once per test saves minutes on a 2-core machine.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// TestMain removes the shared binary after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildBinary compiles cmd/qamqor once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "qamqor-e2e-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "qamqor")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
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
	// closeCode is the code of the server's close frame, set before events
	// is closed.
	closeCode int
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
	defaultClose := conn.CloseHandler()
	conn.SetCloseHandler(func(code int, text string) error {
		w.closeCode = code
		return defaultClose(code, text)
	})
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
