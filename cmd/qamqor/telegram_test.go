package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

// fakeBot speaks the two Bot API methods Qamqor uses, as
// https://core.telegram.org/bots/api documents them: getUpdates (long
// polling with offset and timeout) and sendMessage (chat_id, text). A
// message counts as delivered only when its answer was written: a client
// that went away before that did not get it.
type fakeBot struct {
	token string
	mu    sync.Mutex
	cond  *sync.Cond
	next  int64
	queue []map[string]any
	sent  []fakeMsg
	// held chats' sendMessage calls wait until released; waiting counts
	// the calls blocked now.
	held    map[int64]chan struct{}
	waiting map[int64]int
}

type fakeMsg struct {
	Chat int64
	Text string
}

func newFakeBot(token string) *fakeBot {
	b := &fakeBot{token: token, next: 1, held: map[int64]chan struct{}{}, waiting: map[int64]int{}}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *fakeBot) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (b *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+b.token+"/")
	if !ok {
		b.reply(w, 401, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	r.ParseForm()
	switch method {
	case "getUpdates":
		off, _ := strconv.ParseInt(r.Form.Get("offset"), 10, 64)
		timeout, _ := strconv.Atoi(r.Form.Get("timeout"))
		deadline := time.Now().Add(time.Duration(timeout) * time.Second)
		b.mu.Lock()
		for {
			var out []map[string]any
			for _, u := range b.queue {
				if u["update_id"].(int64) >= off {
					out = append(out, u)
				}
			}
			if len(out) > 0 || time.Now().After(deadline) || r.Context().Err() != nil {
				b.mu.Unlock()
				if out == nil {
					out = []map[string]any{}
				}
				b.reply(w, 200, map[string]any{"ok": true, "result": out})
				return
			}
			b.waitLocked(r.Context(), 200*time.Millisecond)
		}
	case "sendMessage":
		chat, err := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
		text := r.Form.Get("text")
		if err != nil || text == "" {
			b.reply(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: chat_id and text are required"})
			return
		}
		b.mu.Lock()
		gate := b.held[chat]
		if gate != nil {
			b.waiting[chat]++
			b.cond.Broadcast()
			b.mu.Unlock()
			select {
			case <-gate:
			case <-r.Context().Done():
			}
			b.mu.Lock()
			b.waiting[chat]--
			b.cond.Broadcast()
			if r.Context().Err() != nil {
				b.mu.Unlock()
				return // the client is gone: nothing was delivered
			}
		}
		b.sent = append(b.sent, fakeMsg{Chat: chat, Text: text})
		id := len(b.sent)
		b.cond.Broadcast()
		b.mu.Unlock()
		b.reply(w, 200, map[string]any{"ok": true, "result": map[string]any{"message_id": id, "date": time.Now().Unix(),
			"chat": map[string]any{"id": chat, "type": "private"}, "text": text}})
	default:
		b.reply(w, 404, map[string]any{"ok": false, "error_code": 404, "description": "Not Found: method not found"})
	}
}

// waitLocked waits on cond for at most d (or until ctx ends).
func (b *fakeBot) waitLocked(ctx context.Context, d time.Duration) {
	t := time.AfterFunc(d, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer t.Stop()
	b.cond.Wait()
}

// send queues a user's message to the bot as an update.
func (b *fakeBot) send(chat int64, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, map[string]any{"update_id": b.next, "message": map[string]any{
		"message_id": b.next, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chat, "type": "private"}, "from": map[string]any{"id": chat, "is_bot": false, "first_name": "Lead"}}})
	b.next++
	b.cond.Broadcast()
}

// waitFor waits until cond (called with the lock held) is true.
func (b *fakeBot) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	b.mu.Lock()
	defer b.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; sent so far: %+v", what, b.sent)
		}
		b.waitLocked(context.Background(), 200*time.Millisecond)
	}
}

