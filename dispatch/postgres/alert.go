package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.AlertStore = (*DB)(nil)

// raiseAlert stores a welfare alert for stop s and writes alert.raised for
// the dispatch room only (no team): the team already knows, and the alert
// carries no personal data.
func raiseAlert(ctx context.Context, tx pgx.Tx, kind string, s dispatch.Stop, careID, teamID int64, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO alerts (kind, stop_id, request_id, care_address_id, team_id, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, kind, s.ID, s.RequestID, careID, teamID, s.Note, now).Scan(&id)
	if err != nil {
		return 0, translate(err, "Alert")
	}
	_, err = appendEvent(ctx, tx, dispatch.EventAlertRaised, "alert", id, nil, map[string]any{
		"id": id, "kind": kind, "status": dispatch.AlertOpen, "stop_id": s.ID, "request_id": s.RequestID,
		"care_address_id": careID, "team_id": teamID, "note": s.Note, "address": s.AddressText,
		"lat": s.Lat, "lon": s.Lon, "created_at": now})
	return id, err
}

const alertColumns = `a.id, a.kind, a.status, a.stop_id, a.request_id, a.care_address_id, a.team_id, a.note,
	coalesce(c.address_text, r.address_text, ''), coalesce(c.full_name, ''), coalesce(c.phone, ''),
	a.created_at, a.handled_by, a.handled_at, a.handled_note`

const alertFrom = ` FROM alerts a LEFT JOIN care_addresses c ON c.id = a.care_address_id
	LEFT JOIN requests r ON r.id = a.request_id`

func scanAlert(row pgx.Row) (*dispatch.Alert, error) {
	var a dispatch.Alert
	err := row.Scan(&a.ID, &a.Kind, &a.Status, &a.StopID, &a.RequestID, &a.CareAddressID, &a.TeamID, &a.Note,
		&a.AddressText, &a.Name, &a.Phone, &a.CreatedAt, &a.HandledBy, &a.HandledAt, &a.HandledNote)
	return &a, err
}

// showAlert keeps the pensioner's name and phone for roles with
// ActViewPersonal, auditing the read, and blanks them for the rest.
func showAlert(ctx context.Context, tx pgx.Tx, actor *dispatch.User, a *dispatch.Alert) error {
	if !actor.Can(dispatch.ActViewPersonal) {
		a.Name, a.Phone = "", ""
		return nil
	}
	if a.CareAddressID == nil || (a.Name == "" && a.Phone == "") {
		return nil
	}
	return audit(ctx, tx, actor, dispatch.AuditRead, *a.CareAddressID, fmt.Sprintf("alert %d viewed: name, phone", a.ID))
}

// FindAlerts implements dispatch.AlertStore.
func (db *DB) FindAlerts(ctx context.Context, actor *dispatch.User, f dispatch.AlertFilter) ([]*dispatch.Alert, error) {
	if err := dispatch.Require(actor, dispatch.ActChangeRequests); err != nil {
		return nil, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, dispatch.Invalid("status", "Unknown alert status %q: use open or handled.", f.Status)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []*dispatch.Alert
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+alertColumns+alertFrom+`
			WHERE ($1 = '' OR a.status = $1) ORDER BY a.id DESC LIMIT $2`, string(f.Status), limit)
		if err != nil {
			return fmt.Errorf("find alerts: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Alert, error) { return scanAlert(row) })
		if err != nil {
			return fmt.Errorf("scan alerts: %w", err)
		}
		for _, a := range out {
			if err := showAlert(ctx, tx, actor, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []*dispatch.Alert{}
	}
	return out, nil
}

// HandleAlert implements dispatch.AlertStore.
func (db *DB) HandleAlert(ctx context.Context, actor *dispatch.User, id int64, in dispatch.HandleAlertInput) (*dispatch.Alert, error) {
	if err := dispatch.Require(actor, dispatch.ActChangeRequests); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	var out *dispatch.Alert
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		var st dispatch.AlertStatus
		if err := tx.QueryRow(ctx, `SELECT status FROM alerts WHERE id = $1 FOR UPDATE`, id).Scan(&st); err != nil {
			return translate(err, fmt.Sprintf("Alert %d", id))
		}
		if st != dispatch.AlertOpen {
			return dispatch.Errorf(dispatch.ECONFLICT, "Alert %d was already handled.", id)
		}
		if _, err := tx.Exec(ctx, `UPDATE alerts SET status = 'handled', handled_by = $2, handled_at = $3, handled_note = $4
			WHERE id = $1`, id, actor.ID, now, in.Note); err != nil {
			return fmt.Errorf("handle alert id=%d: %w", id, err)
		}
		a, err := scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+alertFrom+` WHERE a.id = $1`, id))
		if err != nil {
			return translate(err, "Alert")
		}
		if _, err := appendEvent(ctx, tx, dispatch.EventAlertHandled, "alert", id, nil, map[string]any{
			"id": id, "status": a.Status, "handled_by": actor.ID, "handled_at": now, "handled_note": in.Note,
			"team_id": a.TeamID, "care_address_id": a.CareAddressID}); err != nil {
			return err
		}
		out = a
		return showAlert(ctx, tx, actor, a)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
