package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.ExportStore = (*DB)(nil)

// exporter builds one export inside a read transaction. Exporters for new
// kinds register in exporters from their own file (see
// /work/coord/export.md): `exporters[dispatch.ExportHours] = exportHours`.
type exporter func(ctx context.Context, tx pgx.Tx, actor *dispatch.User, f dispatch.ExportFilter) (*dispatch.Table, error)

var exporters = map[dispatch.ExportKind]exporter{
	dispatch.ExportCare:       exportCare,
	dispatch.ExportVolunteers: exportVolunteers,
	dispatch.ExportTeams:      exportTeams,
	dispatch.ExportRequests:   exportRequests,
}

// Export implements dispatch.ExportStore in one repeatable-read
// transaction, so a long export is one consistent snapshot.
func (db *DB) Export(ctx context.Context, actor *dispatch.User, kind dispatch.ExportKind, f dispatch.ExportFilter) (*dispatch.Table, error) {
	if _, err := dispatch.ParseExportKind(string(kind)); err != nil {
		return nil, err
	}
	if err := dispatch.Require(actor, kind.Action()); err != nil {
		return nil, err
	}
	run, ok := exporters[kind]
	if !ok {
		return nil, dispatch.Invalid("kind", "The %s export is not available on this server yet.", kind)
	}
	var out *dispatch.Table
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("begin export kind=%s: %w", kind, err)
	}
	defer tx.Rollback(ctx)
	if out, err = run(ctx, tx, actor, f); err != nil {
		return nil, fmt.Errorf("export kind=%s: %w", kind, err)
	}
	out.Name = string(kind)
	return out, tx.Commit(ctx)
}

