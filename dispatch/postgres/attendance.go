package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.AttendanceStore = (*DB)(nil)

// checkIn writes the attendance of a route's roster at its start.
func checkIn(ctx context.Context, tx pgx.Tx, routeID int64, roster []int64, at time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO attendance (route_id, volunteer_id, check_in, updated_at)
		SELECT $1, unnest($2::bigint[]), $3, $3 ON CONFLICT DO NOTHING`, routeID, roster, at); err != nil {
		return translate(err, "Attendance")
	}
	return nil
}

// checkOutAll checks out, at a route's finish, everyone still checked in.
func checkOutAll(ctx context.Context, tx pgx.Tx, routeID int64, at time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE attendance SET check_out = greatest($2, check_in), updated_at = $2
		WHERE route_id = $1 AND check_out IS NULL`, routeID, at); err != nil {
		return fmt.Errorf("check out route=%d: %w", routeID, err)
	}
	return nil
}

// sheetRoute is what the attendance rules need about a route.
type sheetRoute struct {
	sheet      dispatch.AttendanceSheet
	teamOrg    int64
	startedAt  *time.Time
	finishedAt *time.Time
}

func loadSheet(ctx context.Context, tx pgx.Tx, routeID int64, lock bool) (*sheetRoute, error) {
	q := `SELECT r.id, r.team_id, t.name, to_char(r.day, 'YYYY-MM-DD'), r.status, r.attendance_confirmed_at, t.organisation_id, r.started_at, r.finished_at
		FROM routes r JOIN teams t ON t.id = r.team_id WHERE r.id = $1`
	if lock {
		q += ` FOR UPDATE OF r`
	}
	var sr sheetRoute
	s := &sr.sheet
	if err := tx.QueryRow(ctx, q, routeID).Scan(&s.RouteID, &s.TeamID, &s.TeamName, &s.Day, &s.Status, &s.ConfirmedAt, &sr.teamOrg,
		&sr.startedAt, &sr.finishedAt); err != nil {
		return nil, translate(err, "Route")
	}
	s.Confirmed = s.ConfirmedAt != nil
	rows, err := tx.Query(ctx, `SELECT a.route_id, a.volunteer_id, v.full_name, a.check_in, a.check_out
		FROM attendance a JOIN volunteers v ON v.id = a.volunteer_id WHERE a.route_id = $1 ORDER BY v.full_name, v.id`, routeID)
	if err != nil {
		return nil, fmt.Errorf("attendance route=%d: %w", routeID, err)
	}
	s.Rows, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.Attendance, error) {
		var a dispatch.Attendance
		err := row.Scan(&a.RouteID, &a.VolunteerID, &a.Name, &a.CheckIn, &a.CheckOut)
		a.Confirmed = s.Confirmed
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("attendance route=%d: %w", routeID, err)
	}
	if s.Rows == nil {
		s.Rows = []dispatch.Attendance{}
	}
	return &sr, nil
}

// FindAttendance implements dispatch.AttendanceStore.
func (db *DB) FindAttendance(ctx context.Context, actor *dispatch.User, routeID int64) (*dispatch.AttendanceSheet, error) {
	var out *dispatch.AttendanceSheet
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		sr, err := loadSheet(ctx, tx, routeID, false)
		if err != nil {
			return err
		}
		if err := dispatch.RequireAttendanceView(actor, sr.sheet.TeamID, sr.teamOrg); err != nil {
			return err
		}
		out = &sr.sheet
		return nil
	})
	return out, err
}

