// Package postgres implements the dispatch store on PostgreSQL with PostGIS.
// It is the only package that imports pgx; SQL lives in plain strings beside
// the Go that runs it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/qamqor/qamqor/dispatch"
)

// DB is the connection pool plus the clock every transaction reads once.
type DB struct {
	pool *pgxpool.Pool
	url  string
	// schema is set for test schemas only
	schema string
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// Open connects to the database at url. searchPath, when not empty, is put
// first in the search_path of every connection (tests use one schema each).
func Open(ctx context.Context, url string, searchPath string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if searchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = searchPath + ",public"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{pool: pool, url: url, Now: time.Now}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Pool exposes the pool for the cmd wiring and tests in this package's tree.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// inTx runs fn in a transaction and commits when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// translate turns driver errors into domain errors: no rows becomes
// ENOTFOUND, a unique violation ECONFLICT, a check violation EINVALID.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &dispatch.Error{Code: dispatch.ENOTFOUND, Message: what + " not found.", Err: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return &dispatch.Error{Code: dispatch.ECONFLICT, Message: what + " already exists (" + pgErr.ConstraintName + ").", Err: err}
		case "23503":
			return &dispatch.Error{Code: dispatch.EINVALID, Message: "A referenced record does not exist (" + pgErr.ConstraintName + ").", Err: err}
		case "22021", "22P05":
			return &dispatch.Error{Code: dispatch.EINVALID, Message: "Text contains characters that cannot be stored.", Err: err}
		case "23514":
			return &dispatch.Error{Code: dispatch.EINVALID, Message: "A value is out of range (" + pgErr.ConstraintName + ").", Err: err}
		}
	}
	return err
}
