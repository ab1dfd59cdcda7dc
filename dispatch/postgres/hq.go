package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.HQReportStore = (*DB)(nil)

// hqVisits are the visits done in [$1, $2) with their organisation,
// district, kind, packages, person and route. -1 stands for "no district"
// so GROUPING SETS can tell it from a total.
const hqVisits = `WITH v AS (
	SELECT s.id AS stop_id, r.id AS route_id, t.organisation_id AS org, coalesce(q.district_id, -1) AS district,
		q.kind, greatest(q.packages, 1) AS packages,
		coalesce('c' || q.care_address_id, 'r' || q.id) AS person
	FROM stops s JOIN routes r ON r.id = s.route_id JOIN teams t ON t.id = r.team_id
	JOIN requests q ON q.id = s.request_id
	WHERE s.status = 'done' AND s.done_at >= $1 AND s.done_at < $2),
-- each route's share of its done visits in each organisation and district
share AS (
	SELECT route_id, org, district, count(*)::numeric / sum(count(*)) OVER (PARTITION BY route_id) AS share
	FROM v GROUP BY route_id, org, district)
`

// hqGroups is the grouping every query of the report shares: detail,
// per organisation, per district and the total. GROUPING(org, district) is
// 0, 1, 2 and 3 respectively.
const hqGroups = `GROUP BY GROUPING SETS ((org, district), (org), (district), ())`

// hqKey identifies one line: the grouping level, organisation, district.
type hqKey struct {
	level         int
	org, district int64
}

// HQReport implements dispatch.HQReportStore with the definitions in
// dispatch/hq.go, in one repeatable-read snapshot.
func (db *DB) HQReport(ctx context.Context, actor *dispatch.User, month dispatch.ReportRange) (*dispatch.HQReport, error) {
	if err := dispatch.Require(actor, dispatch.ActViewReports); err != nil {
		return nil, err
	}
	out := &dispatch.HQReport{Month: month.From.Format("2006-01"), HoursSource: "attendance"}
	rows := map[hqKey]*dispatch.HQRow{}
	var order []hqKey
	get := func(k hqKey) *dispatch.HQRow {
		if r, ok := rows[k]; ok {
			return r
		}
		r := &dispatch.HQRow{Hours: "0.0", AllOrganisations: k.level&2 != 0, AllDistricts: k.level&1 != 0}
		rows[k] = r
		order = append(order, k)
		return r
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin hq report: %w", err)
	}
	defer tx.Rollback(ctx)
	start, end := month.Start(), month.End()

	q, err := tx.Query(ctx, hqVisits+`SELECT GROUPING(org, district), coalesce(org, 0), coalesce(district, 0),
			count(DISTINCT person), count(*) FILTER (WHERE kind = 'snow_clearing'),
			coalesce(sum(packages) FILTER (WHERE kind = 'food_delivery'), 0)
		FROM v `+hqGroups, start, end)
	if err != nil {
		return nil, fmt.Errorf("hq visits: %w", err)
	}
	for q.Next() {
		var k hqKey
		var pens, snow, food int
		if err := q.Scan(&k.level, &k.org, &k.district, &pens, &snow, &food); err != nil {
			q.Close()
			return nil, fmt.Errorf("scan hq visits: %w", err)
		}
		r := get(k)
		r.Pensioners, r.SnowActions, r.FoodPackages = pens, snow, food
	}
	q.Close()
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("hq visits: %w", err)
	}

	q, err = tx.Query(ctx, hqVisits+`, vol AS (SELECT DISTINCT sh.org, sh.district, m.volunteer_id
			FROM share sh JOIN route_members m ON m.route_id = sh.route_id)
		SELECT GROUPING(org, district), coalesce(org, 0), coalesce(district, 0), count(DISTINCT volunteer_id)
		FROM vol `+hqGroups, start, end)
	if err != nil {
		return nil, fmt.Errorf("hq volunteers: %w", err)
	}
	for q.Next() {
		var k hqKey
		var n int
		if err := q.Scan(&k.level, &k.org, &k.district, &n); err != nil {
			q.Close()
			return nil, fmt.Errorf("scan hq volunteers: %w", err)
		}
		get(k).Volunteers = n
	}
	q.Close()
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("hq volunteers: %w", err)
	}

	if err := hqHours(ctx, tx, month, get); err != nil {
		return nil, err
	}

	orgs := map[int64]string{}
	q, err = tx.Query(ctx, `SELECT id, name FROM organisations`)
	if err != nil {
		return nil, fmt.Errorf("hq organisations: %w", err)
	}
	for q.Next() {
		var id int64
		var n string
		if err := q.Scan(&id, &n); err != nil {
			q.Close()
			return nil, err
		}
		orgs[id] = n
	}
	q.Close()
	type names struct{ ru, kk string }
	districts := map[int64]names{}
	q, err = tx.Query(ctx, `SELECT id, name_ru, name_kk FROM districts`)
	if err != nil {
		return nil, fmt.Errorf("hq districts: %w", err)
	}
	for q.Next() {
		var id int64
		var n names
		if err := q.Scan(&id, &n.ru, &n.kk); err != nil {
			q.Close()
			return nil, err
		}
		districts[id] = n
	}
	q.Close()

	for _, k := range order {
		r := rows[k]
		if !r.AllOrganisations {
			id := k.org
			r.OrganisationID, r.Organisation = &id, orgs[k.org]
		}
		if !r.AllDistricts && k.district > 0 {
			id := k.district
			r.DistrictID, r.DistrictRU, r.DistrictKK = &id, districts[id].ru, districts[id].kk
		}
		switch k.level {
		case 0:
			out.Detail = append(out.Detail, *r)
		case 1:
			out.ByOrganisation = append(out.ByOrganisation, *r)
		case 2:
			out.ByDistrict = append(out.ByDistrict, *r)
		case 3:
			out.Total = *r
		}
	}
	if len(order) == 0 {
		out.Total = dispatch.HQRow{AllOrganisations: true, AllDistricts: true, Hours: "0.0"}
	}
	sortHQ(out.Detail)
	sortHQ(out.ByOrganisation)
	sortHQ(out.ByDistrict)
	return out, tx.Commit(ctx)
}

