package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PurgeIdempotencyKeys forgets the idempotency keys recorded before cutoff:
// a retry that late is a new request. It returns how many it forgot.
func (db *DB) PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{
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
