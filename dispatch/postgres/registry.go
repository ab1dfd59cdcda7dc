package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.RegistryStore = (*DB)(nil)

func pageLimit(p dispatch.Page) (int, int) {
	limit := p.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	return limit, max(p.Offset, 0)
}

// FindOrganisations implements dispatch.RegistryStore.
func (db *DB) FindOrganisations(ctx context.Context, p dispatch.Page) ([]*dispatch.Organisation, int, error) {
	limit, offset := pageLimit(p)
	rows, err := db.pool.Query(ctx, `SELECT id, version, name, kind, phone, count(*) OVER () FROM organisations
		WHERE ($1 = '' OR name ILIKE '%' || $1 || '%') AND ($4::bigint IS NULL OR id = $4)
		ORDER BY name LIMIT $2 OFFSET $3`, p.Q, limit, offset, p.Org)
	if err != nil {
		return nil, 0, fmt.Errorf("find organisations: %w", err)
	}
	defer rows.Close()
	var out []*dispatch.Organisation
	total := 0
	for rows.Next() {
		var o dispatch.Organisation
		if err := rows.Scan(&o.ID, &o.Version, &o.Name, &o.Kind, &o.Phone, &total); err != nil {
			return nil, 0, fmt.Errorf("scan organisation: %w", err)
		}
		out = append(out, &o)
	}
	return out, total, rows.Err()
}

// SaveOrganisation implements dispatch.RegistryStore: insert when ID is 0,
// otherwise update if o.Version is still current (see lockVersion).
func (db *DB) SaveOrganisation(ctx context.Context, actor *dispatch.User, o *dispatch.Organisation) error {
	if err := dispatch.Require(actor, dispatch.ActManageOrgs); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if o.ID == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO organisations (name, kind, phone) VALUES ($1, $2, $3) RETURNING id, version`,
				o.Name, o.Kind, o.Phone).Scan(&o.ID, &o.Version)
			return translate(err, "Organisation")
		}
		if err := lockVersion(ctx, tx, actor, versionedOrganisation, o.ID, o.Version); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `UPDATE organisations SET name = $2, kind = $3, phone = $4 WHERE id = $1 RETURNING version`,
			o.ID, o.Name, o.Kind, o.Phone).Scan(&o.Version)
		return translate(err, "Organisation")
	})
}

// FindVolunteers implements dispatch.RegistryStore.
func (db *DB) FindVolunteers(ctx context.Context, p dispatch.Page) ([]*dispatch.Volunteer, int, error) {
	limit, offset := pageLimit(p)
	rows, err := db.pool.Query(ctx, `SELECT id, version, full_name, birth_year, languages, phone, organisation_id, active, count(*) OVER ()
		FROM volunteers WHERE ($1 = '' OR full_name ILIKE '%' || $1 || '%') AND ($4::bigint IS NULL OR organisation_id = $4)
		ORDER BY full_name, id LIMIT $2 OFFSET $3`, p.Q, limit, offset, p.Org)
	if err != nil {
		return nil, 0, fmt.Errorf("find volunteers: %w", err)
	}
	defer rows.Close()
	var out []*dispatch.Volunteer
	total := 0
	for rows.Next() {
		var v dispatch.Volunteer
		if err := rows.Scan(&v.ID, &v.Version, &v.FullName, &v.BirthYear, &v.Languages, &v.Phone, &v.OrganisationID, &v.Active, &total); err != nil {
			return nil, 0, fmt.Errorf("scan volunteer: %w", err)
		}
		out = append(out, &v)
	}
	return out, total, rows.Err()
}

// SaveVolunteer implements dispatch.RegistryStore.
func (db *DB) SaveVolunteer(ctx context.Context, actor *dispatch.User, v *dispatch.Volunteer) error {
	if err := dispatch.RequireRegistryPeople(actor); err != nil {
		return err
	}
	if err := dispatch.RequireOrgPeople(actor, v.OrganisationID); err != nil {
		return err
	}
	if err := v.Validate(db.Now()); err != nil {
		return err
	}
	if v.Languages == nil {
		v.Languages = []string{}
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if v.ID == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO volunteers (full_name, birth_year, languages, phone, organisation_id, active)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, version`, v.FullName, v.BirthYear, v.Languages, v.Phone, v.OrganisationID, v.Active).
				Scan(&v.ID, &v.Version)
			return translate(err, "Volunteer")
		}
		if err := inOrgScope(ctx, tx, actor, "volunteers", "Volunteer", v.ID); err != nil {
			return err
		}
		if err := lockVersion(ctx, tx, actor, versionedVolunteer, v.ID, v.Version); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `UPDATE volunteers SET full_name = $2, birth_year = $3, languages = $4, phone = $5, organisation_id = $6, active = $7
			WHERE id = $1 RETURNING version`, v.ID, v.FullName, v.BirthYear, v.Languages, v.Phone, v.OrganisationID, v.Active).Scan(&v.Version)
		return translate(err, "Volunteer")
	})
}

