package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.PrivacyStore = (*DB)(nil)

// PurgeExpired implements dispatch.PrivacyStore. It announces itself to the
// append-only triggers of events and audit_log (qamqor.retention), which
// refuse every other delete.
func (db *DB) PurgeExpired(ctx context.Context, r dispatch.Retention) (dispatch.PurgeResult, error) {
	var res dispatch.PurgeResult
	now := db.Now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		res = dispatch.PurgeResult{}
		if _, err := tx.Exec(ctx, `SELECT set_config('qamqor.retention', 'on', true)`); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		exec := func(n *int64, what, sql string, d time.Duration) error {
			tag, err := tx.Exec(ctx, sql, now.Add(-d))
			if err != nil {
				return fmt.Errorf("purge %s: %w", what, err)
			}
			*n += tag.RowsAffected()
			return nil
		}
		if r.Positions > 0 {
			if err := exec(&res.Positions, "positions", `DELETE FROM team_positions WHERE recorded_at < $1`, r.Positions); err != nil {
				return err
			}
		}
		if r.RequestNotes > 0 {
			for _, q := range []string{
				`UPDATE requests SET notes = '' WHERE notes <> '' AND status IN ('done', 'failed', 'cancelled') AND updated_at < $1`,
				`UPDATE stops s SET note = '' FROM routes ro WHERE ro.id = s.route_id AND s.note <> ''
					AND ro.status IN ('finished', 'cancelled') AND coalesce(ro.finished_at, ro.created_at) < $1`,
				`UPDATE alerts SET note = '', handled_note = '' WHERE (note <> '' OR handled_note <> '') AND status = 'handled' AND handled_at < $1`,
				`UPDATE stop_updates SET response = '{}' WHERE response <> '{}' AND created_at < $1`,
			} {
				if err := exec(&res.Notes, "notes", q, r.RequestNotes); err != nil {
					return err
				}
			}
		}
		if r.Events > 0 {
			if err := exec(&res.Events, "events", `DELETE FROM events WHERE created_at < $1`, r.Events); err != nil {
				return err
			}
		}
		if r.Applications > 0 {
			if err := exec(&res.Applications, "rejected applications", `DELETE FROM volunteer_applications
				WHERE status = 'rejected' AND decided_at < $1`, r.Applications); err != nil {
				return err
			}
			// The guardian stays reachable while the volunteer is an
			// active minor (in Astana's calendar, UTC+5); the applicant's own
			// copy goes at once, the volunteer row holds what is needed.
			keepGuardian := `(EXISTS (SELECT 1 FROM volunteers v WHERE v.id = a.volunteer_id AND v.active)
				AND a.birth_date > (now() AT TIME ZONE INTERVAL '+05:00')::date - interval '18 years')`
			if err := exec(&res.Applications, "approved applications", `UPDATE volunteer_applications a
				SET full_name = '', phone = '', motivation = '', decision_note = '',
					guardian_name = CASE WHEN `+keepGuardian+` THEN a.guardian_name ELSE '' END,
					guardian_phone = CASE WHEN `+keepGuardian+` THEN a.guardian_phone ELSE '' END
				WHERE a.status = 'approved' AND a.decided_at < $1
					AND (a.full_name <> '' OR a.phone <> '' OR a.motivation <> '' OR a.decision_note <> ''
						OR ((a.guardian_name <> '' OR a.guardian_phone <> '') AND NOT `+keepGuardian+`))`, r.Applications); err != nil {
				return err
			}
		}
		if r.Audit > 0 {
			if err := exec(&res.Audit, "audit", `DELETE FROM audit_log WHERE at < $1`, r.Audit); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// EraseCareAddress implements dispatch.PrivacyStore in one transaction. The
// care address keeps district, needs and a location rounded to about a
// kilometre, so reports still count it; requests keep kind, status, dates
// and district. Every text that held the person's name, phone, address or
// notes is blanked, including event payloads (qamqor.erasure lets the
// append-only trigger allow exactly that) and any other stored copy found
// by value.
func (db *DB) EraseCareAddress(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.ErasureReport, error) {
	if actor != nil {
		if err := dispatch.Require(actor, dispatch.ActErase); err != nil {
			return nil, err
		}
	}
	rep := &dispatch.ErasureReport{CareAddressID: id, Rows: map[string]int64{}}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		clear(rep.Rows)
		var name, phone, address, digits string
		err := tx.QueryRow(ctx, `SELECT full_name, phone, address_text, phone_digits FROM care_addresses WHERE id = $1 FOR UPDATE`, id).
			Scan(&name, &phone, &address, &digits)
		if err != nil {
			return translate(err, fmt.Sprintf("Care address %d", id))
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('qamqor.erasure', 'on', true)`); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		run := func(table, sql string, args ...any) error {
			tag, err := tx.Exec(ctx, sql, args...)
			if err != nil {
				return fmt.Errorf("erase %s care_address=%d: %w", table, id, err)
			}
			rep.Rows[table] += tag.RowsAffected()
			return nil
		}
		// The values to hunt for in copies: long enough not to match by chance.
		var needles []string
		for _, v := range []string{name, phone, address, digits} {
			if len([]rune(strings.TrimSpace(v))) >= 6 && v != dispatch.ErasedName {
				needles = append(needles, "%"+strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.TrimSpace(v))+"%")
			}
		}
		steps := []struct {
			table, sql string
		}{
			{"care_addresses", `UPDATE care_addresses SET full_name = '[erased]', phone = '', address_text = '[erased]', entrance = '', floor = '', flat = '',
				mobility_notes = '', access_notes = '', consent = false, active = false, visit_rule = NULL, visit_day = NULL,
				location = ST_SetSRID(ST_MakePoint(round(ST_X(location::geometry)::numeric, 2), round(ST_Y(location::geometry)::numeric, 2)), 4326)::geography,
				external_id = '', erased_at = now() WHERE id = $1`},
			{"requests", `UPDATE requests SET address_text = '[erased]', notes = '',
				location = ST_SetSRID(ST_MakePoint(round(ST_X(location::geometry)::numeric, 2), round(ST_Y(location::geometry)::numeric, 2)), 4326)::geography
				WHERE care_address_id = $1`},
			{"stops", `UPDATE stops SET note = '' WHERE request_id IN (SELECT id FROM requests WHERE care_address_id = $1)`},
			{"alerts", `UPDATE alerts SET note = '', handled_note = '' WHERE care_address_id = $1`},
			{"stop_updates", `UPDATE stop_updates SET response = '{"erased": true}' WHERE stop_id IN
				(SELECT s.id FROM stops s JOIN requests r ON r.id = s.request_id WHERE r.care_address_id = $1)`},
			{"events", `UPDATE events SET payload = jsonb_build_object('erased', true, 'id', entity_id) WHERE
				(entity = 'care_address' AND entity_id = $1)
				OR (entity = 'request' AND entity_id IN (SELECT id FROM requests WHERE care_address_id = $1))
				OR (entity = 'stop' AND entity_id IN (SELECT s.id FROM stops s JOIN requests r ON r.id = s.request_id WHERE r.care_address_id = $1))
				OR (entity = 'alert' AND entity_id IN (SELECT id FROM alerts WHERE care_address_id = $1))`},
			// The uploaded file that brought the person in goes as a whole.
			{"imports", `UPDATE imports SET content = NULL WHERE content IS NOT NULL AND kind = 'care-addresses'
				AND id IN (SELECT import_id FROM import_rows WHERE target_id = $1)`},
			{"import_rows", `UPDATE import_rows SET data = NULL, label = '[erased]' WHERE target_id = $1
				AND import_id IN (SELECT id FROM imports WHERE kind = 'care-addresses')`},
		}
		for _, s := range steps {
			if err := run(s.table, s.sql, id); err != nil {
				return err
			}
		}
		if len(needles) > 0 {
			// Copies found by value: event payloads of other entities (a
			// route listing stops), outboxes, imported files and rows.
			for _, s := range []struct{ table, sql string }{
				{"events", `UPDATE events SET payload = jsonb_build_object('erased', true, 'id', entity_id) WHERE payload::text ILIKE ANY($1)`},
				{"import_rows", `UPDATE import_rows SET data = NULL, label = '[erased]' WHERE data::text ILIKE ANY($1) OR label ILIKE ANY($1)`},
				{"telegram_outbox", `UPDATE telegram_outbox SET text = '[erased]' WHERE text ILIKE ANY($1)`},
				{"webhook_deliveries", `UPDATE webhook_deliveries SET body = '{"erased":true}' WHERE body ILIKE ANY($1)`},
			} {
				if err := run(s.table, s.sql, needles); err != nil {
					return err
				}
			}
		}
		return recordAudit(ctx, tx, actor, "privacy.erase", "care_address", id, fmt.Sprintf("rows redacted: %v", rep.Rows))
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
