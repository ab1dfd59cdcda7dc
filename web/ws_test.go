package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/mock"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// wsUsers are the users of the /ws tests, by session token.
var wsUsers = map[string]*dispatch.User{
	"tok-disp":    {ID: 2, Username: "disp", Role: dispatch.RoleDispatcher, Active: true},
	"tok-admin":   {ID: 1, Username: "admin", Role: dispatch.RoleAdmin, Active: true},
	"tok-hotline": {ID: 3, Username: "hot", Role: dispatch.RoleHotline, Active: true},
	"tok-disp-b":  {ID: 2, Username: "disp", Role: dispatch.RoleDispatcher, Active: true}, // a second login of disp
	"tok-lead1":   {ID: 4, Username: "lead1", Role: dispatch.RoleTeamLead, TeamID: ptr(int64(1)), Active: true},
}

func ptr[T any](v T) *T { return &v }

// MustWSServer serves the real router with the live hub over db (woken by
// db.Listen) and sessions from wsUsers.
func MustWSServer(tb testing.TB, db *postgres.DB) *httptest.Server {
	tb.Helper()
	return mustWSServerCfg(tb, db, Config{})
}

func mustWSServerCfg(tb testing.TB, db *postgres.DB, cfg Config) *httptest.Server {
	tb.Helper()
	auth := &mock.AuthStore{
		FindSessionFn: func(ctx context.Context, token string) (*dispatch.Session, error) {
			if u := wsUsers[token]; u != nil {
				return &dispatch.Session{User: u, CSRFToken: "csrf", ExpiresAt: time.Now().Add(time.Hour)}, nil
			}
			return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Session expired.")
		},
		LiveSessionsFn: func(ctx context.Context, tokens []string) (map[string]*dispatch.User, error) {
			live := map[string]*dispatch.User{}
			for _, t := range tokens {
				if u := wsUsers[t]; u != nil {
					live[t] = u
				}
			}
			return live, nil
		},
	}
	s, err := NewServer(cfg, Services{Auth: auth, Events: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Hub().Run(ctx); close(done) }()
	go db.Listen(ctx, s.Hub().Wake)
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(func() { srv.Close(); cancel(); <-done })
	return srv
}

// dialWS connects as the user of token (none when "") with the given
// Origin (the server's own when "").
func dialWS(srv *httptest.Server, path, token, origin string) (*websocket.Conn, *http.Response, error) {
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Cookie", SessionCookie+"="+token)
	}
	if origin == "" {
		origin = srv.URL
	}
	hdr.Set("Origin", origin)
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+path, hdr)
}

func TestWSAuthorization(t *testing.T) {
	db := pgtest.MustOpen(t)
	srv := MustWSServer(t, db)
	tests := []struct {
		name, path, token, origin string
		status                    int // 0: upgraded
	}{
		{name: "DispatcherDefault", path: "/ws", token: "tok-disp"},
		{name: "DispatcherAnyTeam", path: "/ws?topic=team:2", token: "tok-disp"},
		{name: "LeadDefault", path: "/ws", token: "tok-lead1"},
		{name: "LeadOwnTeam", path: "/ws?topic=team:1&since=0", token: "tok-lead1"},
		{name: "LeadOtherTeam", path: "/ws?topic=team:2", token: "tok-lead1", status: http.StatusForbidden},
		{name: "LeadDispatch", path: "/ws?topic=dispatch", token: "tok-lead1", status: http.StatusForbidden},
		{name: "Hotline", path: "/ws", token: "tok-hotline", status: http.StatusForbidden},
		{name: "Admin", path: "/ws?topic=dispatch", token: "tok-admin", status: http.StatusForbidden},
		{name: "Anonymous", path: "/ws", status: http.StatusUnauthorized},
		{name: "BadOrigin", path: "/ws", token: "tok-disp", origin: "http://evil.example", status: http.StatusForbidden},
		{name: "BadTopic", path: "/ws?topic=zone:3", token: "tok-disp", status: http.StatusUnprocessableEntity},
		{name: "BadSince", path: "/ws?since=-4", token: "tok-disp", status: http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := dialWS(srv, tt.path, tt.token, tt.origin)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("dial: %v, want upgrade (status %v)", err, resp.Status)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatalf("upgraded, want %d", tt.status)
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("dial: %v, want status %d", err, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type=%q, want a problem", ct)
			}
		})
	}
}

func TestWSTopics(t *testing.T) {
	db := pgtest.MustOpen(t)
	srv := MustWSServer(t, db)
	dial := func(path, token string) *wsClient {
		conn, _, err := dialWS(srv, path, token, "")
		if err != nil {
			t.Fatalf("dial %s: %v", path, err)
		}
		t.Cleanup(func() { conn.Close() })
		c := &wsClient{tb: t, conn: conn}
		c.mustHello()
		return c
	}
	disp := dial("/ws", "tok-disp")
	lead := dial("/ws", "tok-lead1") // defaults to team:1
	one, two := int64(1), int64(2)
	a := mustAppend(t, db, 2, 1, &one)
	b := mustAppend(t, db, 2, 1, &two)
	if got, want := disp.mustEvents(4), append(a, b...); !equalIDs(got, want) {
		t.Fatalf("dispatcher ids=%v, want %v", got, want)
	}
	if got := lead.mustEvents(2); !equalIDs(got, a) {
		t.Fatalf("team lead ids=%v, want %v (own team only)", got, a)
	}
	// A lead reconnecting with since gets the missed team events only.
	c := mustAppend(t, db, 1, 1, &one)
	mustAppend(t, db, 1, 1, &two)
	resumed := dial("/ws?since="+strconv.FormatInt(a[1], 10), "tok-lead1")
	if got := resumed.mustEvents(1); got[0] != c[0] {
		t.Fatalf("resumed ids=%v, want [%d]", got, c[0])
	}
}
