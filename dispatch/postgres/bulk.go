package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
)

var _ dispatch.ImportStore = (*DB)(nil)

// EventImportApplied is the one event an applied import writes (not one
// per row: a 50,000-row file must not flood the live feed).
const EventImportApplied = "import.applied"

// careMatchRadiusM bounds the search for an existing pensioner without a
// phone: the address text decides, the radius only uses the GiST index.
const careMatchRadiusM = 300

func requireImport(actor *dispatch.User, kind dispatch.ImportKind) error {
	if !kind.Valid() {
		return dispatch.Invalid("kind", "Unknown import kind %q.", kind)
	}
	return dispatch.Require(actor, kind.Action())
}

// CreateImport implements dispatch.ImportStore.
func (db *DB) CreateImport(ctx context.Context, actor *dispatch.User, imp *dispatch.Import) error {
	if err := requireImport(actor, imp.Kind); err != nil {
		return err
	}
	explicit, err := json.Marshal(imp.Explicit)
	if err != nil {
		return fmt.Errorf("marshal mapping: %w", err)
	}
	if imp.Explicit == nil {
		explicit = []byte("{}")
	}
	imp.Status = dispatch.ImportNew
	header := imp.Header
	if header == nil {
		header = []string{}
	}
	err = db.pool.QueryRow(ctx, `INSERT INTO imports (kind, organisation_id, filename, format, content, mapping, created_by, header)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
		imp.Kind, imp.OrganisationID, imp.Filename, imp.Format, imp.Content, explicit, userRef(actor), header).Scan(&imp.ID, &imp.CreatedAt)
	if err != nil {
		return translate(err, "Import")
	}
	imp.CreatedBy = userRef(actor)
	return nil
}

// userRef is the actor's users.id, nil for the command line's system actor
// (ID 0), which has no row.
func userRef(actor *dispatch.User) *int64 {
	if actor == nil || actor.ID == 0 {
		return nil
	}
	id := actor.ID
	return &id
}

const importColumns = `id, kind, organisation_id, filename, format, mapping, status, rows_total, rows_done,
	created, updated, unchanged, rejected, error, created_by, created_at, applied_at, header`

func scanImport(row pgx.Row) (*dispatch.Import, error) {
	var imp dispatch.Import
	var mapping []byte
	err := row.Scan(&imp.ID, &imp.Kind, &imp.OrganisationID, &imp.Filename, &imp.Format, &mapping, &imp.Status,
		&imp.RowsTotal, &imp.RowsDone, &imp.Counts.Created, &imp.Counts.Updated, &imp.Counts.Unchanged, &imp.Counts.Rejected,
		&imp.Error, &imp.CreatedBy, &imp.CreatedAt, &imp.AppliedAt, &imp.Header)
	if err != nil {
		return nil, err
	}
	imp.Counts.Rows = imp.Counts.Created + imp.Counts.Updated + imp.Counts.Unchanged + imp.Counts.Rejected
	if err := json.Unmarshal(mapping, &imp.Explicit); err != nil {
		return nil, fmt.Errorf("decode import mapping id=%d: %w", imp.ID, err)
	}
	return &imp, nil
}

// FindImport implements dispatch.ImportStore.
func (db *DB) FindImport(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Import, error) {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil && dispatch.Require(actor, dispatch.ActManageTeams) != nil {
		return nil, err
	}
	imp, err := scanImport(db.pool.QueryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err, "Import")
	}
	if err := requireImport(actor, imp.Kind); err != nil {
		return nil, err
	}
	return imp, nil
}

// ImportContent implements dispatch.ImportStore.
func (db *DB) ImportContent(ctx context.Context, actor *dispatch.User, id int64) ([]byte, error) {
	if _, err := db.FindImport(ctx, actor, id); err != nil {
		return nil, err
	}
	var content []byte
	if err := db.pool.QueryRow(ctx, `SELECT content FROM imports WHERE id = $1`, id).Scan(&content); err != nil {
		return nil, translate(err, "Import")
	}
	if content == nil {
		return nil, dispatch.Errorf(dispatch.ECONFLICT, "Import %d is finished; its file is no longer kept.", id)
	}
	return content, nil
}

// ResolveOrganisations implements dispatch.ImportStore.
func (db *DB) ResolveOrganisations(ctx context.Context, names []string) (map[string]int64, error) {
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(strings.TrimSpace(n))
	}
	rows, err := db.pool.Query(ctx, `SELECT lower(name), id FROM organisations WHERE lower(name) = ANY($1)`, lower)
	if err != nil {
		return nil, fmt.Errorf("resolve organisations: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var n string
		var id int64
		if err := rows.Scan(&n, &id); err != nil {
			return nil, fmt.Errorf("scan organisation: %w", err)
		}
		out[n] = id
	}
	return out, rows.Err()
}

// PlaceAddresses implements dispatch.ImportStore: exact matches of the
// normalised key (or its Latin key) among gazetteer houses. A key whose
// houses lie more than dispatch.AmbiguousM apart is Ambiguous.
func (db *DB) PlaceAddresses(ctx context.Context, keys []string) (map[string]dispatch.Place, error) {
	latin := make([]string, len(keys))
	for i, k := range keys {
		latin[i] = geo.LatinKey(k)
	}
	// Joins, not "= ANY" of two arrays: the norm branch uses the unique
	// index, the Latin one a hash join (an OR of two ANYs compared every
	// gazetteer row with every key).
	rows, err := db.pool.Query(ctx, `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(norm, latin))
		SELECT k.norm, true, ST_X(g.location::geometry), ST_Y(g.location::geometry)
		FROM k JOIN gazetteer g ON g.kind = 'house' AND g.norm = k.norm
		UNION ALL
		SELECT k.norm, false, ST_X(g.location::geometry), ST_Y(g.location::geometry)
		FROM k JOIN gazetteer g ON g.kind = 'house' AND g.latin = k.latin AND g.norm <> k.norm`, keys, latin)
	if err != nil {
		return nil, fmt.Errorf("place addresses n=%d: %w", len(keys), err)
	}
	defer rows.Close()
	// An exact key wins over Latin-key matches (the gazetteer may hold the
	// same house in Russian and English spellings, placed apart).
	found := map[string][]orb.Point{}
	exact := map[string]bool{}
	for rows.Next() {
		var k string
		var isExact bool
		var p orb.Point
		if err := rows.Scan(&k, &isExact, &p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("scan place: %w", err)
		}
		switch {
		case isExact && !exact[k]:
			exact[k], found[k] = true, []orb.Point{p}
		case isExact || !exact[k]:
			found[k] = append(found[k], p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]dispatch.Place, len(found))
	for k, pts := range found {
		pl := dispatch.Place{Point: pts[0]}
		for _, p := range pts[1:] {
			if orbgeo.Distance(pts[0], p) > dispatch.AmbiguousM {
				pl.Ambiguous = true
			}
		}
		out[k] = pl
	}
	return out, nil
}

// MatchImport implements dispatch.ImportStore.
func (db *DB) MatchImport(ctx context.Context, kind dispatch.ImportKind, rows []*dispatch.ImportRow) (map[int64]any, error) {
	out := map[int64]any{}
	if len(rows) == 0 {
		return out, nil
	}
	var err error
	switch kind {
	case dispatch.ImportCare:
		err = db.matchCare(ctx, rows, out)
	case dispatch.ImportVolunteers:
		err = db.matchVolunteers(ctx, rows, out)
	case dispatch.ImportTeams:
		err = db.matchTeams(ctx, rows, out)
	}
	return out, err
}

func setTarget(r *dispatch.ImportRow, id int64) {
	if r.TargetID == nil || id < *r.TargetID {
		r.TargetID = &id
	}
}

func (db *DB) matchCare(ctx context.Context, rows []*dispatch.ImportRow, out map[int64]any) error {
	// $1 row index, $2 external id, $3 phone digits, $4/$5 lon/lat. A row
	// with an external id matches only on it; otherwise on phone (any
	// distance) or, without a phone, on addresses near the place; Go then
	// compares the normalised address and flat.
	var idx []int32
	var ext, phones []string
	var lons, lats []float64
	for i, r := range rows {
		idx = append(idx, int32(i))
		ext = append(ext, r.Care.ExternalID)
		phones = append(phones, r.Phone)
		lons = append(lons, r.Care.Location.Lon())
		lats = append(lats, r.Care.Location.Lat())
	}
	// Three branches, each on its own index (a single join with OR would
	// compare every row with every pensioner).
	q, err := db.pool.Query(ctx, `WITH q AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::float8[], $5::float8[]) AS q(i, ext, phone, lon, lat))
		SELECT q.i, c.external_id, `+careColumns+` FROM q JOIN care_addresses c
			ON q.ext <> '' AND c.external_id <> '' AND c.external_id = q.ext
		UNION ALL
		SELECT q.i, c.external_id, `+careColumns+` FROM q JOIN care_addresses c
			ON q.ext = '' AND q.phone <> '' AND c.phone_digits = q.phone
		UNION ALL
		SELECT q.i, c.external_id, `+careColumns+` FROM q JOIN care_addresses c
			ON q.ext = '' AND q.phone = '' AND c.phone_digits = ''
			AND ST_DWithin(c.location, ST_SetSRID(ST_MakePoint(q.lon, q.lat), 4326)::geography, $6)`,
		idx, ext, phones, lons, lats, careMatchRadiusM)
	if err != nil {
		return fmt.Errorf("match care addresses: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var i int32
		var extID string
		c, err := scanCare(prefixRow{q, []any{&i, &extID}})
		if err != nil {
			return fmt.Errorf("scan care match: %w", err)
		}
		c.ExternalID = extID
		r := rows[i]
		if r.Care.ExternalID == "" {
			digits, _ := dispatch.PhoneDigits(c.Phone)
			if dispatch.CareKey(digits, c.AddressText, c.Flat) != dispatch.CareKey(r.Phone, r.Care.AddressText, r.Care.Flat) {
				continue
			}
		}
		out[c.ID] = c
		setTarget(r, c.ID)
	}
	return q.Err()
}

// prefixRow scans extra leading columns before those of a shared scan
// function (scanCare, scanTeam), so a column added to those lists needs no
// change here.
type prefixRow struct {
	row    pgx.Row
	prefix []any
}

func (p prefixRow) Scan(dest ...any) error { return p.row.Scan(append(p.prefix, dest...)...) }

func (db *DB) matchVolunteers(ctx context.Context, rows []*dispatch.ImportRow, out map[int64]any) error {
	var idx, years []int32
	var orgs []int64
	var ext, phones, names []string
	for i, r := range rows {
		v := r.Volunteer
		idx = append(idx, int32(i))
		orgs = append(orgs, v.OrganisationID)
		ext = append(ext, v.ExternalID)
		phones = append(phones, r.Phone)
		names = append(names, strings.ToLower(v.FullName))
		years = append(years, int32(v.BirthYear))
	}
	q, err := db.pool.Query(ctx, `WITH q AS (SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[])
			AS q(i, org, ext, phone, name, year))
		SELECT q.i, v.id, v.full_name, v.birth_year, v.languages, v.phone, v.organisation_id, v.active, v.external_id
		FROM q JOIN volunteers v ON v.organisation_id = q.org AND q.ext <> '' AND v.external_id <> '' AND v.external_id = q.ext
		UNION ALL
		SELECT q.i, v.id, v.full_name, v.birth_year, v.languages, v.phone, v.organisation_id, v.active, v.external_id
		FROM q JOIN volunteers v ON v.organisation_id = q.org AND q.ext = '' AND q.phone <> ''
			AND regexp_replace(v.phone, '\D', '', 'g') = q.phone
		UNION ALL
		SELECT q.i, v.id, v.full_name, v.birth_year, v.languages, v.phone, v.organisation_id, v.active, v.external_id
		FROM q JOIN volunteers v ON v.organisation_id = q.org AND q.ext = '' AND q.phone = ''
			AND lower(v.full_name) = q.name AND v.birth_year = q.year`,
		idx, orgs, ext, phones, names, years)
	if err != nil {
		return fmt.Errorf("match volunteers: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var i int32
		var v dispatch.Volunteer
		if err := q.Scan(&i, &v.ID, &v.FullName, &v.BirthYear, &v.Languages, &v.Phone, &v.OrganisationID, &v.Active, &v.ExternalID); err != nil {
			return fmt.Errorf("scan volunteer match: %w", err)
		}
		out[v.ID] = &v
		setTarget(rows[i], v.ID)
	}
	return q.Err()
}

func (db *DB) matchTeams(ctx context.Context, rows []*dispatch.ImportRow, out map[int64]any) error {
	var idx []int32
	var orgs []int64
	var ext, names []string
	for i, r := range rows {
		idx = append(idx, int32(i))
		orgs = append(orgs, r.Team.OrganisationID)
		ext = append(ext, r.Team.ExternalID)
		names = append(names, strings.ToLower(r.Team.Name))
	}
	q, err := db.pool.Query(ctx, `WITH q AS (SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[]) AS q(i, org, ext, name))
		SELECT q.i, t.external_id, `+teamColumns+` FROM q JOIN teams t ON
			(q.ext <> '' AND t.organisation_id = q.org AND t.external_id = q.ext)
			OR (q.ext = '' AND lower(t.name) = q.name)`, idx, orgs, ext, names)
	if err != nil {
		return fmt.Errorf("match teams: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var i int32
		var extID string
		t, err := scanTeam(prefixRow{q, []any{&i, &extID}})
		if err != nil {
			return fmt.Errorf("scan team match: %w", err)
		}
		t.ExternalID = extID
		out[t.ID] = t
		setTarget(rows[i], t.ID)
	}
	return q.Err()
}

// careData, volunteerData and teamData are the staged records: jsonb keys
// are the columns ApplyImport writes.
type careData struct {
	FullName          string   `json:"full_name"`
	Phone             string   `json:"phone"`
	AddressText       string   `json:"address_text"`
	Entrance          string   `json:"entrance"`
	Floor             string   `json:"floor"`
	Flat              string   `json:"flat"`
	Lon               float64  `json:"lon"`
	Lat               float64  `json:"lat"`
	PreferredLanguage string   `json:"preferred_language"`
	Needs             []string `json:"needs"`
	Immobile          bool     `json:"immobile"`
	MobilityNotes     string   `json:"mobility_notes"`
	AccessNotes       string   `json:"access_notes"`
	Consent           bool     `json:"consent"`
	ExternalID        string   `json:"external_id"`
}

type volunteerData struct {
	FullName       string   `json:"full_name"`
	BirthYear      int      `json:"birth_year"`
	Languages      []string `json:"languages"`
	Phone          string   `json:"phone"`
	OrganisationID int64    `json:"organisation_id"`
	ExternalID     string   `json:"external_id"`
}

type teamData struct {
	Name             string   `json:"name"`
	OrganisationID   int64    `json:"organisation_id"`
	Lon              float64  `json:"lon"`
	Lat              float64  `json:"lat"`
	HasVehicle       bool     `json:"has_vehicle"`
	CapacityPackages int      `json:"capacity_packages"`
	Skills           []string `json:"skills"`
	Languages        []string `json:"languages"`
	ShiftStart       string   `json:"shift_start"`
	ShiftEnd         string   `json:"shift_end"`
	Color            string   `json:"color"`
	ExternalID       string   `json:"external_id"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// stagedData is the jsonb of one row: the record for create and update,
