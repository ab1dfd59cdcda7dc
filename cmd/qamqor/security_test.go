package main

// End-to-end security tests (issue 10): real `qamqor serve` processes on a
// fresh PostGIS schema with the demo set.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// liveConn is a raw /ws connection that reports how it ended.
type liveConn struct {
	conn   *websocket.Conn
	closed chan int // the close code, or -1 for any other end
}

// dialLive opens /ws?query with c's session cookie and reads until the
// connection ends.
func dialLive(t *testing.T, c *client, base, query string) *liveConn {
	t.Helper()
	conn, resp, err := dialLiveErr(c, base, query)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("dial /ws?%s: %v (status %d)", query, err, st)
	}
	l := &liveConn{conn: conn, closed: make(chan int, 1)}
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					l.closed <- ce.Code
				} else {
					l.closed <- -1
				}
				return
			}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return l
}

func dialLiveErr(c *client, base, query string) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(base)
	cu, _ := url.Parse(c.base)
	hdr := http.Header{"Origin": {base}}
	for _, ck := range c.http.Jar.Cookies(cu) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	return websocket.DefaultDialer.Dial(fmt.Sprintf("ws://%s/ws?%s", u.Host, query), hdr)
}

// expectClose waits for the connection to be closed with code within d.
func (l *liveConn) expectClose(t *testing.T, what string, code int, d time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case got := <-l.closed:
		if got != code {
			t.Errorf("%s: socket closed with %d, want %d", what, got, code)
		}
		t.Logf("%s: socket closed with %d after %v", what, got, time.Since(start).Round(time.Millisecond))
	case <-time.After(d):
		t.Errorf("%s: socket still open after %v, want closed with %d", what, d, code)
	}
}

// TestSessionEndClosesSockets: logout (on this or another instance),
// deactivation, a role change and a team change each close the user's
// websockets with 4001 within a second.
func TestSessionEndClosesSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	a := startInstance(t, st.bin, st.env)
	b := startInstance(t, st.bin, st.env)
	admin := login(t, a.url, "admin", "admin-demo")

	var teams []struct {
		ID int64 `json:"id"`
	}
	admin.do("GET", "/api/teams?limit=5", nil, nil, http.StatusOK, &teams)
	if len(teams) < 2 {
		t.Fatalf("teams=%v, want at least two demo teams", teams)
	}
	// versions remembers each new user's version: a user is replaced only
	// with If-Match naming the version the admin read.
	versions := map[int64]int64{}
	newUser := func(name, role string, team *int64) int64 {
		var u struct{ ID, Version int64 }
		admin.do("POST", "/api/users", map[string]any{"username": name, "role": role, "team_id": team, "password": "long-enough-1"}, nil, http.StatusCreated, &u)
		versions[u.ID] = u.Version
		return u.ID
	}
	ifMatch := func(id int64) map[string]string {
		return map[string]string{"If-Match": fmt.Sprintf("%q", fmt.Sprint(versions[id]))}
	}
	const within = time.Second + 200*time.Millisecond // a second, plus the scheduling noise of a loaded test machine

	t.Run("LogoutSameInstance", func(t *testing.T) {
		newUser("ws-logout", "dispatcher", nil)
		c := login(t, a.url, "ws-logout", "long-enough-1")
		l := dialLive(t, c, a.url, "topic=dispatch")
		c.do("POST", "/api/logout", nil, nil, http.StatusNoContent, nil)
		l.expectClose(t, "logout", 4001, within)
	})
	t.Run("LogoutOtherInstance", func(t *testing.T) {
		newUser("ws-logout-b", "dispatcher", nil)
		c := login(t, a.url, "ws-logout-b", "long-enough-1")
		l := dialLive(t, c, b.url, "topic=dispatch")
		time.Sleep(300 * time.Millisecond)
		c.do("POST", "/api/logout", nil, nil, http.StatusNoContent, nil)
		l.expectClose(t, "logout on the other instance", 4001, within)
	})
	t.Run("Deactivated", func(t *testing.T) {
		id := newUser("ws-deact", "dispatcher", nil)
		c := login(t, a.url, "ws-deact", "long-enough-1")
		l := dialLive(t, c, a.url, "topic=dispatch")
		admin.do("PUT", fmt.Sprintf("/api/users/%d", id), map[string]any{"role": "dispatcher", "active": false}, ifMatch(id), http.StatusOK, nil)
		l.expectClose(t, "deactivation", 4001, within)
	})
	t.Run("RoleChanged", func(t *testing.T) {
		id := newUser("ws-role", "dispatcher", nil)
		c := login(t, b.url, "ws-role", "long-enough-1")
		l := dialLive(t, c, b.url, "topic=dispatch")
		admin.do("PUT", fmt.Sprintf("/api/users/%d", id), map[string]any{"role": "hotline"}, ifMatch(id), http.StatusOK, nil)
		l.expectClose(t, "role change", 4001, within)
	})
	t.Run("TeamChanged", func(t *testing.T) {
		id := newUser("ws-team", "team_lead", &teams[0].ID)
		c := login(t, a.url, "ws-team", "long-enough-1")
		l := dialLive(t, c, a.url, fmt.Sprintf("topic=team:%d", teams[0].ID))
		admin.do("PUT", fmt.Sprintf("/api/users/%d", id), map[string]any{"role": "team_lead", "team_id": teams[1].ID}, ifMatch(id), http.StatusOK, nil)
		l.expectClose(t, "team change", 4001, within)
	})
	t.Run("OthersStayOpen", func(t *testing.T) {
		newUser("ws-stay", "dispatcher", nil)
		c := login(t, a.url, "ws-stay", "long-enough-1")
		l := dialLive(t, c, a.url, "topic=dispatch")
		other := login(t, a.url, "ws-stay", "long-enough-1") // a second session of the same user
		other.do("POST", "/api/logout", nil, nil, http.StatusNoContent, nil)
		select {
		case code := <-l.closed:
			t.Fatalf("another session's logout closed this socket (%d)", code)
		case <-time.After(2 * time.Second):
		}
	})
	_ = context.Background
}