// SaveAttendance implements dispatch.AttendanceStore.
func (db *DB) SaveAttendance(ctx context.Context, actor *dispatch.User, routeID, volunteerID int64, in dispatch.AttendanceInput) (*dispatch.AttendanceSheet, error) {
	var out *dispatch.AttendanceSheet
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		sr, err := loadSheet(ctx, tx, routeID, true)
		if err != nil {
			return err
		}
		if err := dispatch.RequireAttendanceEdit(actor, sr.sheet.TeamID, sr.teamOrg); err != nil {
			return err
		}
		if err := sr.sheet.CanEdit(); err != nil {
			return err
		}
		if err := dispatch.ValidateAttendance(in, sr.startedAt, sr.finishedAt, now); err != nil {
			return err
		}
		if in.Remove {
			if _, err := tx.Exec(ctx, `DELETE FROM attendance WHERE route_id = $1 AND volunteer_id = $2`, routeID, volunteerID); err != nil {
				return fmt.Errorf("remove attendance route=%d volunteer=%d: %w", routeID, volunteerID, err)
			}
		} else {
			var member bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND volunteer_id = $2)`,
				sr.sheet.TeamID, volunteerID).Scan(&member); err != nil {
				return fmt.Errorf("check member: %w", err)
			}
			if !member {
				return dispatch.Invalid("volunteer_id", "Volunteer %d is not a member of team %d.", volunteerID, sr.sheet.TeamID)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO attendance (route_id, volunteer_id, check_in, check_out, updated_by, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (route_id, volunteer_id) DO UPDATE SET check_in = $3, check_out = $4, updated_by = $5, updated_at = $6`,
				routeID, volunteerID, in.CheckIn, in.CheckOut, actorID(actor), now); err != nil {
				return translate(err, "Attendance")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO route_members (route_id, volunteer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
				routeID, volunteerID); err != nil {
				return translate(err, "Route member")
			}
		}
		if sr, err = loadSheet(ctx, tx, routeID, false); err != nil {
			return err
		}
		out = &sr.sheet
		_, err = appendEvent(ctx, tx, "attendance.changed", "route", routeID, &sr.sheet.TeamID,
			map[string]any{"route_id": routeID, "volunteer_id": volunteerID, "removed": in.Remove})
		return err
	})
	return out, err
}

// ConfirmAttendance implements dispatch.AttendanceStore.
func (db *DB) ConfirmAttendance(ctx context.Context, actor *dispatch.User, routeID int64) (*dispatch.AttendanceSheet, error) {
	var out *dispatch.AttendanceSheet
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		sr, err := loadSheet(ctx, tx, routeID, true)
		if err != nil {
			return err
		}
		if err := dispatch.RequireAttendanceConfirm(actor, sr.teamOrg); err != nil {
			return err
		}
		if err := sr.sheet.CanConfirm(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE routes SET attendance_confirmed_at = $2, attendance_confirmed_by = $3 WHERE id = $1`,
			routeID, now, actorID(actor)); err != nil {
			return fmt.Errorf("confirm attendance route=%d: %w", routeID, err)
		}
		if sr, err = loadSheet(ctx, tx, routeID, false); err != nil {
			return err
		}
		out = &sr.sheet
		_, err = appendEvent(ctx, tx, "attendance.confirmed", "route", routeID, &sr.sheet.TeamID,
			map[string]any{"route_id": routeID, "confirmed_at": now})
		return err
	})
	return out, err
}

// PendingAttendance implements dispatch.AttendanceStore: the finished,
// unconfirmed routes of the last 60 days that have attendance.
func (db *DB) PendingAttendance(ctx context.Context, actor *dispatch.User) ([]*dispatch.AttendanceSheet, error) {
	if err := dispatch.Require(actor, dispatch.ActConfirmAttendance); err != nil {
		return nil, err
	}
	out := []*dispatch.AttendanceSheet{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.id FROM routes r JOIN teams t ON t.id = r.team_id
			WHERE r.status = 'finished' AND r.attendance_confirmed_at IS NULL AND r.finished_at > $1
			  AND EXISTS (SELECT 1 FROM attendance a WHERE a.route_id = r.id)
			  AND ($2::bigint IS NULL OR t.organisation_id = $2)
			ORDER BY r.finished_at, r.id LIMIT 200`, db.Now().AddDate(0, 0, -60), dispatch.OrgScope(actor))
		if err != nil {
			return fmt.Errorf("pending attendance: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("pending attendance: %w", err)
		}
		for _, id := range ids {
			sr, err := loadSheet(ctx, tx, id, false)
			if err != nil {
				return err
			}
			out = append(out, &sr.sheet)
		}
		return nil
	})
	return out, err
}

// HoursFor implements dispatch.AttendanceStore: it reads the attendance and
// done stops around the range (a day either side, for intervals crossing
// midnight) and applies dispatch.VerifiedHours and dispatch.CountVisits per
// volunteer.
func (db *DB) HoursFor(ctx context.Context, r dispatch.ReportRange, orgID *int64, ids ...int64) ([]dispatch.VolunteerHours, error) {
	var out []dispatch.VolunteerHours
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = hoursFor(ctx, tx, r, orgID, ids)
		return err
	})
	return out, err
}

