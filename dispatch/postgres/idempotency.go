package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// Idempotency-Key handling shared by the stores (see migration 0007): keys
// are per user, carry the fingerprint of the call they were used for, and
// are purged after IdempotencyKeyTTL.

// keyUser is the user a key belongs to (0 when no user sent it).
func keyUser(actor *dispatch.User) int64 {
	if actor == nil {
		return 0
	}
	return actor.ID
}

// seenKey serialises calls with the same user and key (a retry racing the
// first call waits for it) and returns the record the key created before,
// if any; the same key with another scope or body is the 422 of
// dispatch.KeyReused.
func seenKey(ctx context.Context, tx pgx.Tx, actor *dispatch.User, key, scope, fingerprint string) (int64, bool, error) {
	user := keyUser(actor)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('idem:' || $1::bigint || ':' || $2))`, user, key); err != nil {
		return 0, false, fmt.Errorf("lock idempotency key: %w", err)
	}
	var gotScope, gotFP string
	var ref *int64
	err := tx.QueryRow(ctx, `SELECT scope, fingerprint, ref_id FROM idempotency_keys WHERE user_id = $1 AND key = $2`, user, key).
		Scan(&gotScope, &gotFP, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("find idempotency key: %w", err)
	}
	if err := dispatch.KeyReused(key, gotScope, gotFP, scope, fingerprint); err != nil {
		return 0, false, err
	}
	if ref == nil {
		return 0, false, fmt.Errorf("idempotency key %q has no record", key)
	}
	return *ref, true, nil
}

// rememberKey records that the key created ref, in the transaction that
// created it.
func rememberKey(ctx context.Context, tx pgx.Tx, actor *dispatch.User, key, scope, fingerprint string, ref int64, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, ref_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		keyUser(actor), key, scope, fingerprint, ref, now); err != nil {
		return fmt.Errorf("remember idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotencyKeys forgets the idempotency keys recorded before cutoff:
// a retry that late is a new request. It returns how many it forgot.
func (db *DB) PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM idempotency_keys WHERE created_at < $1`,
			`DELETE FROM stop_updates WHERE created_at < $1`,
			`UPDATE requests SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL AND created_at < $1`,
			`UPDATE campaigns SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL AND created_at < $1`,
		} {
			tag, err := tx.Exec(ctx, q, cutoff)
			if err != nil {
				return fmt.Errorf("purge idempotency keys: %w", err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	return n, err
}