// FindTeamsPage implements dispatch.RegistryStore.
func (db *DB) FindTeamsPage(ctx context.Context, p dispatch.Page) ([]*dispatch.Team, int, error) {
	limit, offset := pageLimit(p)
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM teams WHERE ($1 = '' OR name ILIKE '%' || $1 || '%')
		AND ($2::bigint IS NULL OR organisation_id = $2)`, p.Q, p.Org).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count teams: %w", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+teamColumns+` FROM teams t WHERE ($1 = '' OR t.name ILIKE '%' || $1 || '%')
		AND ($4::bigint IS NULL OR t.organisation_id = $4)
		ORDER BY t.name, t.id LIMIT $2 OFFSET $3`, p.Q, limit, offset, p.Org)
	if err != nil {
		return nil, 0, fmt.Errorf("find teams: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Team, error) { return scanTeam(row) })
	return out, total, err
}

// FindTeamByID implements dispatch.RegistryStore.
func (db *DB) FindTeamByID(ctx context.Context, id int64) (*dispatch.Team, error) {
	t, err := scanTeam(db.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	if err != nil {
		return nil, translate(err, "Team")
	}
	return t, nil
}

// SaveTeam implements dispatch.RegistryStore: the team row and its members
// (MemberIDs) in one transaction. The lead must be a member.
func (db *DB) SaveTeam(ctx context.Context, actor *dispatch.User, t *dispatch.Team) error {
	if err := dispatch.RequireRegistryPeople(actor); err != nil {
		return err
	}
	if err := dispatch.RequireOrgPeople(actor, t.OrganisationID); err != nil {
		return err
	}
	if err := t.Validate(dispatch.AstanaArea); err != nil {
		return err
	}
	if t.LeadVolunteerID != nil {
		found := false
		for _, m := range t.MemberIDs {
			found = found || m == *t.LeadVolunteerID
		}
		if !found {
			t.MemberIDs = append(t.MemberIDs, *t.LeadVolunteerID)
		}
	}
	if t.Skills == nil {
		t.Skills = []string{}
	}
	if t.Languages == nil {
		t.Languages = []string{}
	}
	scope := dispatch.OrgScope(actor)
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if scope != nil && len(t.MemberIDs) > 0 {
			// A coordinator's team takes only their organisation's
			// volunteers.
			var foreign int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE id = ANY($1) AND organisation_id <> $2`,
				t.MemberIDs, *scope).Scan(&foreign); err != nil {
				return fmt.Errorf("check team members: %w", err)
			}
			if foreign > 0 {
				return dispatch.Invalid("member_ids", "Members must be volunteers of your organisation.")
			}
		}
		var before []int64
		if t.ID == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO teams (name, organisation_id, lead_volunteer_id, base, has_vehicle, capacity_packages, skills, languages, shift_start, shift_end, color, active)
				VALUES ($1, $2, $3, ST_GeomFromWKB($4, 4326)::geography, $5, $6, $7, $8, $9::time, $10::time, $11, $12) RETURNING id, version`,
				t.Name, t.OrganisationID, t.LeadVolunteerID, wkb.Value(t.Base), t.HasVehicle, t.CapacityPackages, t.Skills, t.Languages,
				t.ShiftStart, t.ShiftEnd, t.Color, t.Active).Scan(&t.ID, &t.Version)
			if err != nil {
				return translate(err, "Team")
			}
		} else {
			if err := inOrgScope(ctx, tx, actor, "teams", "Team", t.ID); err != nil {
				return err
			}
			if err := lockVersion(ctx, tx, actor, versionedTeam, t.ID, t.Version); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT volunteer_id FROM team_members WHERE team_id = $1`, t.ID)
			if err != nil {
				return fmt.Errorf("read members team=%d: %w", t.ID, err)
			}
			if before, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return fmt.Errorf("read members team=%d: %w", t.ID, err)
			}
			old := t.Version
			err = tx.QueryRow(ctx, `UPDATE teams SET name = $2, organisation_id = $3, lead_volunteer_id = $4, base = ST_GeomFromWKB($5, 4326)::geography,
				has_vehicle = $6, capacity_packages = $7, skills = $8, languages = $9, shift_start = $10::time, shift_end = $11::time, color = $12, active = $13
				WHERE id = $1 RETURNING version`, t.ID, t.Name, t.OrganisationID, t.LeadVolunteerID, wkb.Value(t.Base), t.HasVehicle, t.CapacityPackages,
				t.Skills, t.Languages, t.ShiftStart, t.ShiftEnd, t.Color, t.Active).Scan(&t.Version)
			if err != nil {
				return translate(err, "Team")
			}
			// Members are not columns of teams, so the trigger cannot see
			// them change: raise the version here when only they did.
			if !sameIDs(before, t.MemberIDs) && (t.Version == old || old == dispatch.AnyVersion) {
				if err := tx.QueryRow(ctx, `UPDATE teams SET version = version + 1 WHERE id = $1 RETURNING version`, t.ID).Scan(&t.Version); err != nil {
					return fmt.Errorf("bump version team=%d: %w", t.ID, err)
				}
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM team_members WHERE team_id = $1`, t.ID); err != nil {
			return fmt.Errorf("clear members team=%d: %w", t.ID, err)
		}
		if len(t.MemberIDs) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, volunteer_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, t.ID, t.MemberIDs); err != nil {
				return translate(err, "Team member")
			}
		}
		_, err := appendEvent(ctx, tx, "team.saved", "team", t.ID, nil, map[string]any{"id": t.ID, "name": t.Name, "lat": t.Base.Lat(), "lon": t.Base.Lon(), "color": t.Color, "active": t.Active})
		return err
	})
}

// sameIDs reports whether a and b hold the same ids, ignoring order and
// repeats.
func sameIDs(a, b []int64) bool {
	in := func(x []int64) map[int64]bool {
		m := make(map[int64]bool, len(x))
		for _, id := range x {
			m[id] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	if len(ma) != len(mb) {
		return false
	}
	for id := range ma {
		if !mb[id] {
			return false
		}
	}
	return true
}

// FindCareAddresses implements dispatch.RegistryStore: search by name,
// phone digits or address; redacted for roles without ActViewPersonal, and
// each returned pensioner audited as read otherwise.
func (db *DB) FindCareAddresses(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.CareAddress, int, error) {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return nil, 0, err
	}
	limit, offset := pageLimit(p)
	var out []*dispatch.CareAddress
	total := 0
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		out, total = nil, 0
		rows, err := tx.Query(ctx, `SELECT `+careColumns+`, count(*) OVER () FROM care_addresses c
			WHERE $1 = '' OR c.full_name ILIKE '%' || $1 || '%' OR c.address_text ILIKE '%' || $1 || '%'
			   OR (length(regexp_replace($1, '\D', '', 'g')) >= 4 AND c.phone_digits LIKE '%' || regexp_replace($1, '\D', '', 'g') || '%')
			ORDER BY c.full_name, c.id LIMIT $2 OFFSET $3`, p.Q, limit, offset)
		if err != nil {
			return fmt.Errorf("find care addresses: %w", err)
		}
		for rows.Next() {
			var c dispatch.CareAddress
			if err := rows.Scan(&c.ID, &c.FullName, &c.Phone, &c.AddressText, &c.Entrance, &c.Floor, &c.Flat,
				wkb.Scanner(&c.Location), &c.DistrictID, &c.PreferredLanguage, &c.Needs, &c.Immobile,
				&c.MobilityNotes, &c.AccessNotes, &c.Consent, &c.Active, &c.CreatedAt, &c.UpdatedAt, &c.Version, &total); err != nil {
				rows.Close()
				return fmt.Errorf("scan care address: %w", err)
			}
			out = append(out, &c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, c := range out {
			if !actor.Can(dispatch.ActViewPersonal) {
				r := c.Redacted()
				out[i] = &r
				continue
			}
			if err := audit(ctx, tx, actor, dispatch.AuditRead, c.ID, "care address listed"); err != nil {
				return err
			}
		}
		return nil
	})
	return out, total, err
}

// SaveCareAddress implements dispatch.RegistryStore: insert when ID is 0,
// otherwise update; audited either way. Deactivating sets Active false.
func (db *DB) SaveCareAddress(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return err
	}
	if err := c.Validate(dispatch.AstanaArea); err != nil {
		return err
	}
	if c.Needs == nil {
		c.Needs = []string{}
	}
	if c.ID == 0 {
		return db.CreateCareAddress(ctx, actor, c)
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockVersion(ctx, tx, actor, versionedCare, c.ID, c.Version); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `UPDATE care_addresses SET full_name = $2, phone = $3, address_text = $4, entrance = $5, floor = $6, flat = $7,
				location = ST_GeomFromWKB($8, 4326)::geography,
				district_id = (SELECT id FROM districts d WHERE ST_Contains(d.geom, ST_GeomFromWKB($8, 4326)) LIMIT 1),
				preferred_language = $9, needs = $10, immobile = $11, mobility_notes = $12, access_notes = $13, consent = $14, active = $15,
				updated_at = $16
			WHERE id = $1 RETURNING district_id, updated_at, version`,
			c.ID, c.FullName, c.Phone, c.AddressText, c.Entrance, c.Floor, c.Flat, wkb.Value(c.Location),
			c.PreferredLanguage, c.Needs, c.Immobile, c.MobilityNotes, c.AccessNotes, c.Consent, c.Active, db.Now()).Scan(&c.DistrictID, &c.UpdatedAt, &c.Version)
		if err != nil {
			return translate(err, "Care address")
		}
		detail := "care address updated"
		if !c.Active {
			detail = "care address deactivated"
		}
		if err := audit(ctx, tx, actor, dispatch.AuditUpdate, c.ID, detail); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, dispatch.EventCareAddressUpdated, "care_address", c.ID, nil,
			map[string]any{"id": c.ID, "district_id": c.DistrictID, "active": c.Active, "lat": c.Location.Lat(), "lon": c.Location.Lon()})
		return err
	})
}

// inOrgScope returns ENOTFOUND when the existing row id of table (volunteers
// or teams) belongs to an organisation outside actor's scope: a coordinator
// changes only their own organisation's people and does not learn of
// others'.
func inOrgScope(ctx context.Context, tx pgx.Tx, actor *dispatch.User, table, what string, id int64) error {
	scope := dispatch.OrgScope(actor)
	if scope == nil {
		return nil
	}
	var org int64
	// table is one of two constants, never input.
	err := tx.QueryRow(ctx, `SELECT organisation_id FROM `+table+` WHERE id = $1`, id).Scan(&org)
	if err != nil {
		return translate(err, what)
	}
	if org != *scope {
		return dispatch.Errorf(dispatch.ENOTFOUND, "%s %d not found.", dispatch.Thing(what), id)
	}
	return nil
}