// count is how many messages to chat contain sub (lock held or not).
func (b *fakeBot) countLocked(chat int64, sub string) int {
	n := 0
	for _, m := range b.sent {
		if m.Chat == chat && strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

func (b *fakeBot) count(chat int64, sub string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.countLocked(chat, sub)
}

// TestTelegramRoutePublishedOnceAcrossRestart links two team leads through
// "/start CODE", publishes their routes, and kills the server (SIGKILL)
// while the second message is in flight. After a restart each lead has
// exactly one message about the route: none lost, none sent twice.
func TestTelegramRoutePublishedOnceAcrossRestart(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	fb := newFakeBot("123456:TEST-token")
	api := httptest.NewServer(fb)
	defer api.Close()
	env := append(append([]string{}, st.env...), "QAMQOR_TELEGRAM_API="+api.URL, "QAMQOR_TELEGRAM_TOKEN="+fb.token,
		"QAMQOR_TELEGRAM_REMINDER_AT=23:59")

	// Two teams, each with a lead: the demo's lead1 and one more.
	var teams []int64
	rows, err := st.db.Pool().Query(ctx, `SELECT id FROM teams WHERE active ORDER BY id LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		teams = append(teams, id)
	}
	rows.Close()
	var lead1Team int64
	if err := st.db.Pool().QueryRow(ctx, `SELECT team_id FROM users WHERE username = 'lead1'`).Scan(&lead1Team); err != nil {
		t.Fatal(err)
	}
	team2 := teams[0]
	if team2 == lead1Team {
		team2 = teams[1]
	}
	if err := st.db.CreateUser(ctx, &dispatch.User{Username: "lead2", FullName: "Lead 2", Role: dispatch.RoleTeamLead, TeamID: &team2, Active: true}, "lead2-secret"); err != nil {
		t.Fatal(err)
	}

	a := startServe(t, st.bin, env)
	if n := a.countLines(regexp.MustCompile(`Telegram notifications are on`)); n != 1 {
		t.Errorf("start-up says Telegram is on %d times, want once", n)
	}
	chats := map[string]int64{"lead1": 7001, "lead2": 7002}
	for _, u := range []struct{ name, pass string }{{"lead1", "lead-demo"}, {"lead2", "lead2-secret"}} {
		c := login(t, a.url, u.name, u.pass)
		var started struct {
			Code    string `json:"code"`
			Command string `json:"command"`
		}
		c.do("POST", "/api/telegram/link", nil, nil, http.StatusCreated, &started)
		if started.Command != "/start "+started.Code || len(started.Code) != 8 {
			t.Fatalf("link answer %+v, want an 8-character code and its /start command", started)
		}
		fb.send(chats[u.name], started.Command)
		deadline := time.Now().Add(30 * time.Second)
		for {
			var l struct {
				Linked bool `json:"linked"`
			}
			c.do("GET", "/api/telegram/link", nil, nil, http.StatusOK, &l)
			if l.Linked {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is not linked 30 s after sending the code", u.name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// A wrong code links nobody.
	fb.send(7999, "/start WRONG123")
	for name, chat := range chats {
		fb.waitFor(t, name+"'s link confirmation", 30*time.Second, func() bool { return fb.countLocked(chat, "notifications will come") == 1 })
	}

	// Draft routes for tomorrow, one per team, with two stops each.
	tomorrow := dispatch.LocalDate(time.Now().Add(24 * time.Hour))
	var routeIDs []int64
	for i, team := range []int64{lead1Team, team2} {
		var rid int64
		if err := st.db.Pool().QueryRow(ctx, `INSERT INTO routes (team_id, day, status) VALUES ($1, $2, 'draft') RETURNING id`, team, tomorrow).Scan(&rid); err != nil {
			t.Fatal(err)
		}
		for s := 1; s <= 2; s++ {
			var req int64
			err := st.db.Pool().QueryRow(ctx, `INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status)
				VALUES ('snow_clearing', $1, ST_SetSRID(ST_MakePoint(71.43 + $2 * 0.001, 51.13), 4326)::geography, 'hotline', 'normal', 30, 'planned') RETURNING id`,
				fmt.Sprintf("улица Тест %d, %d", i, s), float64(i*10+s)).Scan(&req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.db.Pool().Exec(ctx, `INSERT INTO stops (route_id, request_id, seq, eta) VALUES ($1, $2, $3, $4)`,
				rid, req, s, time.Now().Add(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		routeIDs = append(routeIDs, rid)
	}

	// The second lead's chat hangs: its message is in flight when the
	// server dies.
	fb.mu.Lock()
	fb.held[chats["lead2"]] = make(chan struct{})
	fb.mu.Unlock()
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	disp.do("POST", "/api/routes/publish", map[string]any{"route_ids": routeIDs}, nil, http.StatusOK, nil)

	const routeText = "route is published"
	fb.waitFor(t, "lead1's route", 30*time.Second, func() bool { return fb.countLocked(chats["lead1"], routeText) == 1 })
	fb.waitFor(t, "lead2's route in flight", 30*time.Second, func() bool { return fb.waiting[chats["lead2"]] == 1 })
	// lead1's message is recorded as sent before the crash.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var sent int
		st.db.Pool().QueryRow(ctx, `SELECT count(*) FROM telegram_outbox WHERE chat_id = $1 AND sent_at IS NOT NULL AND text LIKE '%' || $2 || '%'`,
			chats["lead1"], routeText).Scan(&sent)
		if sent == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lead1's route message is not marked sent")
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.stop(t, syscall.SIGKILL)
	fb.waitFor(t, "the killed send to end", 10*time.Second, func() bool { return fb.waiting[chats["lead2"]] == 0 })
	fb.mu.Lock()
	close(fb.held[chats["lead2"]])
	delete(fb.held, chats["lead2"])
	fb.mu.Unlock()
	if n := fb.count(chats["lead2"], routeText); n != 0 {
		t.Fatalf("lead2 got %d route messages from the killed server, want 0", n)
	}

	startServe(t, st.bin, env)
	fb.waitFor(t, "lead2's route after the restart", 60*time.Second, func() bool { return fb.countLocked(chats["lead2"], routeText) == 1 })
	time.Sleep(3 * time.Second) // time for a duplicate to show up, if any
	for name, chat := range chats {
		if n := fb.count(chat, routeText); n != 1 {
			t.Errorf("%s got %d route messages, want exactly 1", name, n)
		}
		if n := fb.count(chat, "notifications will come"); n != 1 {
			t.Errorf("%s got %d link confirmations, want 1", name, n)
		}
	}
	if n := fb.count(7999, ""); n != 0 {
		t.Errorf("the wrong code's chat got %d messages, want none", n)
	}
	// The message lists the stops in order with their streets, and no
	// personal data is in the table it came from.
	fb.mu.Lock()
	var text string
	for _, m := range fb.sent {
		if m.Chat == chats["lead2"] && strings.Contains(m.Text, routeText) {
			text = m.Text
		}
	}
	fb.mu.Unlock()
	if !strings.Contains(text, "2 stops") || !strings.Contains(text, "1. ") || !strings.Contains(text, "улица Тест 1, 1") {
		t.Errorf("route message %q lacks its stops", text)
	}
}

// countLines counts output lines matching re.
func (p *proc) countLines(re *regexp.Regexp) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.out {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}