// the original cells for a reject (so the rejects file can be fixed and
// imported again).
func stagedData(r *dispatch.ImportRow, cells []string) (any, error) {
	var v any
	switch {
	case r.Rejected():
		if cells == nil {
			return nil, nil
		}
		v = cells
	case r.Care != nil:
		c := r.Care
		v = careData{c.FullName, c.Phone, c.AddressText, c.Entrance, c.Floor, c.Flat, c.Location.Lon(), c.Location.Lat(),
			c.PreferredLanguage, nonNil(c.Needs), c.Immobile, c.MobilityNotes, c.AccessNotes, c.Consent, c.ExternalID}
	case r.Volunteer != nil:
		x := r.Volunteer
		v = volunteerData{x.FullName, x.BirthYear, nonNil(x.Languages), x.Phone, x.OrganisationID, x.ExternalID}
	case r.Team != nil:
		t := r.Team
		v = teamData{t.Name, t.OrganisationID, t.Base.Lon(), t.Base.Lat(), t.HasVehicle, t.CapacityPackages, nonNil(t.Skills),
			nonNil(t.Languages), t.ShiftStart, t.ShiftEnd, t.Color, t.ExternalID}
	default:
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal staged line=%d: %w", r.Line, err)
	}
	return string(b), nil
}

// StageImport implements dispatch.ImportStore: the batch's rows replace
// any staged before for the same lines, and the progress and counts follow,
// in one transaction.
func (db *DB) StageImport(ctx context.Context, actor *dispatch.User, id int64, rows []*dispatch.ImportRow, done, total int, status string) error {
	imp, err := db.FindImport(ctx, actor, id)
	if err != nil {
		return err
	}
	if imp.Status == dispatch.ImportApplied || imp.Status == dispatch.ImportApplying {
		return dispatch.Errorf(dispatch.ECONFLICT, "Import %d is already %s.", id, imp.Status)
	}
	lines := make([]int32, len(rows))
	recs := make([][]any, len(rows))
	for i, r := range rows {
		lines[i] = int32(r.Line)
		data, err := stagedData(r, r.Cells)
		if err != nil {
			return err
		}
		recs[i] = []any{id, int32(r.Line), string(r.Fate), r.TargetID, r.Label, r.Reason, r.ReasonArg, data}
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM import_rows WHERE import_id = $1 AND line = ANY($2)`, id, lines); err != nil {
			return fmt.Errorf("clear staged rows import=%d: %w", id, err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"},
			[]string{"import_id", "line", "fate", "target_id", "label", "reason", "reason_arg", "data"},
			pgx.CopyFromRows(recs)); err != nil {
			return fmt.Errorf("stage rows import=%d: %w", id, err)
		}
		_, err := tx.Exec(ctx, `UPDATE imports i SET status = $2, rows_done = $3, rows_total = $4, updated_at = now(),
				created = c.created, updated = c.updated, unchanged = c.unchanged, rejected = c.rejected
			FROM (SELECT count(*) FILTER (WHERE fate = 'create') AS created, count(*) FILTER (WHERE fate = 'update') AS updated,
				count(*) FILTER (WHERE fate = 'unchanged') AS unchanged, count(*) FILTER (WHERE fate = 'reject') AS rejected
				FROM import_rows WHERE import_id = $1) c
			WHERE i.id = $1`, id, status, done, total)
		if err != nil {
			return fmt.Errorf("import progress id=%d: %w", id, err)
		}
		return nil
	})
}

// careRecord reads a staged care record in SQL.
const careRecord = `jsonb_to_record(r.data) AS d(full_name text, phone text, address_text text, entrance text, floor text,
	flat text, lon float8, lat float8, preferred_language text, needs text[], immobile bool, mobility_notes text,
	access_notes text, consent bool, external_id text)`

const volunteerRecord = `jsonb_to_record(r.data) AS d(full_name text, birth_year int, languages text[], phone text,
	organisation_id bigint, external_id text)`

const teamRecord = `jsonb_to_record(r.data) AS d(name text, organisation_id bigint, lon float8, lat float8, has_vehicle bool,
	capacity_packages int, skills text[], languages text[], shift_start text, shift_end text, color text, external_id text)`

// ApplyImport implements dispatch.ImportStore: every staged create and
// update in one transaction, with one audit row per care address and one
// import.applied event. The file is dropped once applied (it holds
// personal data no longer needed); the rejects stay for download.
func (db *DB) ApplyImport(ctx context.Context, actor *dispatch.User, id int64) (dispatch.ImportCounts, error) {
	var counts dispatch.ImportCounts
	imp, err := db.FindImport(ctx, actor, id)
	if err != nil {
		return counts, err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM imports WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return translate(err, "Import")
		}
		if status != dispatch.ImportStaged && status != dispatch.ImportApplying {
			return dispatch.Errorf(dispatch.ECONFLICT, "Import %d is %s, not ready to apply.", id, status)
		}
		var err error
		switch imp.Kind {
		case dispatch.ImportCare:
			err = applyCare(ctx, tx, actor, id)
		case dispatch.ImportVolunteers:
			err = applyVolunteers(ctx, tx, id)
		case dispatch.ImportTeams:
			err = applyTeams(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE fate = 'create'), count(*) FILTER (WHERE fate = 'update'),
			count(*) FILTER (WHERE fate = 'unchanged'), count(*) FILTER (WHERE fate = 'reject') FROM import_rows WHERE import_id = $1`, id).
			Scan(&counts.Rows, &counts.Created, &counts.Updated, &counts.Unchanged, &counts.Rejected)
		if err != nil {
			return fmt.Errorf("count import id=%d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE import_rows SET data = NULL WHERE import_id = $1 AND fate <> 'reject'`, id); err != nil {
			return fmt.Errorf("drop staged data import=%d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE imports SET status = 'applied', applied_at = now(), updated_at = now(), content = NULL WHERE id = $1`, id); err != nil {
			return fmt.Errorf("mark import applied id=%d: %w", id, err)
		}
		_, err = appendEvent(ctx, tx, EventImportApplied, "import", id, nil, map[string]any{"id": id, "kind": imp.Kind, "counts": counts})
		return err
	})
	return counts, err
}

