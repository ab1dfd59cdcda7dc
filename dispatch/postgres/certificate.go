package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.CertificateStore = (*DB)(nil)

// signingLockKey serialises the generation of the first signing key.
const signingLockKey = 0x71616d_6b6579

// signingKey returns the id and private key new certificates are signed
// with: db.SigningSeed when set (its public key is recorded, the seed is
// not), else the newest stored generated key, else a new one generated and
// stored now.
func (db *DB) signingKey(ctx context.Context, tx pgx.Tx) (int64, ed25519.PrivateKey, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(signingLockKey)); err != nil {
		return 0, nil, fmt.Errorf("lock signing key: %w", err)
	}
	if len(db.SigningSeed) > 0 {
		if len(db.SigningSeed) != ed25519.SeedSize {
			return 0, nil, fmt.Errorf("signing seed has %d bytes, want %d", len(db.SigningSeed), ed25519.SeedSize)
		}
		key := ed25519.NewKeyFromSeed(db.SigningSeed)
		pub := key.Public().(ed25519.PublicKey)
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO signing_keys (public_key) VALUES ($1)
			ON CONFLICT (public_key) DO UPDATE SET public_key = EXCLUDED.public_key RETURNING id`, []byte(pub)).Scan(&id)
		if err != nil {
			return 0, nil, fmt.Errorf("record signing key: %w", err)
		}
		return id, key, nil
	}
	var id int64
	var seed []byte
	err := tx.QueryRow(ctx, `SELECT id, seed FROM signing_keys WHERE seed IS NOT NULL ORDER BY id DESC LIMIT 1`).Scan(&id, &seed)
	if err == nil {
		return id, ed25519.NewKeyFromSeed(seed), nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("read signing key: %w", err)
	}
	seed = make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return 0, nil, fmt.Errorf("generate signing key: %w", err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if err := tx.QueryRow(ctx, `INSERT INTO signing_keys (public_key, seed) VALUES ($1, $2) RETURNING id`,
		[]byte(key.Public().(ed25519.PublicKey)), seed).Scan(&id); err != nil {
		return 0, nil, fmt.Errorf("store signing key: %w", err)
	}
	return id, key, nil
}

// CurrentPublicKey implements dispatch.CertificateStore; it creates the key
// on first use like issuing does.
func (db *DB) CurrentPublicKey(ctx context.Context) (int64, ed25519.PublicKey, error) {
	var id int64
	var pub ed25519.PublicKey
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		kid, key, err := db.signingKey(ctx, tx)
		id, pub = kid, key.Public().(ed25519.PublicKey)
		return err
	})
	return id, pub, err
}

// PublicKey implements dispatch.CertificateStore.
func (db *DB) PublicKey(ctx context.Context, id int64) (ed25519.PublicKey, error) {
	var pub []byte
	if err := db.pool.QueryRow(ctx, `SELECT public_key FROM signing_keys WHERE id = $1`, id).Scan(&pub); err != nil {
		return nil, translate(err, "Signing key")
	}
	return ed25519.PublicKey(pub), nil
}

const certificateColumns = `c.id, c.code, c.volunteer_id, c.organisation_id, c.volunteer_name, c.organisation_name,
	to_char(c.from_day, 'YYYY-MM-DD'), to_char(c.to_day, 'YYYY-MM-DD'), c.seconds, c.visits, c.language, c.issued_at,
	c.key_id, c.signature, c.revoked_at, c.revoke_reason`

func scanCertificate(row pgx.Row) (*dispatch.Certificate, error) {
	var c dispatch.Certificate
	err := row.Scan(&c.ID, &c.Code, &c.VolunteerID, &c.OrganisationID, &c.VolunteerName, &c.OrganisationName,
		&c.From, &c.To, &c.Seconds, &c.Visits, &c.Language, &c.IssuedAt, &c.KeyID, &c.Signature, &c.RevokedAt, &c.RevokeReason)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// IssueCertificate implements dispatch.CertificateStore.
func (db *DB) IssueCertificate(ctx context.Context, actor *dispatch.User, in dispatch.CertificateInput, r dispatch.ReportRange) (*dispatch.Certificate, error) {
	if err := dispatch.Require(actor, dispatch.ActIssueCertificates); err != nil {
		return nil, err
	}
	var out *dispatch.Certificate
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		c := &dispatch.Certificate{VolunteerID: in.VolunteerID, From: dispatch.LocalDate(r.From), To: dispatch.LocalDate(r.To),
			Language: in.Language, IssuedAt: now.UTC().Truncate(1e9)}
		if err := tx.QueryRow(ctx, `SELECT v.full_name, v.organisation_id, o.name FROM volunteers v
			JOIN organisations o ON o.id = v.organisation_id WHERE v.id = $1`, in.VolunteerID).
			Scan(&c.VolunteerName, &c.OrganisationID, &c.OrganisationName); err != nil {
			return translate(err, "Volunteer")
		}
		if err := dispatch.RequireOrg(actor, dispatch.ActIssueCertificates, c.OrganisationID); err != nil {
			return err
		}
		hours, err := hoursFor(ctx, tx, r, nil, []int64{in.VolunteerID})
		if err != nil {
			return err
		}
		if len(hours) == 1 {
			c.Seconds, c.Visits = hours[0].Seconds, hours[0].Visits
		}
		var key ed25519.PrivateKey
		if c.KeyID, key, err = db.signingKey(ctx, tx); err != nil {
			return err
		}
		if c.Code, err = dispatch.NewCertificateCode(); err != nil {
			return err
		}
		c.Sign(key)
		if err := tx.QueryRow(ctx, `INSERT INTO certificates (code, volunteer_id, organisation_id, volunteer_name, organisation_name,
				from_day, to_day, seconds, visits, language, issued_at, issued_by, key_id, signature)
			VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			c.Code, c.VolunteerID, c.OrganisationID, c.VolunteerName, c.OrganisationName, c.From, c.To, c.Seconds, c.Visits,
			c.Language, c.IssuedAt, actorID(actor), c.KeyID, c.Signature).Scan(&c.ID); err != nil {
			return translate(err, "Certificate")
		}
		out = c
		_, err = appendEvent(ctx, tx, "certificate.issued", "certificate", c.ID, nil,
			map[string]any{"code": c.Code, "volunteer_id": c.VolunteerID, "organisation_id": c.OrganisationID})
		return err
	})
	return out, err
}

