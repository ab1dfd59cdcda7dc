package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.ReportStore = (*DB)(nil)

// The reports group by Astana day: $3 is the city's UTC offset in seconds,
// and "AT TIME ZONE make_interval(...)" uses the ISO sign (east positive),
// unlike a '+05' text zone, which POSIX reads as five hours west.
const localDay = `to_char(%s AT TIME ZONE make_interval(secs => $3), 'YYYY-MM-DD')`

func dayOf(col string) string { return fmt.Sprintf(localDay, col) }

// stopInScope is the condition that stop s is on a route of organisation
// param's teams, or true when param is NULL (a city-wide report).
func stopInScope(param string) string {
	return `(` + param + `::bigint IS NULL OR EXISTS (SELECT 1 FROM routes ro JOIN teams tm ON tm.id = ro.team_id
		WHERE ro.id = s.route_id AND tm.organisation_id = ` + param + `))`
}

// RequestsReport implements dispatch.ReportStore: requests by the day they
// were created, kind and current status.
func (db *DB) RequestsReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) ([]dispatch.RequestsRow, error) {
	if err := dispatch.Require(actor, dispatch.ActViewReports); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+dayOf("created_at")+`, kind, status, count(*)
		FROM requests WHERE created_at >= $1 AND created_at < $2
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, r.Start(), r.End(), r.UTCOffset())
	if err != nil {
		return nil, fmt.Errorf("requests report: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.RequestsRow, error) {
		var x dispatch.RequestsRow
		err := row.Scan(&x.Day, &x.Kind, &x.Status, &x.Count)
		return x, err
	})
}

// VisitsReport implements dispatch.ReportStore: done stops by the day they
// were done and the kind of their request.
//
// A coordinator's report (dispatch.ReportScope) counts their
// organisation's teams' stops only.
func (db *DB) VisitsReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) ([]dispatch.VisitsRow, error) {
	if err := dispatch.RequireReports(actor); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+dayOf("s.done_at")+`, q.kind, count(*)
		FROM stops s JOIN requests q ON q.id = s.request_id
		WHERE s.status = 'done' AND s.done_at >= $1 AND s.done_at < $2 AND `+stopInScope("$4")+`
		GROUP BY 1, 2 ORDER BY 1, 2`, r.Start(), r.End(), r.UTCOffset(), dispatch.ReportScope(actor))
	if err != nil {
		return nil, fmt.Errorf("visits report: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.VisitsRow, error) {
		var x dispatch.VisitsRow
		err := row.Scan(&x.Day, &x.Kind, &x.Count)
		return x, err
	})
}

// OnTimeReport implements dispatch.ReportStore with the rule documented on
// dispatch.OnTimeRow, scoped like VisitsReport.
func (db *DB) OnTimeReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) ([]dispatch.OnTimeRow, error) {
	if err := dispatch.RequireReports(actor); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `WITH v AS (
			SELECT `+dayOf("s.done_at")+` AS day, COALESCE(s.arrived_at, s.done_at) AS at,
				q.window_start, q.window_end, s.eta,
				(q.window_start IS NOT NULL OR q.window_end IS NOT NULL) AS has_window
			FROM stops s JOIN requests q ON q.id = s.request_id
			WHERE s.status = 'done' AND s.done_at >= $1 AND s.done_at < $2 AND `+stopInScope("$5")+`)
		SELECT day, count(*),
			count(*) FILTER (WHERE has_window OR eta IS NOT NULL),
			count(*) FILTER (WHERE CASE
				WHEN has_window THEN (window_start IS NULL OR at >= window_start) AND (window_end IS NULL OR at <= window_end)
				WHEN eta IS NOT NULL THEN at BETWEEN eta - make_interval(secs => $4) AND eta + make_interval(secs => $4)
				ELSE false END)
		FROM v GROUP BY day ORDER BY day`, r.Start(), r.End(), r.UTCOffset(), dispatch.OnTimeSlack.Seconds(), dispatch.ReportScope(actor))
	if err != nil {
		return nil, fmt.Errorf("on-time report: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.OnTimeRow, error) {
		var x dispatch.OnTimeRow
		if err := row.Scan(&x.Day, &x.Done, &x.Judged, &x.OnTime); err != nil {
			return x, err
		}
		if x.Judged > 0 {
			share := float64(x.OnTime) / float64(x.Judged)
			x.Share = &share
		}
		return x, nil
	})
}

// alertsSelect is shared by the per-day and the whole-range alert queries.
const alertsSelect = `count(*), count(handled_at),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM handled_at - created_at)::float8) / 60)::numeric, 1)::float8
	FROM alerts WHERE created_at >= $1 AND created_at < $2`

// AlertsReport implements dispatch.ReportStore: alerts by the day they were
// raised; the median ignores alerts still open.
func (db *DB) AlertsReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) (*dispatch.AlertsReport, error) {
	if err := dispatch.Require(actor, dispatch.ActViewReports); err != nil {
		return nil, err
	}
	out := &dispatch.AlertsReport{Days: []dispatch.AlertsRow{}}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+dayOf("created_at")+`, `+alertsSelect+` GROUP BY 1 ORDER BY 1`,
			r.Start(), r.End(), r.UTCOffset())
		if err != nil {
			return fmt.Errorf("alerts report: %w", err)
		}
		out.Days, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.AlertsRow, error) {
			var x dispatch.AlertsRow
			err := row.Scan(&x.Day, &x.Raised, &x.Handled, &x.MedianMinutes)
			return x, err
		})
		if err != nil {
			return fmt.Errorf("scan alerts report: %w", err)
		}
		err = tx.QueryRow(ctx, `SELECT `+alertsSelect, r.Start(), r.End()).Scan(&out.Raised, &out.Handled, &out.MedianMinutes)
		if err != nil {
			return fmt.Errorf("alerts total: %w", err)
		}
		return nil
	})
	return out, err
}

// finishedRoutes are the routes whose time counts, with their exact length
// in whole seconds (extract(epoch) of an interval is numeric, so nothing is
// lost to floating point before the truncation).
// HoursReport implements dispatch.ReportStore with the verified-hours rule
// of dispatch.VerifiedHours (confirmed attendance, overlapping routes once,
// capped per day); a coordinator's report covers their organisation only.
func (db *DB) HoursReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) (*dispatch.HoursReport, error) {
	if err := dispatch.RequireReports(actor); err != nil {
		return nil, err
	}
	out := &dispatch.HoursReport{Volunteers: []dispatch.HoursRow{}, Organisations: []dispatch.HoursRow{}}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		hours, err := hoursFor(ctx, tx, r, dispatch.ReportScope(actor), nil)
		if err != nil {
			return fmt.Errorf("hours report: %w", err)
		}
		type orgAcc struct {
			row    dispatch.HoursRow
			routes map[int64]bool
		}
		orgs := map[int64]*orgAcc{}
		for _, h := range hours {
			if len(h.RouteIDs) == 0 {
				continue
			}
			out.Volunteers = append(out.Volunteers, hoursRow(h.VolunteerID, h.Name, h.Organisation, len(h.RouteIDs), h.Seconds))
			o := orgs[h.OrganisationID]
			if o == nil {
				o = &orgAcc{row: dispatch.HoursRow{ID: h.OrganisationID, Name: h.Organisation}, routes: map[int64]bool{}}
				orgs[h.OrganisationID] = o
			}
			o.row.Seconds += h.Seconds
			for _, id := range h.RouteIDs {
				o.routes[id] = true
			}
		}
		for _, o := range orgs {
			out.Organisations = append(out.Organisations, hoursRow(o.row.ID, o.row.Name, "", len(o.routes), o.row.Seconds))
		}
		sort.Slice(out.Organisations, func(i, j int) bool {
			a, b := out.Organisations[i], out.Organisations[j]
			return a.Name < b.Name || a.Name == b.Name && a.ID < b.ID
		})
		return nil
	})
	return out, err
}

func hoursRow(id int64, name, org string, routes int, seconds int64) dispatch.HoursRow {
	return dispatch.HoursRow{ID: id, Name: name, Org: org, Routes: routes, Seconds: seconds, Minutes: seconds / 60,
		Hours: json.Number(dispatch.FormatHours(seconds))}
}