func applyCare(ctx context.Context, tx pgx.Tx, actor *dispatch.User, id int64) error {
	point := `ST_SetSRID(ST_MakePoint(d.lon, d.lat), 4326)`
	detail := fmt.Sprintf("care address imported (import %d)", id)
	_, err := tx.Exec(ctx, `WITH ins AS (
			INSERT INTO care_addresses (full_name, phone, address_text, entrance, floor, flat, location, district_id,
				preferred_language, needs, immobile, mobility_notes, access_notes, consent, active, external_id)
			SELECT d.full_name, d.phone, d.address_text, d.entrance, d.floor, d.flat, `+point+`::geography,
				(SELECT x.id FROM districts x WHERE ST_Contains(x.geom, `+point+`) ORDER BY x.id LIMIT 1),
				d.preferred_language, d.needs, d.immobile, d.mobility_notes, d.access_notes, d.consent, true, d.external_id
			FROM import_rows r, `+careRecord+`
			WHERE r.import_id = $1 AND r.fate = 'create' ORDER BY r.line
			RETURNING id)
		INSERT INTO audit_log (user_id, action, care_address_id, detail) SELECT $2, 'create', id, $3 FROM ins`,
		id, userRef(actor), detail)
	if err != nil {
		return translate(err, "Care address")
	}
	detail = fmt.Sprintf("care address updated by import %d", id)
	_, err = tx.Exec(ctx, `WITH up AS (
			UPDATE care_addresses c SET full_name = d.full_name, phone = d.phone, address_text = d.address_text,
				entrance = d.entrance, floor = d.floor, flat = d.flat, location = `+point+`::geography,
				district_id = (SELECT x.id FROM districts x WHERE ST_Contains(x.geom, `+point+`) ORDER BY x.id LIMIT 1),
				preferred_language = d.preferred_language, needs = d.needs, immobile = d.immobile,
				mobility_notes = d.mobility_notes, access_notes = d.access_notes, consent = d.consent, active = true,
				external_id = d.external_id, updated_at = now()
			FROM import_rows r, `+careRecord+`
			WHERE r.import_id = $1 AND r.fate = 'update' AND c.id = r.target_id
			RETURNING c.id)
		INSERT INTO audit_log (user_id, action, care_address_id, detail) SELECT $2, 'update', id, $3 FROM up`,
		id, userRef(actor), detail)
	return translate(err, "Care address")
}

