package web

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestWSCaps: a session and a user may hold only so many live sockets; the
// next gets 429, and a closed socket frees its slot.
func TestWSCaps(t *testing.T) {
	db := pgtest.MustOpen(t)
	srv := mustWSServerCfg(t, db, Config{MaxSocketsPerSession: 2, MaxSocketsPerUser: 3})
	dial := func(token string, want int) func() {
		t.Helper()
		conn, resp, err := dialWS(srv, "/ws", token, "")
		if want == 0 {
			if err != nil {
				t.Fatalf("%s: dial: %v", token, err)
			}
			return func() { conn.Close() }
		}
		if err == nil {
			conn.Close()
			t.Fatalf("%s: upgraded, want %d", token, want)
		}
		if resp == nil || resp.StatusCode != want {
			t.Fatalf("%s: resp=%v err=%v, want %d", token, resp, err, want)
		}
		return nil
	}
	closeFirst := dial("tok-disp", 0)
	dial("tok-disp", 0)
	dial("tok-disp", http.StatusTooManyRequests) // per session
	dial("tok-disp-b", 0)
	dial("tok-disp-b", http.StatusTooManyRequests) // per user: 3 in all
	dial("tok-lead1", 0)                           // other users are not affected
	closeFirst()
	deadline := time.Now().Add(3 * time.Second)
	for {
		conn, _, err := dialWS(srv, "/ws", "tok-disp", "")
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed 3 s after a socket closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// slowSource reads events slowly, like a database under load.
type slowSource struct {
	dispatch.EventSource
	delay time.Duration
}

func (s slowSource) EventsSince(ctx context.Context, since int64, limit int) ([]dispatch.Event, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.EventSource.EventsSince(ctx, since, limit)
}

// TestHubReplayDeadline: a since= replay that cannot finish within
// ReplayTimeout ends in a reset and the client goes live, instead of
// holding a database connection for as long as it likes.
func TestHubReplayDeadline(t *testing.T) {
	db := pgtest.MustOpen(t)
	before := mustAppend(t, db, 30, 1, nil)
	h := NewHub(slowSource{EventSource: db, delay: 2 * time.Second}, HubConfig{ReplayTimeout: 300 * time.Millisecond, MaxReplays: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-h.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("hub not ready")
	}
	srv := hubServer(t, h, false)
	start := time.Now()
	c := MustDial(t, srv, "/?since="+strconv.FormatInt(before[0], 10), nil)
	c.mustHello()
	m := c.mustNext()
	if m.Type != MsgReset || m.LastID != before[len(before)-1] {
		t.Fatalf("message=%+v, want reset with last_id=%d", m, before[len(before)-1])
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("reset after %v, want within the 300 ms replay deadline (plus slack)", took)
	}
}
