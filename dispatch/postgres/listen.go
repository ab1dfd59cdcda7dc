package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var (
	_ dispatch.EventSource = (*DB)(nil)
	_ dispatch.GapSettler  = (*DB)(nil)
)

// Reconnect back-off of Listen: the first retry comes quickly (a restarted
// server is often back in well under a second), later ones no more often
// than every listenMaxBackoff so a long outage does not hammer the server.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 5 * time.Second
)

// Listen wakes a live hub after each committed event: it holds one dedicated
// connection (not from the pool, which would hand it back and lose the
// LISTEN) doing LISTEN on EventChannel and calls wake for every
// notification. The notification is only a wake-up; the hub reads the
// events themselves by id from the table. When the connection is lost it
// reconnects with back-off and calls wake once LISTEN is in place again, so
// events committed in between are read too. It returns nil when ctx is done.
func (db *DB) Listen(ctx context.Context, wake func()) error {
	return db.ListenReporting(ctx, wake, nil)
}

// ListenReporting is Listen that also passes every connection error to
// report (which may be nil) before retrying, for the caller to log.
func (db *DB) ListenReporting(ctx context.Context, wake func(), report func(error)) error {
	return db.listen(ctx, func(string) { wake() }, func() { wake() }, report)
}

// listen is Listen with the notification payload (the event id) passed to
// notified, and connected called after each successful LISTEN.
func (db *DB) listen(ctx context.Context, notified func(payload string), connected func(), report func(error)) error {
	cfg, err := pgx.ParseConfig(db.url)
	if err != nil {
		return fmt.Errorf("listen: parse database url: %w", err)
	}
	backoff := listenMinBackoff
	for {
		start := time.Now()
		err := listenOnce(ctx, cfg, notified, connected)
		if ctx.Err() != nil {
			return nil
		}
		if report != nil {
			report(err)
		}
		if time.Since(start) > time.Minute {
			backoff = listenMinBackoff // the connection was healthy for a while
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listenOnce connects, listens and waits for notifications until the
// connection fails or ctx is done.
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, notified func(string), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("listen: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{EventChannel}.Sanitize()); err != nil {
		return fmt.Errorf("listen channel=%s: %w", EventChannel, err)
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen: wait for notification: %w", err)
		}
		notified(n.Payload)
	}
}

// AppendEvent writes one event in its own transaction and queues its
// notification, exactly as the stores do inside their transactions. The
// benchmark and tests use it; it returns the new event's id.
func (db *DB) AppendEvent(ctx context.Context, typ, entity string, entityID int64, teamID *int64, payload any) (int64, error) {
	var id int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = appendEvent(ctx, tx, typ, entity, entityID, teamID, payload)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("append event type=%s: %w", typ, err)
	}
	return id, nil
}

// WriteMark returns a new transaction id, above that of every transaction
// running now. (A snapshot's xmax is not enough: it is one past the newest
// completed transaction, and running ones may have larger ids.) It costs one
// transaction id, which the hub spends only when it sees a hole.
func (db *DB) WriteMark(ctx context.Context) (uint64, error) {
	var s string
	if err := db.pool.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&s); err != nil {
		return 0, fmt.Errorf("read transaction id: %w", err)
	}
	mark, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse transaction id=%q: %w", s, err)
	}
	return mark, nil
}

// Settled reports whether the oldest transaction still running started
// after mark was taken, that is whether all that were running then ended.
func (db *DB) Settled(ctx context.Context, mark uint64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::text::xid8`,
		strconv.FormatUint(mark, 10)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("compare snapshot xmin mark=%d: %w", mark, err)
	}
	return ok, nil
}
