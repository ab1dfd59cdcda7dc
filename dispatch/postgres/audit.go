package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.AuditStore = (*DB)(nil)

// setOrigin hands the request's actor and source to the transaction, where
// the column defaults of events and audit_log read them (0021_audit.sql).
func setOrigin(ctx context.Context, tx pgx.Tx) error {
	o, ok := dispatch.OriginFrom(ctx)
	if !ok {
		return nil
	}
	actor := ""
	if o.ActorID != 0 {
		actor = strconv.FormatInt(o.ActorID, 10)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('qamqor.actor_id', $1, true), set_config('qamqor.source', $2, true)`, actor, o.Source); err != nil {
		return fmt.Errorf("set origin: %w", err)
	}
	return nil
}

// recordAudit writes one audit row in tx: actor (nil: the request's), an
// action such as "read" or "user.saved", and the object. detail must not
// hold personal data: the trail outlives erasure.
func recordAudit(ctx context.Context, tx pgx.Tx, actor *dispatch.User, action, objectType string, objectID int64, detail string) error {
	var uid *int64
	if actor != nil && actor.ID != 0 {
		uid = &actor.ID
	}
	var careID *int64
	if objectType == "care_address" {
		careID = &objectID
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (user_id, action, object_type, object_id, care_address_id, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		uid, action, objectType, objectID, careID, detail)
	if err != nil {
		return fmt.Errorf("audit %s %s=%d: %w", action, objectType, objectID, err)
	}
	return nil
}

// FindAudit implements dispatch.AuditStore.
func (db *DB) FindAudit(ctx context.Context, actor *dispatch.User, f dispatch.AuditFilter) ([]dispatch.AuditEntry, int, error) {
	if err := dispatch.Require(actor, dispatch.ActViewAudit); err != nil {
		return nil, 0, err
	}
	if err := f.Normalize(); err != nil {
		return nil, 0, err
	}
	where, args := []string{"true"}, []any{}
	add := func(clause string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(clause, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Actor != "" {
		add("u.username = ?", strings.ToLower(strings.TrimSpace(f.Actor)))
	}
	if f.Action != "" {
		add("a.action LIKE ? || '%'", strings.NewReplacer("%", `\%`, "_", `\_`).Replace(f.Action))
	}
	if f.ObjectType != "" {
		add("a.object_type = ?", f.ObjectType)
	}
	if f.ObjectID != 0 {
		add("a.object_id = ?", f.ObjectID)
	}
	if !f.From.IsZero() {
		add("a.at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("a.at < ?", f.To)
	}
	var out []dispatch.AuditEntry
	var total int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cond := strings.Join(where, " AND ")
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE `+cond, args...).Scan(&total); err != nil {
			return fmt.Errorf("count audit: %w", err)
		}
		n := len(args)
		rows, err := tx.Query(ctx, `SELECT a.id, a.at, a.user_id, coalesce(u.username, ''), a.action, a.object_type, a.object_id, a.source, a.detail
			FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE `+cond+
			` ORDER BY a.id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), append(args, f.Limit, f.Offset)...)
		if err != nil {
			return fmt.Errorf("find audit: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.AuditEntry, error) {
			var e dispatch.AuditEntry
			err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Source, &e.Detail)
			return e, err
		})
		if err != nil {
			return fmt.Errorf("find audit: %w", err)
		}
		return recordAudit(ctx, tx, actor, "audit.search", "audit_log", 0, fmt.Sprintf("rows=%d", len(out)))
	})
	return out, total, err
}

// RecordReads implements dispatch.AuditStore.
func (db *DB) RecordReads(ctx context.Context, actor *dispatch.User, objectType string, ids []int64, detail string) error {
	var uid *int64
	if actor != nil {
		uid = &actor.ID
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (user_id, action, object_type, object_id, detail)
			SELECT $1, 'read', $2, id, $4 FROM unnest($3::bigint[]) AS id`, uid, objectType, ids, detail)
		if err != nil {
			return fmt.Errorf("audit reads %s n=%d: %w", objectType, len(ids), err)
		}
		return nil
	})
}
