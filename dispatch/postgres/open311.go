package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.APIKeyStore = (*DB)(nil)

const apiKeyColumns = `k.id, k.organisation_id, o.name, k.name, k.prefix, k.rate_per_minute, k.created_at, k.last_used_at, k.revoked_at`

func scanAPIKey(row pgx.Row) (*dispatch.APIKey, error) {
	var k dispatch.APIKey
	err := row.Scan(&k.ID, &k.OrganisationID, &k.OrganisationName, &k.Name, &k.Prefix, &k.RatePerMinute,
		&k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return &k, err
}

// CreateAPIKey implements dispatch.APIKeyStore.
func (db *DB) CreateAPIKey(ctx context.Context, in dispatch.APIKeyInput) (*dispatch.APIKey, string, error) {
	if err := in.Normalize(); err != nil {
		return nil, "", err
	}
	secret, hash, prefix, err := dispatch.NewAPIKeySecret()
	if err != nil {
		return nil, "", err
	}
	var out *dispatch.APIKey
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO api_keys (organisation_id, name, prefix, key_hash, rate_per_minute, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.OrganisationID, in.Name, prefix, hash, in.RatePerMinute, db.Now()).Scan(&id)
		if err != nil {
			var de *dispatch.Error
			if err = translate(err, "API key"); errors.As(err, &de) && de.Code == dispatch.EINVALID {
				return dispatch.Invalid("organisation_id", "There is no organisation %d.", in.OrganisationID)
			}
			return err
		}
		out, err = scanAPIKey(tx.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN organisations o ON o.id = k.organisation_id WHERE k.id = $1`, id))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// FindAPIKey implements dispatch.APIKeyStore. It notes the key's use at
// most once a minute, so a busy client does not write on every request.
func (db *DB) FindAPIKey(ctx context.Context, secret string) (*dispatch.APIKey, error) {
	k, err := scanAPIKey(db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL`, dispatch.HashAPIKey(secret)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dispatch.Errorf(dispatch.EFORBIDDEN, "Invalid api_key.")
	} else if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	now := db.Now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt).Minutes() >= 1 {
		if _, err := db.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, k.ID, now); err != nil {
			return nil, fmt.Errorf("note api key use id=%d: %w", k.ID, err)
		}
		k.LastUsedAt = &now
	}
	return k, nil
}

// FindAPIKeys implements dispatch.APIKeyStore.
func (db *DB) FindAPIKeys(ctx context.Context) ([]*dispatch.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN organisations o ON o.id = k.organisation_id ORDER BY k.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("find api keys: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.APIKey, error) { return scanAPIKey(row) })
}

// RevokeAPIKey implements dispatch.APIKeyStore.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64) (*dispatch.APIKey, error) {
	var out *dispatch.APIKey
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, db.Now())
		if err != nil {
			return fmt.Errorf("revoke api key id=%d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return dispatch.Errorf(dispatch.ENOTFOUND, "There is no API key %d.", id)
		}
		out, err = scanAPIKey(tx.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN organisations o ON o.id = k.organisation_id WHERE k.id = $1`, id))
		return err
	})
	return out, err
}

// FindPublicRequests implements dispatch.APIKeyStore. The query selects no
// column that can hold personal data: no care address, no notes, no
// address text. The street comes from the nearest gazetteer house or street
// (within 150 m); the address text is cut down to its street only when the
// gazetteer has nothing near. The point is rounded by dispatch.CoarsenPoint.
func (db *DB) FindPublicRequests(ctx context.Context, f dispatch.PublicRequestFilter) ([]*dispatch.PublicRequest, error) {
	where, args := []string{"true"}, []any{}
	add := clauseAdder(&where, &args)
	if len(f.IDs) > 0 {
		add("r.id = ANY($?)", f.IDs)
	}
	if len(f.Kinds) > 0 {
		add("r.kind = ANY($?)", f.Kinds)
	}
	if len(f.Statuses) > 0 {
		add("r.status = ANY($?)", f.Statuses)
	}
	if f.From != nil {
		add("r.created_at >= $?", *f.From)
	}
	if f.To != nil {
		add("r.created_at < $?", *f.To)
	}
	limit := f.Limit
	if limit <= 0 || limit > dispatch.Open311MaxResults {
		limit = dispatch.Open311MaxResults
	}
	args = append(args, limit)
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.kind, r.status, ST_AsBinary(r.location::geometry), r.created_at, r.updated_at,
			coalesce((SELECT g.street FROM gazetteer g
				WHERE g.kind IN ('house', 'street') AND ST_DWithin(g.location, r.location, 150)
				ORDER BY g.location <-> r.location LIMIT 1), ''),
			r.address_text,
			(SELECT s.eta FROM stops s JOIN routes ro ON ro.id = s.route_id
				WHERE s.request_id = r.id AND s.status <> 'removed' AND ro.status IN ('published', 'in_progress')
				ORDER BY s.id DESC LIMIT 1)
		FROM requests r WHERE `+strings.Join(where, " AND ")+` ORDER BY r.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("find public requests: %w", err)
	}
	defer rows.Close()
	var out []*dispatch.PublicRequest
	for rows.Next() {
		var p dispatch.PublicRequest
		var street, address string
		if err := rows.Scan(&p.ID, &p.Kind, &p.Status, wkb.Scanner(&p.Location), &p.CreatedAt, &p.UpdatedAt,
			&street, &address, &p.ExpectedAt); err != nil {
			return nil, fmt.Errorf("scan public request: %w", err)
		}
		if street == "" {
			street = address
		}
		// The gazetteer's street names hold no house, but cut them the
		// same way: a street entry could be mistyped with its number.
		p.Street = dispatch.StreetOnly(street)
		p.Location = dispatch.CoarsenPoint(p.Location)
		out = append(out, &p)
	}
	return out, rows.Err()
}
