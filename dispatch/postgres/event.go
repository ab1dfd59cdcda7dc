package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// EventChannel is the LISTEN/NOTIFY channel woken after each committed event.
// The notification carries only the event id, never the payload, so it stays
// far below PostgreSQL's 8,000-byte limit.
const EventChannel = "qamqor_events"

// appendEvent writes an event in tx and queues a notification that
// PostgreSQL delivers only if tx commits.
func appendEvent(ctx context.Context, tx pgx.Tx, typ, entity string, entityID int64, teamID *int64, payload any) (int64, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("marshal event type=%s: %w", typ, err)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO events (type, entity, entity_id, team_id, payload)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, typ, entity, entityID, teamID, body).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert event type=%s: %w", typ, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, EventChannel, fmt.Sprint(id)); err != nil {
		return 0, fmt.Errorf("notify event id=%d: %w", id, err)
	}
	return id, nil
}

// EventsSince returns up to limit events with id > since, in id order.
func (db *DB) EventsSince(ctx context.Context, since int64, limit int) ([]dispatch.Event, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, type, entity, entity_id, team_id, payload, created_at
		FROM events WHERE id > $1 ORDER BY id LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("read events since=%d: %w", since, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.Event, error) {
		var e dispatch.Event
		err := row.Scan(&e.ID, &e.Type, &e.Entity, &e.EntityID, &e.TeamID, &e.Payload, &e.CreatedAt)
		return e, err
	})
}

// LastEventID returns the id of the newest event, 0 when there is none.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&id)
	return id, err
}

// audit records a read or change of a pensioner's personal data in tx.
func audit(ctx context.Context, tx pgx.Tx, actor *dispatch.User, action dispatch.AuditAction, careAddressID int64, detail string) error {
	var uid *int64
	if actor != nil {
		uid = &actor.ID
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (user_id, action, care_address_id, detail) VALUES ($1, $2, $3, $4)`,
		uid, action, careAddressID, detail)
	if err != nil {
		return fmt.Errorf("audit care_address=%d: %w", careAddressID, err)
	}
	return nil
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID     int64
	UserID *int64
	Action dispatch.AuditAction
	Detail string
	At     time.Time
}