// TestPlanningPerSession: one login may run one planning job at a time
// (another day included); the same user's second login may start one more.
func TestPlanningPerSession(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	a := startInstance(t, st.bin, st.env)
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	day := time.Now().In(time.FixedZone("Asia/Astana", 5*3600)).AddDate(0, 0, 1)
	d := func(n int) string { return day.AddDate(0, 0, n).Format(time.DateOnly) }
	disp.do("POST", "/api/campaigns", map[string]any{"kind": "snowfall", "day": d(0), "snowfall_cm": 12}, nil, http.StatusCreated, nil)
	disp.do("POST", "/api/plans", map[string]any{"day": d(0), "time_limit_s": 20}, nil, http.StatusAccepted, nil)
	b := disp.do("POST", "/api/plans", map[string]any{"day": d(1), "time_limit_s": 1}, nil, http.StatusTooManyRequests, nil)
	t.Logf("second job of the session: %s", b)
	second := login(t, a.url, "dispatcher", "dispatcher-demo")
	second.do("POST", "/api/plans", map[string]any{"day": d(2), "time_limit_s": 1}, nil, http.StatusAccepted, nil)
}

// postLogin tries a login from the given X-Forwarded-For source and returns
// the status and the Retry-After header.
func postLogin(t *testing.T, base, xff, user, pass string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass)
	req, _ := http.NewRequest("POST", base+"/api/login", stringsReader(body))
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestLoginThrottling: a guesser from one address is slowed down, but the
// real user logging in from elsewhere is never locked out; behind a proxy
// named in QAMQOR_TRUSTED_PROXIES each client is its own source, and
// without it X-Forwarded-For is ignored.
func TestLoginThrottling(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	proxied := startInstance(t, st.bin, append(st.env[:len(st.env):len(st.env)], "QAMQOR_TRUSTED_PROXIES=127.0.0.1/32, ::1"))
	direct := startInstance(t, st.bin, st.env)

	t.Run("GuesserDoesNotLockOutUser", func(t *testing.T) {
		throttled := 0
		for i := 0; i < 30; i++ {
			code, _ := postLogin(t, proxied.url, "203.0.113.7", "dispatcher", fmt.Sprintf("guess-%d", i))
			if code == http.StatusTooManyRequests {
				throttled++
			} else if code != http.StatusUnauthorized {
				t.Fatalf("guess %d: status %d, want 401 or 429", i, code)
			}
		}
		if throttled == 0 {
			t.Fatal("30 wrong guesses from one address were never throttled")
		}
		if code, _ := postLogin(t, proxied.url, "198.51.100.20", "dispatcher", "dispatcher-demo"); code != http.StatusOK {
			t.Fatalf("the real dispatcher from another address: status %d, want 200", code)
		}
		if code, _ := postLogin(t, proxied.url, "198.51.100.21", "hotline", "hotline-demo"); code != http.StatusOK {
			t.Fatalf("another user behind the same proxy: status %d, want 200", code)
		}
		code, retry := postLogin(t, proxied.url, "203.0.113.7", "dispatcher", "dispatcher-demo")
		if code != http.StatusTooManyRequests || retry == "" {
			t.Fatalf("the guesser's address, even with the right password: status %d Retry-After %q, want 429 with Retry-After", code, retry)
		}
	})
	t.Run("XForwardedForIgnoredWithoutTrustedProxies", func(t *testing.T) {
		throttled := false
		for i := 0; i < 30 && !throttled; i++ {
			code, _ := postLogin(t, direct.url, fmt.Sprintf("192.0.2.%d", i+1), "hotline", fmt.Sprintf("guess-%d", i))
			throttled = code == http.StatusTooManyRequests
		}
		if !throttled {
			t.Fatal("a guesser rotating X-Forwarded-For was never throttled: the header was trusted")
		}
	})
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
