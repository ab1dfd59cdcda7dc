// Package postgres implements the dispatch store on PostgreSQL with PostGIS.
// It is the only package that imports pgx; SQL lives in plain strings beside
// the Go that runs it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/riverqueue/river"
)

// DB is the connection pool plus the clock every transaction reads once.
type DB struct {
	pool *pgxpool.Pool
	url  string
	// schema is set for test schemas only
	schema string
	// current is the schema the tables live in (current_schema() of a
	// connection: public, or a test schema); River is told it explicitly.
	current string
	// jobs inserts background jobs in the caller's transaction; see jobs.go.
	jobs *river.Client[pgx.Tx]
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// retries counts transactions run again by inTx.
	retries atomic.Int64
	// SigningSeed, when set, is the Ed25519 seed certificates are signed
	// with (QAMQOR_SIGNING_KEY); otherwise a key is generated and stored on
	// first use. See certificate.go.
	SigningSeed []byte
}

// PoolConfig sizes the connection pool and bounds what one statement may
// cost. Zero values keep pgx's defaults and set no timeout.
type PoolConfig struct {
	// MaxConns is the most connections the pool opens. A server needs one
	// for the live feed's reads, one per running background job (plus the
	// job's liveness lock, see jobs.go), River's own listener and
	// maintenance, and the HTTP requests in flight.
	MaxConns int32
	// StatementTimeout cancels a statement that runs longer (server-side
	// statement_timeout), so a runaway query cannot hold a connection.
	StatementTimeout time.Duration
	// LockTimeout makes a statement that waits longer for a row or table
	// lock fail (lock_timeout) instead of queueing behind a stuck
	// transaction.
	LockTimeout time.Duration
}

// Open connects to the database at url. searchPath, when not empty, is put
// first in the search_path of every connection (tests use one schema each).
func Open(ctx context.Context, url string, searchPath string) (*DB, error) {
	return OpenPool(ctx, url, searchPath, PoolConfig{})
}

// OpenPool is Open with the pool sized and timed by pc.
func OpenPool(ctx context.Context, url string, searchPath string, pc PoolConfig) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if searchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = searchPath + ",public"
	}
	if pc.MaxConns > 0 {
		cfg.MaxConns = pc.MaxConns
	}
	if pc.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(pc.StatementTimeout.Milliseconds(), 10)
	}
	if pc.LockTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = strconv.FormatInt(pc.LockTimeout.Milliseconds(), 10)
	}
	// A connection that cannot be made within this is an outage: fail
	// fast so that handlers answer 503 instead of hanging.
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 5*time.Second {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	db := &DB{pool: pool, url: url, Now: time.Now}
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&db.current); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if db.jobs, err = newInsertClient(pool, db.current); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Pool exposes the pool for the cmd wiring and tests in this package's tree.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// txAttempts is how often inTx runs a transaction that PostgreSQL aborted
// for a deadlock (40P01) or a serialization failure (40001). Both mean "run
// it again": the other transaction has gone through by then.
const txAttempts = 5

// inTx runs fn in a transaction and commits when fn returns nil. When the
// transaction is aborted by a deadlock or serialization failure it is rolled
// back and fn runs again (up to txAttempts times, with a short random
// pause); fn must therefore set, not accumulate, what it hands out. If every
// attempt fails the caller gets ECONFLICT ("try again"), never a raw 500.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 1; attempt <= txAttempts; attempt++ {
		if err = db.runTx(ctx, fn); !retryable(err) {
			return err
		}
		db.retries.Add(1)
		if attempt < txAttempts {
			pause := time.Duration(attempt*10+rand.IntN(20)) * time.Millisecond
			select {
			case <-ctx.Done():
				return errors.Join(ctx.Err(), err)
			case <-time.After(pause):
			}
		}
	}
	return dispatch.Errorf(dispatch.ECONFLICT, "Someone else was changing the same records at the same moment; please try again.").Wrap(err)
}

func (db *DB) runTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := setOrigin(ctx, tx); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	// Deferred constraints are checked here.
	return translate(tx.Commit(ctx), "Record")
}

// retryable reports whether err is a deadlock or serialization failure,
// however it was wrapped.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// Retries returns how many transactions were run again after a deadlock or
// serialization failure since the DB was opened; tests read it to prove a
// lock order is deadlock-free rather than merely retried.
func (db *DB) Retries() int64 { return db.retries.Load() }

// translate turns driver errors into domain errors: no rows becomes
// ENOTFOUND, a unique violation ECONFLICT, a check violation EINVALID.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	// what is "Route" or "Route 12": a Thing, then maybe an id.
	thing, id := what, ""
	if i := strings.LastIndexByte(what, ' '); i > 0 && strings.Trim(what[i+1:], "0123456789") == "" {
		thing, id = what[:i], what[i+1:]
	}
	if errors.Is(err, pgx.ErrNoRows) {
		if id != "" {
			return dispatch.Errorf(dispatch.ENOTFOUND, "%s %s not found.", dispatch.Thing(thing), id).Wrap(err)
		}
		return dispatch.Errorf(dispatch.ENOTFOUND, "%s not found.", dispatch.Thing(thing)).Wrap(err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// The constraint's name is for the log (it stays in the chain),
		// not for the user.
		switch pgErr.Code {
		case "23505":
			return dispatch.Errorf(dispatch.ECONFLICT, "%s already exists.", dispatch.Thing(thing)).Wrap(err)
		case "23503":
			return dispatch.Errorf(dispatch.EINVALID, "A referenced record does not exist.").Wrap(err)
		case "22021", "22P05":
			return dispatch.Errorf(dispatch.EINVALID, "Text contains characters that cannot be stored.").Wrap(err)
		case "23P01":
			// stops_one_live_stop_per_request: the same request on two
			// routes at once.
			return dispatch.Errorf(dispatch.ECONFLICT, "A request would be on two routes at once; reload and try again.").Wrap(err)
		case "23514":
			return dispatch.Errorf(dispatch.EINVALID, "A value is out of range.").Wrap(err)
		}
	}
	return err
}

// clauseAdder returns a function that appends an optional WHERE clause to
// *where and its value to *args, turning "$?" in the clause into that
// value's $n. Store methods with optional filters share it.
func clauseAdder(where *[]string, args *[]any) func(clause string, v any) {
	return func(clause string, v any) {
		*args = append(*args, v)
		*where = append(*where, strings.ReplaceAll(clause, "$?", "$"+strconv.Itoa(len(*args))))
	}
}
