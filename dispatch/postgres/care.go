package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.CareStore = (*DB)(nil)

const careColumns = `c.id, c.full_name, c.phone, c.address_text, c.entrance, c.floor, c.flat,
	ST_AsBinary(c.location::geometry), c.district_id, c.preferred_language, c.needs, c.immobile,
	c.mobility_notes, c.access_notes, c.consent, c.active, c.created_at, c.updated_at, c.version`

func scanCare(row pgx.Row) (*dispatch.CareAddress, error) {
	var c dispatch.CareAddress
	err := row.Scan(&c.ID, &c.FullName, &c.Phone, &c.AddressText, &c.Entrance, &c.Floor, &c.Flat,
		wkb.Scanner(&c.Location), &c.DistrictID, &c.PreferredLanguage, &c.Needs, &c.Immobile,
		&c.MobilityNotes, &c.AccessNotes, &c.Consent, &c.Active, &c.CreatedAt, &c.UpdatedAt, &c.Version)
	return &c, err
}

// FindCareAddressByID implements dispatch.CareStore. Roles that may see
// personal data get it and the read is audited; others get a redacted copy.
func (db *DB) FindCareAddressByID(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.CareAddress, error) {
	var out *dispatch.CareAddress
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		c, err := scanCare(tx.QueryRow(ctx, `SELECT `+careColumns+` FROM care_addresses c WHERE c.id = $1`, id))
		if err != nil {
			return translate(err, "Care address")
		}
		if !actor.Can(dispatch.ActViewPersonal) {
			r := c.Redacted()
			out = &r
			return nil
		}
		out = c
		return audit(ctx, tx, actor, dispatch.AuditRead, id, "care address viewed")
	})
	return out, err
}

// CreateCareAddress implements dispatch.CareStore.
func (db *DB) CreateCareAddress(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return err
	}
	if err := c.Validate(dispatch.AstanaArea); err != nil {
		return err
	}
	if c.Needs == nil {
		c.Needs = []string{}
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO care_addresses (full_name, phone, address_text, entrance, floor, flat, location,
			district_id, preferred_language, needs, immobile, mobility_notes, access_notes, consent, active)
			VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromWKB($7, 4326)::geography,
				coalesce($8, (SELECT id FROM districts d WHERE ST_Contains(d.geom, ST_GeomFromWKB($7, 4326)) LIMIT 1)),
				$9, $10, $11, $12, $13, $14, $15)
			RETURNING id, district_id, created_at, updated_at, version`,
			c.FullName, c.Phone, c.AddressText, c.Entrance, c.Floor, c.Flat, wkb.Value(c.Location),
			c.DistrictID, c.PreferredLanguage, c.Needs, c.Immobile, c.MobilityNotes, c.AccessNotes, c.Consent, c.Active).
			Scan(&c.ID, &c.DistrictID, &c.CreatedAt, &c.UpdatedAt, &c.Version)
		if err != nil {
			return translate(err, "Care address")
		}
		if err := audit(ctx, tx, actor, dispatch.AuditCreate, c.ID, "care address registered"); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, dispatch.EventCareAddressCreated, "care_address", c.ID, nil,
			map[string]any{"id": c.ID, "district_id": c.DistrictID, "lat": c.Location.Lat(), "lon": c.Location.Lon()})
		return err
	})
}

// AuditEntries returns the audit trail of one care address, newest first.
func (db *DB) AuditEntries(ctx context.Context, careAddressID int64) ([]AuditEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, user_id, action, detail, at FROM audit_log
		WHERE care_address_id = $1 ORDER BY id DESC`, careAddressID)
	if err != nil {
		return nil, fmt.Errorf("read audit care_address=%d: %w", careAddressID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var a AuditEntry
		err := row.Scan(&a.ID, &a.UserID, &a.Action, &a.Detail, &a.At)
		return a, err
	})
}
