package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestSignupThrottleShared: the sign-up limit is counted in PostgreSQL, so
// every server instance on the database sees the same count: 5 posts per
// address per hour, the 6th waits until the window ends, another address
// is not slowed, and a new window starts after the hour. Stale counters
// (client addresses) are not kept.
func TestSignupThrottleShared(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		wait, err := db.TakeSignup(ctx, "198.51.100.1", t0.Add(time.Duration(i)*time.Minute), 5, time.Hour)
		if err != nil || wait != 0 {
			t.Fatalf("post %d: wait %v err %v, want allowed", i+1, wait, err)
		}
	}
	wait, err := db.TakeSignup(ctx, "198.51.100.1", t0.Add(10*time.Minute), 5, time.Hour)
	if err != nil || wait != 50*time.Minute {
		t.Fatalf("6th post: wait %v err %v, want 50m (until the window ends)", wait, err)
	}
	if wait, err := db.TakeSignup(ctx, "198.51.100.2", t0.Add(10*time.Minute), 5, time.Hour); err != nil || wait != 0 {
		t.Errorf("another address: wait %v err %v, want allowed", wait, err)
	}
	if wait, err := db.TakeSignup(ctx, "198.51.100.1", t0.Add(61*time.Minute), 5, time.Hour); err != nil || wait != 0 {
		t.Errorf("after the hour: wait %v err %v, want allowed", wait, err)
	}
	// 198.51.100.2's window ended at 11:10: its counter is gone by 11:20.
	if _, err := db.TakeSignup(ctx, "198.51.100.3", t0.Add(80*time.Minute), 5, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := execCount(t, db, `SELECT count(*) FROM signup_throttle WHERE client = '198.51.100.2'`); n != 0 {
		t.Errorf("a stale counter of an address is kept (%d rows)", n)
	}
}
