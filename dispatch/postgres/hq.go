package postgres

import (
	"context"
	"fmt"

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
	out := &dispatch.HQReport{Month: month.From.Format("2006-01"), HoursSource: "route"}
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

	q, err = tx.Query(ctx, hqVisits+`, secs AS (
			SELECT sh.org, sh.district,
				sh.share * floor(extract(epoch FROM r.finished_at - r.started_at)) * (SELECT count(*) FROM route_members m WHERE m.route_id = r.id) AS s
			FROM share sh JOIN routes r ON r.id = sh.route_id
			WHERE r.status = 'finished' AND r.started_at IS NOT NULL AND r.finished_at > r.started_at)
		SELECT GROUPING(org, district), coalesce(org, 0), coalesce(district, 0), round(sum(s) / 3600, 1)::text
		FROM secs `+hqGroups, start, end)
	if err != nil {
		return nil, fmt.Errorf("hq hours: %w", err)
	}
	for q.Next() {
		var k hqKey
		var h string
		if err := q.Scan(&k.level, &k.org, &k.district, &h); err != nil {
			q.Close()
			return nil, fmt.Errorf("scan hq hours: %w", err)
		}
		get(k).Hours = h
	}
	q.Close()
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("hq hours: %w", err)
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
