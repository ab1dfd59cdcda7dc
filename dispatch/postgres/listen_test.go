package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// mustSecondHandle opens another DB on the same schema as db, as a second
// server instance would.
func mustSecondHandle(tb testing.TB, db *postgres.DB) *postgres.DB {
	tb.Helper()
	sp := db.Pool().Config().ConnConfig.RuntimeParams["search_path"]
	schema, _, _ := strings.Cut(sp, ",")
	db2, err := postgres.Open(context.Background(), pgtest.URL(), schema)
	if err != nil {
		tb.Fatalf("open second handle: %v", err)
	}
	tb.Cleanup(db2.Close)
	return db2
}

// waitWake waits for one wake-up or fails after a few seconds.
func waitWake(tb testing.TB, woke <-chan struct{}, what string) {
	tb.Helper()
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		tb.Fatalf("no wake-up for %s", what)
	}
}

func TestListen(t *testing.T) {
	t.Run("CommittedWakesOtherHandle", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		other := mustSecondHandle(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		woke := make(chan struct{}, 100)
		done := make(chan error, 1)
		go func() { done <- other.Listen(ctx, func() { woke <- struct{}{} }) }()
		waitWake(t, woke, "connect") // Listen wakes once LISTEN is in place

		id, err := db.AppendEvent(ctx, "test.event", "test", 1, nil, map[string]int{"n": 1})
		if err != nil {
			t.Fatal(err)
		}
		waitWake(t, woke, "committed event")
		evs, err := other.EventsSince(ctx, id-1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].ID != id {
			t.Fatalf("EventsSince=%v, want event id=%d", evs, id)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Listen=%v, want nil after cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Listen did not return after cancel")
		}
	})

	t.Run("RolledBackNeverArrives", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		ctx := context.Background()
		// A raw listener sees the payloads (the event ids) that Listen
		// hides; other tests may notify the same channel, so only ids
		// matter here.
		conn, err := pgx.Connect(ctx, pgtest.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `LISTEN `+postgres.EventChannel); err != nil {
			t.Fatal(err)
		}

		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var rolledBack int64
		if err := tx.QueryRow(ctx, `INSERT INTO events (type, entity, entity_id) VALUES ('test.rolled_back', 'test', 1) RETURNING id`).Scan(&rolledBack); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, postgres.EventChannel, fmt.Sprint(rolledBack)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		committed, err := db.AppendEvent(ctx, "test.committed", "test", 2, nil, nil)
		if err != nil {
			t.Fatal(err)
		}

		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for {
			n, err := conn.WaitForNotification(wctx)
			if err != nil {
				t.Fatalf("no notification for committed id=%d: %v", committed, err)
			}
			if n.Payload == fmt.Sprint(rolledBack) {
				t.Fatalf("notification for rolled-back id=%d arrived", rolledBack)
			}
			if n.Payload == fmt.Sprint(committed) {
				break // notifications are delivered in commit order
			}
		}
		evs, err := db.EventsSince(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].ID != committed {
			t.Fatalf("EventsSince=%v, want only id=%d", evs, committed)
		}
	})

	t.Run("GapSettles", func(t *testing.T) {
		db := pgtest.MustOpen(t)
		ctx := context.Background()
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO events (type, entity, entity_id) VALUES ('test.open', 'test', 1)`); err != nil {
			t.Fatal(err)
		}
		mark, err := db.WriteMark(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := db.Settled(ctx, mark); err != nil || ok {
			t.Fatalf("Settled=%v, %v with a writer open, want false", ok, err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// Other tests' transactions may run too; wait for them to end.
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := db.Settled(ctx, mark)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Settled=false long after the writer ended, want true")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
