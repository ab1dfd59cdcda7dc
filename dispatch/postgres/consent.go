package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.VisitApprover = (*DB)(nil)

// ApproveVisit implements dispatch.VisitApprover; the event (and so the
// audit row) names the approving dispatcher.
func (db *DB) ApproveVisit(ctx context.Context, actor *dispatch.User, requestID int64) error {
	if err := dispatch.Require(actor, dispatch.ActApproveVisit); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE requests SET visit_approved_by = $2, visit_approved_at = $3, unassigned_reason = '', updated_at = $3
			WHERE id = $1`, requestID, actor.ID, db.Now())
		if err != nil {
			return fmt.Errorf("approve visit request=%d: %w", requestID, err)
		}
		if tag.RowsAffected() == 0 {
			return dispatch.Errorf(dispatch.ENOTFOUND, "Request %d not found.", requestID)
		}
		_, err = appendEvent(ctx, tx, dispatch.EventVisitApproved, "request", requestID, nil, map[string]any{"id": requestID, "approved_by": actor.ID})
		return err
	})
}