// rangeArgs are the created_at bounds of f ($1, $2), or the whole of time.
func rangeArgs(f dispatch.ExportFilter) (time.Time, time.Time) {
	if f.Range == nil {
		return time.Unix(0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return f.Range.Start(), f.Range.End()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func coord(x float64) string { return strconv.FormatFloat(x, 'f', 7, 64) }

func localTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return dispatch.LocalTime(*t)
}

// exportCare writes the canonical care-address columns first, so the file
// imports again unchanged (lat and lon keep hand-placed pins exact), and
// audits each pensioner exported as read.
func exportCare(ctx context.Context, tx pgx.Tx, actor *dispatch.User, f dispatch.ExportFilter) (*dispatch.Table, error) {
	from, to := rangeArgs(f)
	rows, err := tx.Query(ctx, `SELECT c.id, c.full_name, c.phone, c.address_text, c.flat, c.entrance, c.floor,
			c.preferred_language, c.immobile, c.mobility_notes, c.access_notes, c.needs, c.consent,
			ST_Y(c.location::geometry), ST_X(c.location::geometry), coalesce(d.name_ru, ''), c.external_id, c.active
		FROM care_addresses c LEFT JOIN districts d ON d.id = c.district_id
		WHERE c.created_at >= $1 AND c.created_at < $2 ORDER BY c.id`, from, to)
	if err != nil {
		return nil, err
	}
	t := &dispatch.Table{Columns: append(append([]string{}, dispatch.CareHeader...),
		"access", "needs", "consent", "lat", "lon", "district", "external_id", "active", "id")}
	var ids []int64
	for rows.Next() {
		var id int64
		var name, phone, addr, flat, ent, floor, lang, notes, access, district, ext string
		var immobile, consent, active bool
		var needs []string
		var lat, lon float64
		if err := rows.Scan(&id, &name, &phone, &addr, &flat, &ent, &floor, &lang, &immobile, &notes, &access, &needs,
			&consent, &lat, &lon, &district, &ext, &active); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
		t.Rows = append(t.Rows, []string{name, phone, addr, flat, ent, floor, lang, yesNo(immobile), notes, access,
			strings.Join(needs, ";"), yesNo(consent), coord(lat), coord(lon), district, ext, yesNo(active), strconv.FormatInt(id, 10)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (user_id, action, care_address_id, detail)
			SELECT $1, 'read', unnest($2::bigint[]), 'care address exported'`, userRef(actor), ids); err != nil {
			return nil, fmt.Errorf("audit export: %w", err)
		}
	}
	return t, nil
}

func exportVolunteers(ctx context.Context, tx pgx.Tx, _ *dispatch.User, f dispatch.ExportFilter) (*dispatch.Table, error) {
	from, to := rangeArgs(f)
	rows, err := tx.Query(ctx, `SELECT v.id, v.full_name, v.phone, v.birth_year, v.languages, o.name, v.external_id, v.active
		FROM volunteers v JOIN organisations o ON o.id = v.organisation_id
		WHERE v.created_at >= $1 AND v.created_at < $2 ORDER BY o.name, v.full_name, v.id`, from, to)
	if err != nil {
		return nil, err
	}
	t := &dispatch.Table{Columns: []string{"name", "phone", "birth_year", "languages", "organisation", "external_id", "active", "id"}}
	for rows.Next() {
		var id int64
		var year int
		var name, phone, org, ext string
		var langs []string
		var active bool
		if err := rows.Scan(&id, &name, &phone, &year, &langs, &org, &ext, &active); err != nil {
			rows.Close()
			return nil, err
		}
		t.Rows = append(t.Rows, []string{name, phone, strconv.Itoa(year), strings.Join(langs, ";"), org, ext, yesNo(active), strconv.FormatInt(id, 10)})
	}
	rows.Close()
	return t, rows.Err()
}

func exportTeams(ctx context.Context, tx pgx.Tx, _ *dispatch.User, f dispatch.ExportFilter) (*dispatch.Table, error) {
	from, to := rangeArgs(f)
	rows, err := tx.Query(ctx, `SELECT t.id, t.name, o.name, ST_Y(t.base::geometry), ST_X(t.base::geometry), t.has_vehicle,
			t.capacity_packages, t.skills, t.languages, to_char(t.shift_start, 'HH24:MI'), to_char(t.shift_end, 'HH24:MI'),
			t.color, t.external_id, t.active,
			(SELECT count(*) FROM team_members m WHERE m.team_id = t.id)
		FROM teams t JOIN organisations o ON o.id = t.organisation_id
		WHERE t.created_at >= $1 AND t.created_at < $2 ORDER BY o.name, t.name`, from, to)
	if err != nil {
		return nil, err
	}
	t := &dispatch.Table{Columns: []string{"name", "organisation", "lat", "lon", "vehicle", "capacity", "skills", "languages",
		"shift_start", "shift_end", "color", "external_id", "active", "members", "id"}}
	for rows.Next() {
		var id, members int64
		var name, org, start, end, color, ext string
		var lat, lon float64
		var vehicle, active bool
		var capacity int
		var skills, langs []string
		if err := rows.Scan(&id, &name, &org, &lat, &lon, &vehicle, &capacity, &skills, &langs, &start, &end, &color, &ext, &active, &members); err != nil {
			rows.Close()
			return nil, err
		}
		t.Rows = append(t.Rows, []string{name, org, coord(lat), coord(lon), yesNo(vehicle), strconv.Itoa(capacity),
			strings.Join(skills, ";"), strings.Join(langs, ";"), start, end, color, ext, yesNo(active),
			strconv.FormatInt(members, 10), strconv.FormatInt(id, 10)})
	}
	rows.Close()
	return t, rows.Err()
}

// exportRequests has no personal data: the address, never the pensioner's
// name or phone (the care address id links to them for those who may see).
func exportRequests(ctx context.Context, tx pgx.Tx, _ *dispatch.User, f dispatch.ExportFilter) (*dispatch.Table, error) {
	from, to := rangeArgs(f)
	rows, err := tx.Query(ctx, `SELECT q.id, q.kind, q.status, q.priority, q.source, q.address_text, coalesce(d.name_ru, ''),
			ST_Y(q.location::geometry), ST_X(q.location::geometry), q.care_address_id, coalesce(to_char(q.due_day, 'YYYY-MM-DD'), ''),
			q.window_start, q.window_end, q.service_minutes, q.packages, q.campaign_id, q.created_at, q.updated_at
		FROM requests q LEFT JOIN districts d ON d.id = q.district_id
		WHERE q.created_at >= $1 AND q.created_at < $2 ORDER BY q.id`, from, to)
	if err != nil {
		return nil, err
	}
	t := &dispatch.Table{Columns: []string{"id", "kind", "status", "priority", "source", "address", "district", "lat", "lon",
		"care_address_id", "due_day", "window_start", "window_end", "service_minutes", "packages", "campaign_id", "created_at", "updated_at"}}
	for rows.Next() {
		var id int64
		var care, campaign *int64
		var kind, status, prio, source, addr, district, due string
		var lat, lon float64
		var ws, we *time.Time
		var created, updated time.Time
		var minutes, packages int
		if err := rows.Scan(&id, &kind, &status, &prio, &source, &addr, &district, &lat, &lon, &care, &due, &ws, &we,
			&minutes, &packages, &campaign, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(id, 10), kind, status, prio, source, addr, district, coord(lat), coord(lon),
			optID(care), due, localTime(ws), localTime(we), strconv.Itoa(minutes), strconv.Itoa(packages), optID(campaign),
			dispatch.LocalTime(created), dispatch.LocalTime(updated)})
	}
	rows.Close()
	return t, rows.Err()
}

func optID(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}