func hoursFor(ctx context.Context, tx pgx.Tx, r dispatch.ReportRange, orgID *int64, ids []int64) ([]dispatch.VolunteerHours, error) {
	lo, hi := r.Start().Add(-24*time.Hour), r.End().Add(24*time.Hour)
	rows, err := tx.Query(ctx, `SELECT a.volunteer_id, v.full_name, v.organisation_id, o.name, a.route_id,
			a.check_in, a.check_out, r.started_at, r.finished_at, r.attendance_confirmed_at IS NOT NULL
		FROM attendance a
		JOIN routes r ON r.id = a.route_id
		JOIN volunteers v ON v.id = a.volunteer_id
		JOIN organisations o ON o.id = v.organisation_id
		WHERE a.check_in < $2 AND coalesce(a.check_out, a.check_in) >= $1
		  AND ($3::bigint IS NULL OR v.organisation_id = $3)
		  AND (coalesce(cardinality($4::bigint[]), 0) = 0 OR a.volunteer_id = ANY($4))
		ORDER BY v.full_name, v.id, a.check_in`, lo, hi, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("read attendance: %w", err)
	}
	type acc struct {
		h    dispatch.VolunteerHours
		rows []dispatch.Attendance
	}
	var order []int64
	by := map[int64]*acc{}
	var routeIDs []int64
	for rows.Next() {
		var a dispatch.Attendance
		var h dispatch.VolunteerHours
		if err := rows.Scan(&a.VolunteerID, &h.Name, &h.OrganisationID, &h.Organisation, &a.RouteID,
			&a.CheckIn, &a.CheckOut, &a.RouteStartedAt, &a.RouteFinishedAt, &a.Confirmed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan attendance: %w", err)
		}
		x := by[a.VolunteerID]
		if x == nil {
			h.VolunteerID = a.VolunteerID
			x = &acc{h: h}
			by[a.VolunteerID] = x
			order = append(order, a.VolunteerID)
		}
		x.rows = append(x.rows, a)
		routeIDs = append(routeIDs, a.RouteID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read attendance: %w", err)
	}
	stopsByRoute := map[int64][]dispatch.DoneStop{}
	if len(routeIDs) > 0 {
		srows, err := tx.Query(ctx, `SELECT id, route_id, done_at FROM stops
			WHERE route_id = ANY($1) AND status = 'done' AND done_at IS NOT NULL`, routeIDs)
		if err != nil {
			return nil, fmt.Errorf("read done stops: %w", err)
		}
		for srows.Next() {
			var s dispatch.DoneStop
			if err := srows.Scan(&s.StopID, &s.RouteID, &s.DoneAt); err != nil {
				srows.Close()
				return nil, fmt.Errorf("scan done stop: %w", err)
			}
			stopsByRoute[s.RouteID] = append(stopsByRoute[s.RouteID], s)
		}
		srows.Close()
		if err := srows.Err(); err != nil {
			return nil, fmt.Errorf("read done stops: %w", err)
		}
	}
	out := make([]dispatch.VolunteerHours, 0, len(order))
	for _, id := range order {
		x := by[id]
		var stops []dispatch.DoneStop
		routes := map[int64]bool{}
		for _, a := range x.rows {
			if !routes[a.RouteID] {
				stops = append(stops, stopsByRoute[a.RouteID]...)
			}
			routes[a.RouteID] = true
		}
		x.h.Seconds, x.h.Days = dispatch.VerifiedHours(x.rows, r)
		x.h.Visits = dispatch.CountVisits(x.rows, stops, r)
		x.h.Hours = dispatch.FormatHours(x.h.Seconds)
		x.h.RouteIDs = countedRoutes(x.rows, r)
		x.h.Routes = len(x.h.RouteIDs)
		out = append(out, x.h)
	}
	return out, nil
}

// countedRoutes are the confirmed routes with a check-in on a day of r.
func countedRoutes(rows []dispatch.Attendance, r dispatch.ReportRange) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, a := range rows {
		if a.Confirmed && a.CheckOut != nil && !a.CheckIn.Before(r.Start()) && a.CheckIn.Before(r.End()) && !seen[a.RouteID] {
			seen[a.RouteID] = true
			out = append(out, a.RouteID)
		}
	}
	return out
}