// sortHQ orders lines by organisation name, then district (no district
// last).
func sortHQ(rows []dispatch.HQRow) {
	less := func(a, b dispatch.HQRow) bool {
		if a.Organisation != b.Organisation {
			return a.Organisation < b.Organisation
		}
		if (a.DistrictID == nil) != (b.DistrictID == nil) {
			return a.DistrictID != nil
		}
		return a.DistrictRU < b.DistrictRU
	}
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && less(rows[j], rows[j-1]); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// hqHours fills the hours of every line from verified attendance
// (dispatch.VerifiedHours through hoursFor: confirmed routes only, no
// double counting of overlaps, capped per day). A volunteer's month of
// seconds is spread over the routes they attended in proportion to their
// time on each, and a route's part over its organisation and districts in
// proportion to its visits done there; a route with no visit done in the
// month goes to the volunteer's organisation, no district. Lines are sums
// of these parts, so they add up to the total.
func hqHours(ctx context.Context, tx pgx.Tx, month dispatch.ReportRange, get func(hqKey) *dispatch.HQRow) error {
	verified, err := hoursFor(ctx, tx, month, nil, nil)
	if err != nil {
		return fmt.Errorf("hq verified hours: %w", err)
	}
	type part struct {
		org, district int64
		share         float64
	}
	shares := map[int64][]part{}
	q, err := tx.Query(ctx, hqVisits+`SELECT route_id, org, district, share::float8 FROM share`, month.Start(), month.End())
	if err != nil {
		return fmt.Errorf("hq shares: %w", err)
	}
	for q.Next() {
		var route int64
		var p part
		if err := q.Scan(&route, &p.org, &p.district, &p.share); err != nil {
			q.Close()
			return fmt.Errorf("scan hq share: %w", err)
		}
		shares[route] = append(shares[route], p)
	}
	q.Close()
	if err := q.Err(); err != nil {
		return fmt.Errorf("hq shares: %w", err)
	}
	// time each volunteer spent on each confirmed route, clipped to it
	type vr struct{ volunteer, route int64 }
	spent := map[int64]map[int64]float64{}
	q, err = tx.Query(ctx, `SELECT a.volunteer_id, a.route_id,
			greatest(extract(epoch FROM least(a.check_out, coalesce(r.finished_at, a.check_out)) - greatest(a.check_in, coalesce(r.started_at, a.check_in))), 0)::float8
		FROM attendance a JOIN routes r ON r.id = a.route_id
		WHERE r.attendance_confirmed_at IS NOT NULL AND a.check_out IS NOT NULL
		  AND a.check_in < $2 AND a.check_out > $1`, month.Start().Add(-24*time.Hour), month.End().Add(24*time.Hour))
	if err != nil {
		return fmt.Errorf("hq attendance: %w", err)
	}
	for q.Next() {
		var x vr
		var secs float64
		if err := q.Scan(&x.volunteer, &x.route, &secs); err != nil {
			q.Close()
			return fmt.Errorf("scan hq attendance: %w", err)
		}
		if spent[x.volunteer] == nil {
			spent[x.volunteer] = map[int64]float64{}
		}
		spent[x.volunteer][x.route] += secs
	}
	q.Close()
	if err := q.Err(); err != nil {
		return fmt.Errorf("hq attendance: %w", err)
	}
	seconds := map[hqKey]float64{}
	add := func(org, district int64, s float64) {
		for _, k := range []hqKey{{0, org, district}, {1, org, 0}, {2, 0, district}, {3, 0, 0}} {
			seconds[k] += s
		}
	}
	for _, v := range verified {
		if v.Seconds == 0 {
			continue
		}
		total := 0.0
		for _, r := range v.RouteIDs {
			total += spent[v.VolunteerID][r]
		}
		if total == 0 {
			add(v.OrganisationID, -1, float64(v.Seconds))
			continue
		}
		for _, r := range v.RouteIDs {
			s := float64(v.Seconds) * spent[v.VolunteerID][r] / total
			if len(shares[r]) == 0 {
				add(v.OrganisationID, -1, s)
				continue
			}
			for _, p := range shares[r] {
				add(p.org, p.district, s*p.share)
			}
		}
	}
	for k, s := range seconds {
		get(k).Hours = strconv.FormatFloat(math.Round(s/360)/10, 'f', 1, 64)
	}
	return nil
}
