package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestHubSessionCheckSparesNewSockets: a socket opened while the session
// check is querying the database was not part of that check, so the check
// must not end it (it did: every socket whose token was not in the
// answer was closed with 4001, live sessions included).
func TestHubSessionCheckSparesNewSockets(t *testing.T) {
	db := pgtest.MustOpen(t)
	users := map[string]*dispatch.User{
		"a": {ID: 1, Username: "a", Role: dispatch.RoleDispatcher, Active: true},
		"b": {ID: 2, Username: "b", Role: dispatch.RoleDispatcher, Active: true},
	}
	started := make(chan struct{}, 1)
	proceed := make(chan struct{})
	sessions := func(ctx context.Context, tokens []string) (map[string]*dispatch.User, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-proceed
		live := map[string]*dispatch.User{}
		for _, tk := range tokens {
			live[tk] = users[tk]
		}
		return live, nil
	}
	h := MustStartHub(t, db, HubConfig{Sessions: sessions, SessionCheck: time.Hour})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tk := r.URL.Query().Get("token")
		o := &owner{token: tk, user: *users[tk]}
		if err := h.admit(o); err != nil {
			http.Error(w, err.Error(), http.StatusTooManyRequests)
			return
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			h.release(o)
			return
		}
		h.serve(context.Background(), conn, o, TopicDispatch, 0, -1)
	}))
	defer srv.Close()
	dial := func(tk string) *websocket.Conn {
		t.Helper()
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/?token="+tk, nil)
		if err != nil {
			t.Fatalf("dial %s: %v", tk, err)
		}
		if _, _, err := conn.ReadMessage(); err != nil { // hello
			t.Fatalf("%s: hello: %v", tk, err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	a := dial("a")
	h.Recheck()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("session check did not start")
	}
	b := dial("b") // while the check waits for its query
	close(proceed)
	for name, c := range map[string]*websocket.Conn{"a": a, "b": b} {
		c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
		_, _, err := c.ReadMessage()
		var ne interface{ Timeout() bool }
		if err == nil || !(errors.As(err, &ne) && ne.Timeout()) {
			t.Errorf("socket %s with a live session: %v, want it to stay open", name, err)
		}
	}
}