// FindCertificate implements dispatch.CertificateStore.
func (db *DB) FindCertificate(ctx context.Context, code string) (*dispatch.Certificate, error) {
	c, err := scanCertificate(db.pool.QueryRow(ctx, `SELECT `+certificateColumns+` FROM certificates c WHERE c.code = $1`, code))
	if err != nil {
		return nil, translate(err, "Certificate")
	}
	return c, nil
}

// FindCertificates implements dispatch.CertificateStore.
func (db *DB) FindCertificates(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.Certificate, int, error) {
	if err := dispatch.Require(actor, dispatch.ActIssueCertificates); err != nil {
		return nil, 0, err
	}
	limit, offset := pageLimit(p)
	rows, err := db.pool.Query(ctx, `SELECT `+certificateColumns+`, count(*) OVER () FROM certificates c
		WHERE ($1 = '' OR c.volunteer_name ILIKE '%' || $1 || '%' OR c.code = upper($1))
		  AND ($4::bigint IS NULL OR c.organisation_id = $4)
		ORDER BY c.issued_at DESC, c.id DESC LIMIT $2 OFFSET $3`, p.Q, limit, offset, dispatch.OrgScope(actor))
	if err != nil {
		return nil, 0, fmt.Errorf("find certificates: %w", err)
	}
	defer rows.Close()
	var out []*dispatch.Certificate
	total := 0
	for rows.Next() {
		var c dispatch.Certificate
		if err := rows.Scan(&c.ID, &c.Code, &c.VolunteerID, &c.OrganisationID, &c.VolunteerName, &c.OrganisationName,
			&c.From, &c.To, &c.Seconds, &c.Visits, &c.Language, &c.IssuedAt, &c.KeyID, &c.Signature, &c.RevokedAt, &c.RevokeReason, &total); err != nil {
			return nil, 0, fmt.Errorf("scan certificate: %w", err)
		}
		out = append(out, &c)
	}
	return out, total, rows.Err()
}

// RevokeCertificate implements dispatch.CertificateStore.
func (db *DB) RevokeCertificate(ctx context.Context, actor *dispatch.User, code string, in dispatch.RevokeInput) (*dispatch.Certificate, error) {
	if err := dispatch.Require(actor, dispatch.ActIssueCertificates); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	var out *dispatch.Certificate
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		c, err := scanCertificate(tx.QueryRow(ctx, `SELECT `+certificateColumns+` FROM certificates c WHERE c.code = $1 FOR UPDATE`, code))
		if err != nil {
			return translate(err, "Certificate")
		}
		if err := dispatch.RequireOrg(actor, dispatch.ActIssueCertificates, c.OrganisationID); err != nil {
			return err
		}
		if c.RevokedAt != nil {
			return dispatch.Errorf(dispatch.ECONFLICT, "Certificate %s is already revoked.", c.Code)
		}
		now := db.Now()
		if _, err := tx.Exec(ctx, `UPDATE certificates SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE id = $1`,
			c.ID, now, actorID(actor), in.Reason); err != nil {
			return fmt.Errorf("revoke certificate %s: %w", c.Code, err)
		}
		c.RevokedAt, c.RevokeReason = &now, in.Reason
		out = c
		_, err = appendEvent(ctx, tx, "certificate.revoked", "certificate", c.ID, nil, map[string]any{"code": c.Code})
		return err
	})
	return out, err
}