func applyVolunteers(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO volunteers (full_name, birth_year, languages, phone, organisation_id, active, external_id)
		SELECT d.full_name, d.birth_year, d.languages, d.phone, d.organisation_id, true, d.external_id
		FROM import_rows r, `+volunteerRecord+`
		WHERE r.import_id = $1 AND r.fate = 'create' ORDER BY r.line`, id)
	if err != nil {
		return translate(err, "Volunteer")
	}
	_, err = tx.Exec(ctx, `UPDATE volunteers v SET full_name = d.full_name, birth_year = d.birth_year, languages = d.languages,
			phone = d.phone, external_id = d.external_id
		FROM import_rows r, `+volunteerRecord+`
		WHERE r.import_id = $1 AND r.fate = 'update' AND v.id = r.target_id`, id)
	return translate(err, "Volunteer")
}

func applyTeams(ctx context.Context, tx pgx.Tx, id int64) error {
	point := `ST_SetSRID(ST_MakePoint(d.lon, d.lat), 4326)::geography`
	_, err := tx.Exec(ctx, `INSERT INTO teams (name, organisation_id, base, has_vehicle, capacity_packages, skills, languages,
			shift_start, shift_end, color, active, external_id)
		SELECT d.name, d.organisation_id, `+point+`, d.has_vehicle, d.capacity_packages, d.skills, d.languages,
			d.shift_start::time, d.shift_end::time, d.color, true, d.external_id
		FROM import_rows r, `+teamRecord+`
		WHERE r.import_id = $1 AND r.fate = 'create' ORDER BY r.line`, id)
	if err != nil {
		return translate(err, "Team")
	}
	_, err = tx.Exec(ctx, `UPDATE teams t SET name = d.name, base = `+point+`, has_vehicle = d.has_vehicle,
			capacity_packages = d.capacity_packages, skills = d.skills, languages = d.languages,
			shift_start = d.shift_start::time, shift_end = d.shift_end::time, color = d.color, external_id = d.external_id
		FROM import_rows r, `+teamRecord+`
		WHERE r.import_id = $1 AND r.fate = 'update' AND t.id = r.target_id`, id)
	return translate(err, "Team")
}

// ImportRows implements dispatch.ImportStore. Rejected rows carry their
// original cells in Cells.
func (db *DB) ImportRows(ctx context.Context, actor *dispatch.User, id int64, rejected bool, after, limit int) ([]dispatch.ImportRow, error) {
	if _, err := db.FindImport(ctx, actor, id); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT line, fate, target_id, label, reason, reason_arg,
			CASE WHEN fate = 'reject' THEN data END
		FROM import_rows WHERE import_id = $1 AND line > $2 AND (NOT $3 OR fate = 'reject')
		ORDER BY line LIMIT $4`, id, after, rejected, limit)
	if err != nil {
		return nil, fmt.Errorf("import rows id=%d: %w", id, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.ImportRow, error) {
		var r dispatch.ImportRow
		var cells []byte
		if err := row.Scan(&r.Line, &r.Fate, &r.TargetID, &r.Label, &r.Reason, &r.ReasonArg, &cells); err != nil {
			return r, err
		}
		if cells != nil {
			if err := json.Unmarshal(cells, &r.Cells); err != nil {
				return r, fmt.Errorf("decode rejected cells line=%d: %w", r.Line, err)
			}
		}
		return r, nil
	})
}

// FailImport implements dispatch.ImportStore.
func (db *DB) FailImport(ctx context.Context, id int64, msg string) error {
	_, err := db.pool.Exec(ctx, `UPDATE imports SET status = 'failed', error = $2, updated_at = now()
		WHERE id = $1 AND status <> 'applied'`, id, msg)
	if err != nil {
		return fmt.Errorf("fail import id=%d: %w", id, err)
	}
	return nil
}

// DeleteImport implements dispatch.ImportStore.
func (db *DB) DeleteImport(ctx context.Context, actor *dispatch.User, id int64) error {
	if _, err := db.FindImport(ctx, actor, id); err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM imports WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete import id=%d: %w", id, err)
	}
	return nil
}
