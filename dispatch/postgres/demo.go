package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/demo"
	"golang.org/x/crypto/bcrypt"
)

// DemoCounts says how many rows LoadDemo inserted.
type DemoCounts struct {
	Organisations, Volunteers, Teams, CareAddresses, Users int
}

// demoLockKey serialises concurrent demo loads (pg_advisory_xact_lock).
const demoLockKey = 0x71616d_64656d6f

// LoadDemo inserts the demo set and the demo logins in one transaction. The
// headquarters organisation marks the set as loaded: when it exists nothing
// is inserted and the counts are zero, so loading twice adds nothing and
// loses nothing. Load the districts first, because each care address gets
// the district covering it. Logins whose username exists are skipped.
func (db *DB) LoadDemo(ctx context.Context, set *demo.Set, logins []demo.Login) (DemoCounts, error) {
	var n DemoCounts
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(demoLockKey)); err != nil {
			return fmt.Errorf("lock demo load: %w", err)
		}
		var loaded bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations WHERE name = $1)`,
			demo.HeadquartersName).Scan(&loaded); err != nil {
			return fmt.Errorf("check demo marker: %w", err)
		}
		if loaded {
			return nil
		}
		var err error
		n, err = loadDemo(ctx, tx, set, logins)
		return err
	})
	if err != nil {
		return DemoCounts{}, fmt.Errorf("load demo: %w", err)
	}
	return n, nil
}

func loadDemo(ctx context.Context, tx pgx.Tx, set *demo.Set, logins []demo.Login) (DemoCounts, error) {
	var n DemoCounts
	orgIDs := make([]int64, len(set.Organisations))
	for i, o := range set.Organisations {
		if err := tx.QueryRow(ctx, `INSERT INTO organisations (name, kind, phone) VALUES ($1, $2, $3) RETURNING id`,
			o.Name, o.Kind, o.Phone).Scan(&orgIDs[i]); err != nil {
			return n, translate(err, "Organisation")
		}
		n.Organisations++
	}
	volIDs := make([]int64, len(set.Volunteers))
	for i, v := range set.Volunteers {
		if err := tx.QueryRow(ctx, `INSERT INTO volunteers (full_name, birth_year, languages, phone, organisation_id, active)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			v.FullName, v.BirthYear, v.Languages, v.Phone, orgIDs[v.Org], v.Active).Scan(&volIDs[i]); err != nil {
			return n, translate(err, "Volunteer")
		}
		n.Volunteers++
	}
	teamIDs := make([]int64, len(set.Teams))
	for i, t := range set.Teams {
		var lead *int64
		if t.Lead >= 0 {
			lead = &volIDs[t.Lead]
		}
		if err := tx.QueryRow(ctx, `INSERT INTO teams (name, organisation_id, lead_volunteer_id, base, has_vehicle,
				capacity_packages, skills, languages, shift_start, shift_end, color, active)
			VALUES ($1, $2, $3, ST_GeomFromWKB($4, 4326)::geography, $5, $6, $7, $8, $9::time, $10::time, $11, $12)
			RETURNING id`,
			t.Name, orgIDs[t.Org], lead, wkb.Value(t.Base), t.HasVehicle, t.CapacityPackages, t.Skills, t.Languages,
			t.ShiftStart, t.ShiftEnd, t.Color, t.Active).Scan(&teamIDs[i]); err != nil {
			return n, translate(err, "Team")
		}
		for _, m := range t.Members {
			if _, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, volunteer_id) VALUES ($1, $2)`,
				teamIDs[i], volIDs[m]); err != nil {
				return n, fmt.Errorf("insert team member team=%d volunteer=%d: %w", i, m, err)
			}
		}
		n.Teams++
	}
	for _, c := range set.CareAddresses {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO care_addresses (full_name, phone, address_text, entrance, floor, flat,
				location, district_id, preferred_language, needs, immobile, mobility_notes, access_notes, consent, active)
			VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromWKB($7, 4326)::geography,
				(SELECT id FROM districts d WHERE ST_Covers(d.geom, ST_GeomFromWKB($7, 4326)) ORDER BY id LIMIT 1),
				$8, $9, $10, $11, $12, $13, $14)
			RETURNING id`,
			c.FullName, c.Phone, c.AddressText, c.Entrance, c.Floor, c.Flat, wkb.Value(c.Location),
			c.PreferredLanguage, c.Needs, c.Immobile, c.MobilityNotes, c.AccessNotes, c.Consent, c.Active).Scan(&id); err != nil {
			return n, translate(err, "Care address")
		}
		// Creating personal data is audited like any other change.
		if err := audit(ctx, tx, nil, dispatch.AuditCreate, id, "demo data"); err != nil {
			return n, err
		}
		n.CareAddresses++
	}
	for _, l := range logins {
		// The same hashing as CreateUser (bcrypt, default cost), inside this
		// transaction.
		hash, err := bcrypt.GenerateFromPassword([]byte(l.Password), bcrypt.DefaultCost)
		if err != nil {
			return n, fmt.Errorf("hash password user=%s: %w", l.Username, err)
		}
		var team *int64
		if l.Team >= 0 {
			team = &teamIDs[l.Team]
		}
		tag, err := tx.Exec(ctx, `INSERT INTO users (username, password_hash, role, full_name, organisation_id, team_id)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING`,
			l.Username, string(hash), l.Role, l.FullName, orgIDs[l.Org], team)
		if err != nil {
			return n, translate(err, "User")
		}
		n.Users += int(tag.RowsAffected())
	}
	return n, nil
}
