package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
)

// outboxTexts returns the queued Telegram texts to chat.
func outboxTexts(tb testing.TB, db *postgres.DB, chat int64) []string {
	tb.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT text FROM telegram_outbox WHERE chat_id = $1 ORDER BY id`, chat)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// consumeAll runs the telegram event consumer over everything committed.
func consumeAll(tb testing.TB, db *postgres.DB, cfg postgres.TelegramConfig) {
	tb.Helper()
	ctx := context.Background()
	from, err := db.Cursor(ctx, "telegram")
	if err != nil {
		tb.Fatal(err)
	}
	evs, err := db.EventsSince(ctx, from, 10000)
	if err != nil || len(evs) == 0 {
		return
	}
	if _, err := db.EnqueueTelegramEvents(ctx, from, evs[len(evs)-1].ID, evs, cfg); err != nil {
		tb.Fatal(err)
	}
}

// TestTelegramNotices: linking by code, a change to a live route (to its
// lead only, in the lead's language), an escalated not-home alert and the
// morning reminder (to whom they belong, once each however often the
// checks run), each message with its queued send job.
func TestTelegramNotices(t *testing.T) {
	f := newExecFixture(t)
	ctx := context.Background()
	db := f.db
	const leadChat, otherChat, dispChat = 5001, 5002, 5009

	code, exp, err := db.StartTelegramLink(ctx, f.lead, "ru")
	if err != nil || len(code) != 8 || !exp.After(f.now) {
		t.Fatalf("StartTelegramLink=%q %v %v", code, exp, err)
	}
	if err := db.LinkTelegramChat(ctx, "WRONG234", leadChat); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Errorf("wrong code: %v, want ENOTFOUND", err)
	}
	if err := db.LinkTelegramChat(ctx, strings.ToLower(code), leadChat); err != nil {
		t.Fatalf("link: %v", err)
	}
	if err := db.LinkTelegramChat(ctx, code, 9999); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Errorf("reused code: %v, want ENOTFOUND", err)
	}
	if l, _ := db.FindTelegramLink(ctx, f.lead); !l.Linked || l.Lang != "ru" {
		t.Errorf("link=%+v, want linked in ru", l)
	}
	for u, chat := range map[*dispatch.User]int64{f.otherLead: otherChat, f.dispatcher: dispChat} {
		c, _, _ := db.StartTelegramLink(ctx, u, "en")
		if err := db.LinkTelegramChat(ctx, c, chat); err != nil {
			t.Fatal(err)
		}
	}
	cfg := postgres.TelegramConfig{PublicURL: "https://qamqor.example.kz", AlertAfter: 15 * time.Minute, ReminderAt: "11:00"}
	consumeAll(t, db, cfg) // the fixture's own events are no news

	t.Run("RouteChanged", func(t *testing.T) {
		if _, err := db.RemoveStop(ctx, f.dispatcher, f.stops[2], dispatch.StopEdit{}); err != nil {
			t.Fatal(err)
		}
		consumeAll(t, db, cfg)
		consumeAll(t, db, cfg)
		got := outboxTexts(t, db, leadChat)
		if len(got) != 2 || !strings.Contains(got[1], "Маршрут изменён") || !strings.Contains(got[1], "остановка снята") ||
			!strings.Contains(got[1], "2 остановок") || !strings.Contains(got[1], "https://qamqor.example.kz/team") {
			t.Errorf("lead's messages %q, want the link confirmation and one change in Russian", got)
		}
		if n := len(outboxTexts(t, db, otherChat)); n != 1 {
			t.Errorf("the other team's lead got %d messages, want only the link confirmation", n)
		}
	})

	t.Run("AlertEscalation", func(t *testing.T) {
		alert := mustExecID(t, db, `INSERT INTO alerts (kind, stop_id, request_id, care_address_id, team_id, created_at)
			VALUES ('not_home', $1, $2, $3, $4, $5) RETURNING id`, f.stops[0], f.requests[0], f.cares[0].ID, f.teamID, f.now.Add(-10*time.Minute))
		if err := db.EnqueueTelegramChecks(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		if n := len(outboxTexts(t, db, dispChat)); n != 1 {
			t.Fatalf("after 10 min the dispatcher got %d messages, want only the link confirmation", n)
		}
		f.now = f.now.Add(6 * time.Minute)
		for range 2 {
			if err := db.EnqueueTelegramChecks(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}
		got := outboxTexts(t, db, dispChat)
		if len(got) != 2 || !strings.Contains(got[1], "Alert not handled #") || !strings.Contains(got[1], "unhandled for 16 min") {
			t.Fatalf("dispatcher's messages %q, want one escalation", got)
		}
		for _, secret := range []string{f.cares[0].FullName, f.cares[0].Phone, "Ахметова"} {
			if strings.Contains(got[1], secret) {
				t.Errorf("escalation %q shows %q", got[1], secret)
			}
		}
		if n := len(outboxTexts(t, db, leadChat)); n != 2 {
			t.Errorf("the lead got the escalation too (%d messages)", n)
		}
		mustExecSQL(t, db, `UPDATE alerts SET status = 'handled' WHERE id = $1`, alert)
	})

	t.Run("Reminder", func(t *testing.T) {
		before := len(outboxTexts(t, db, leadChat))
		f.now = time.Date(2026, 1, 12, 10, 59, 0, 0, time.FixedZone("Asia/Astana", 5*3600))
		if err := db.EnqueueTelegramChecks(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		if n := len(outboxTexts(t, db, leadChat)); n != before {
			t.Fatalf("a reminder before 11:00")
		}
		f.now = f.now.Add(2 * time.Minute)
		for range 3 {
			if err := db.EnqueueTelegramChecks(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}
		got := outboxTexts(t, db, leadChat)
		if len(got) != before+1 || !strings.Contains(got[before], "Доброе утро") || !strings.Contains(got[before], "Team A") {
			t.Errorf("lead's messages %q, want one reminder in Russian", got[before:])
		}
		if n := len(outboxTexts(t, db, otherChat)); n != 1 {
			t.Errorf("the other lead (no route today) got %d messages", n)
		}
	})

	var rows, jobs int
	db.Pool().QueryRow(ctx, `SELECT count(*) FROM telegram_outbox`).Scan(&rows)
	db.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'telegram_send'`).Scan(&jobs)
	if rows == 0 || rows != jobs {
		t.Errorf("%d outbox rows and %d telegram_send jobs, want one job per row", rows, jobs)
	}
}
