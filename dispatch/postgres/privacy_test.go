package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestAuditAppendOnly: nobody may change or remove audit rows, nor events,
// except the retention purge.
func TestAuditAppendOnly(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	if _, err := db.AppendEvent(ctx, "test.event", "test", 1, nil, map[string]int{"i": 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordReads(ctx, disp, "volunteer", []int64{7}, "test"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET detail = 'changed'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`UPDATE events SET payload = '{}'`,
		`DELETE FROM events`,
		`TRUNCATE events`,
	} {
		if _, err := db.Pool().Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err=%v, want append-only refusal", q, err)
		}
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'test.event'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows of the event=%d (%v), want 1: every event is audited", n, err)
	}
}

// TestPurgeExpired removes exactly what is past each retention.
func TestPurgeExpired(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	pool := db.Pool()
	org := mustOrg(t, db)
	team := mustTeam(t, db, org, teamSpec{name: "T", base: orb.Point{71.43, 51.13}, members: []int{1990}, skills: []string{}, langs: []string{}})
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	old, recent := time.Now().Add(-400*24*time.Hour), time.Now().Add(-time.Hour)
	for _, at := range []time.Time{old, recent} {
		if _, err := pool.Exec(ctx, `INSERT INTO team_positions (team_id, location, recorded_at) VALUES ($1, ST_SetSRID(ST_MakePoint(71.43, 51.13), 4326)::geography, $2)`, team, at); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO events (type, entity, entity_id, created_at) VALUES ('test.event', 'test', 1, $1)`, at); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO audit_log (user_id, action, object_type, object_id, at) VALUES ($1, 'read', 'volunteer', 1, $2)`, disp.ID, at); err != nil {
			t.Fatal(err)
		}
		r := mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.43, 51.13}, dispatch.Normal)
		if _, err := pool.Exec(ctx, `UPDATE requests SET notes = 'Keys with the neighbour in flat 12', status = 'done', updated_at = $2 WHERE id = $1`, r.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.PurgeExpired(ctx, dispatch.Retention{Positions: 30 * dispatch.Day, RequestNotes: 90 * dispatch.Day, Audit: 365 * dispatch.Day, Events: 180 * dispatch.Day})
	if err != nil {
		t.Fatal(err)
	}
	if res.Positions != 1 || res.Events != 1 || res.Notes != 1 || res.Audit < 1 {
		t.Errorf("purged %+v, want 1 position, 1 event, 1 note, the old audit rows", res)
	}
	count := func(q string) int {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM team_positions`); n != 1 {
		t.Errorf("positions left=%d, want the recent one", n)
	}
	if n := count(`SELECT count(*) FROM requests WHERE notes <> ''`); n != 1 {
		t.Errorf("requests with notes=%d, want the recent one", n)
	}
	if n := count(`SELECT count(*) FROM events WHERE created_at < now() - interval '180 days'`); n != 0 {
		t.Errorf("old events left=%d", n)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE at < now() - interval '365 days'`); n != 0 {
		t.Errorf("old audit rows left=%d", n)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE at > now() - interval '1 day' AND action = 'read'`); n != 1 {
		t.Errorf("recent audit rows=%d, want kept", n)
	}
	// Zero retention keeps everything.
	if res, err := db.PurgeExpired(ctx, dispatch.Retention{}); err != nil || res != (dispatch.PurgeResult{}) {
		t.Errorf("purge with no retention=%+v (%v), want nothing", res, err)
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * dispatch.Day, "720h": 720 * time.Hour, "0": 0} {
		if got, err := dispatch.ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q)=%v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-3d", "1m", "abc", "0.5d"} {
		if _, err := dispatch.ParseRetention(in); err == nil {
			t.Errorf("ParseRetention(%q) accepted", in)
		}
	}
}
