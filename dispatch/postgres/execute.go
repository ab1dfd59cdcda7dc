package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.ExecuteStore = (*DB)(nil)

// Idempotent actions recorded in stop_updates.action.
const (
	actionStart  = "route.start"
	actionFinish = "route.finish"
	actionStop   = "stop.status"
)

// execRouteColumns are the columns execScanRoute reads from routes ro.
const execRouteColumns = `ro.id, ro.version, ro.team_id, ro.day::text, ro.status, ro.distance_m, ro.duration_s,
	ro.published_at, ro.started_at, ro.finished_at`

func execScanRoute(row pgx.Row) (*dispatch.Route, error) {
	var r dispatch.Route
	err := row.Scan(&r.ID, &r.Version, &r.TeamID, &r.Day, &r.Status, &r.DistanceM, &r.DurationS,
		&r.PublishedAt, &r.StartedAt, &r.FinishedAt)
	return &r, err
}

// execLockRoute reads a route and locks it: every field update of a route
// takes this lock first, so updates of one route run one at a time.
func execLockRoute(ctx context.Context, tx pgx.Tx, id int64) (*dispatch.Route, error) {
	r, err := execScanRoute(tx.QueryRow(ctx, `SELECT `+execRouteColumns+` FROM routes ro WHERE ro.id = $1 FOR UPDATE`, id))
	if err != nil {
		return nil, translate(err, fmt.Sprintf("Route %d", id))
	}
	return r, nil
}

// execStopColumns are the columns execScanStop reads from stops s joined
// with requests r.
const execStopColumns = `s.id, s.version, s.route_id, s.request_id, s.seq, s.status, s.locked, s.eta, s.arrived_at, s.done_at,
	s.note, s.language_match, s.travel_s, s.distance_m, r.kind, r.address_text,
	ST_Y(r.location::geometry), ST_X(r.location::geometry)`

func execScanStop(row pgx.Row, s *dispatch.Stop) error {
	return row.Scan(&s.ID, &s.Version, &s.RouteID, &s.RequestID, &s.Seq, &s.Status, &s.Locked, &s.ETA, &s.ArrivedAt, &s.DoneAt,
		&s.Note, &s.LanguageMatch, &s.TravelS, &s.DistanceM, &s.Kind, &s.AddressText, &s.Lat, &s.Lon)
}

// execStops returns the route's stops in order, removed ones left out;
// with lock they are locked for update.
func execStops(ctx context.Context, tx pgx.Tx, routeID int64, lock bool) ([]dispatch.Stop, error) {
	q := `SELECT ` + execStopColumns + ` FROM stops s JOIN requests r ON r.id = s.request_id
		WHERE s.route_id = $1 AND s.status <> 'removed' ORDER BY s.seq, s.id`
	if lock {
		q += ` FOR UPDATE OF s`
	}
	rows, err := tx.Query(ctx, q, routeID)
	if err != nil {
		return nil, fmt.Errorf("read stops route=%d: %w", routeID, err)
	}
	stops, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.Stop, error) {
		var s dispatch.Stop
		err := execScanStop(row, &s)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan stops route=%d: %w", routeID, err)
	}
	if stops == nil {
		stops = []dispatch.Stop{}
	}
	return stops, nil
}

// replayUpdate serialises updates with the same idempotency key and, when
// the key was used before, fills out with the stored answer and reports
// true. A key reused for a different update is ECONFLICT: applying it would
// break the promise that a key means one update.
func replayUpdate(ctx context.Context, tx pgx.Tx, actor *dispatch.User, key, action string, routeID int64, stopID *int64, fingerprint string, out any) (bool, error) {
	user := keyUser(actor)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('stop-update:' || $1::bigint || ':' || $2))`, user, key); err != nil {
		return false, fmt.Errorf("lock idempotency key: %w", err)
	}
	var (
		gotAction string
		gotRoute  int64
		gotStop   *int64
		gotFP     string
		body      []byte
	)
	err := tx.QueryRow(ctx, `SELECT action, route_id, stop_id, fingerprint, response FROM stop_updates
		WHERE coalesce(created_by, 0) = $1 AND idempotency_key = $2`, user, key).
		Scan(&gotAction, &gotRoute, &gotStop, &gotFP, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("find update by idempotency key: %w", err)
	}
	sameStop := (gotStop == nil) == (stopID == nil) && (stopID == nil || *gotStop == *stopID)
	if gotAction != action || gotRoute != routeID || !sameStop {
		return false, dispatch.KeyReused(key, "", "", "other", fingerprint)
	}
	if err := dispatch.KeyReused(key, action, gotFP, action, fingerprint); err != nil {
		return false, err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return false, fmt.Errorf("decode stored answer key=%s: %w", key, err)
	}
	return true, nil
}

// rememberUpdate stores the answer under the key in the same transaction as
// the update, so either both happen or neither.
func rememberUpdate(ctx context.Context, tx pgx.Tx, actor *dispatch.User, key, action string, routeID int64, stopID *int64, fingerprint string, answer any, now time.Time) error {
	body, err := json.Marshal(answer)
	if err != nil {
		return fmt.Errorf("marshal answer action=%s: %w", action, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO stop_updates (idempotency_key, route_id, stop_id, action, response, created_by, created_at, fingerprint)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, key, routeID, stopID, action, body, actorID(actor), now, fingerprint)
	if err != nil {
		return translate(err, "Update")
	}
	return nil
}

func actorID(u *dispatch.User) *int64 {
	if u == nil {
		return nil
	}
	return &u.ID
}

// moveRequest moves a request as its stop moved, writing
// request.status_changed for the team's topic. Moving to the status it
// already has does nothing.
func moveRequest(ctx context.Context, tx pgx.Tx, id int64, next dispatch.RequestStatus, teamID int64, now time.Time) (dispatch.RequestStatus, error) {
	var cur dispatch.RequestStatus
	if err := tx.QueryRow(ctx, `SELECT status FROM requests WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
		return "", translate(err, fmt.Sprintf("Request %d", id))
	}
	if cur == next {
		return cur, nil
	}
	if !cur.CanTransition(next) {
		return "", dispatch.Errorf(dispatch.ECONFLICT, "Request %d is %s and cannot become %s; ask the dispatcher.", id, cur, next)
	}
	r, err := scanRequest(tx.QueryRow(ctx, `WITH u AS (UPDATE requests SET status = $2, updated_at = $3 WHERE id = $1 RETURNING *)
		SELECT `+requestColumns+` FROM u r`, id, next, now))
	if err != nil {
		return "", translate(err, "Request")
	}
	_, err = appendEvent(ctx, tx, dispatch.EventRequestStatusChanged, "request", id, &teamID,
		map[string]any{"id": id, "from": cur, "to": next, "request": r.View()})
	return next, err
}

// startRoute moves a published route to in_progress with the roster.
func startRoute(ctx context.Context, tx pgx.Tx, rt *dispatch.Route, roster []int64, auto bool, now time.Time) error {
	if err := dispatch.RouteConflict(rt.ID, rt.Status, dispatch.RouteInProgress); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE routes SET status = 'in_progress', started_at = $2 WHERE id = $1`, rt.ID, now); err != nil {
		return fmt.Errorf("start route id=%d: %w", rt.ID, err)
	}
	if len(roster) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO route_members (route_id, volunteer_id) SELECT $1, unnest($2::bigint[])
			ON CONFLICT DO NOTHING`, rt.ID, roster); err != nil {
			return translate(err, "Route member")
		}
		if err := checkIn(ctx, tx, rt.ID, roster, now); err != nil {
			return err
		}
	}
	rt.Status, rt.StartedAt = dispatch.RouteInProgress, &now
	_, err := appendEvent(ctx, tx, dispatch.EventRouteStarted, "route", rt.ID, &rt.TeamID,
		map[string]any{"id": rt.ID, "team_id": rt.TeamID, "day": rt.Day, "started_at": now,
			"present_volunteer_ids": roster, "auto": auto})
	return err
}

// StartRoute implements dispatch.ExecuteStore.
func (db *DB) StartRoute(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.StartInput) (*dispatch.RouteStart, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	out := &dispatch.RouteStart{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		rt, err := execLockRoute(ctx, tx, routeID)
		if err != nil {
			return err
		}
		if err := dispatch.RequireTeamWork(actor, rt.TeamID); err != nil {
			return err
		}
		if done, err := replayUpdate(ctx, tx, actor, in.IdempotencyKey, actionStart, rt.ID, nil, dispatch.Fingerprint(actionStart, in), out); done || err != nil {
			return err
		}
		if err := dispatch.RouteConflict(rt.ID, rt.Status, dispatch.RouteInProgress); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT volunteer_id FROM team_members WHERE team_id = $1 AND volunteer_id = ANY($2)`,
			rt.TeamID, in.PresentVolunteerIDs)
		if err != nil {
			return fmt.Errorf("check roster route=%d: %w", rt.ID, err)
		}
		members, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("check roster route=%d: %w", rt.ID, err)
		}
		member := make(map[int64]bool, len(members))
		for _, id := range members {
			member[id] = true
		}
		for _, id := range in.PresentVolunteerIDs {
			if !member[id] {
				return dispatch.Invalid("present_volunteer_ids", "Volunteer %d is not a member of team %d.", id, rt.TeamID)
			}
		}
		if err := startRoute(ctx, tx, rt, in.PresentVolunteerIDs, false, now); err != nil {
			return err
		}
		if rt.Stops, err = execStops(ctx, tx, rt.ID, false); err != nil {
			return err
		}
		out.Route, out.PresentVolunteerIDs = rt, in.PresentVolunteerIDs
		return rememberUpdate(ctx, tx, actor, in.IdempotencyKey, actionStart, rt.ID, nil, dispatch.Fingerprint(actionStart, in), out, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishRoute implements dispatch.ExecuteStore.
func (db *DB) FinishRoute(ctx context.Context, actor *dispatch.User, routeID int64, in dispatch.FinishInput) (*dispatch.RouteFinish, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	out := &dispatch.RouteFinish{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		rt, err := execLockRoute(ctx, tx, routeID)
		if err != nil {
			return err
		}
		if err := dispatch.RequireTeamWork(actor, rt.TeamID); err != nil {
			return err
		}
		if done, err := replayUpdate(ctx, tx, actor, in.IdempotencyKey, actionFinish, rt.ID, nil, dispatch.Fingerprint(actionFinish, in), out); done || err != nil {
			return err
		}
		stops, err := execStops(ctx, tx, rt.ID, true)
		if err != nil {
			return err
		}
		remove, err := dispatch.CheckFinish(rt, stops, in.Force)
		if err != nil {
			return err
		}
		out.RemovedStopIDs = []int64{}
		for _, s := range remove {
			if _, err := tx.Exec(ctx, `UPDATE stops SET status = 'removed', eta = NULL WHERE id = $1`, s.ID); err != nil {
				return fmt.Errorf("remove stop id=%d: %w", s.ID, err)
			}
			// A cancelled (or done) request stays so: the route still
			// finishes.
			var cur dispatch.RequestStatus
			if err := tx.QueryRow(ctx, `SELECT status FROM requests WHERE id = $1`, s.RequestID).Scan(&cur); err != nil {
				return translate(err, fmt.Sprintf("Request %d", s.RequestID))
			}
			st, change := dispatch.RequestAfterStopRemoved(cur)
			if change {
				if st, err = moveRequest(ctx, tx, s.RequestID, st, rt.TeamID, now); err != nil {
					return err
				}
			}
			s.Status, s.ETA = dispatch.StopRemoved, nil
			if _, err := appendEvent(ctx, tx, dispatch.EventStopUpdated, "stop", s.ID, &rt.TeamID,
				dispatch.StopUpdate{Stop: s, RouteStatus: dispatch.RouteFinished, RequestStatus: st}); err != nil {
				return err
			}
			out.RemovedStopIDs = append(out.RemovedStopIDs, s.ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE routes SET status = 'finished', finished_at = $2 WHERE id = $1`, rt.ID, now); err != nil {
			return fmt.Errorf("finish route id=%d: %w", rt.ID, err)
		}
		if err := checkOutAll(ctx, tx, rt.ID, now); err != nil {
			return err
		}
		rt.Status, rt.FinishedAt = dispatch.RouteFinished, &now
		if rt.Stops, err = execStops(ctx, tx, rt.ID, false); err != nil {
			return err
		}
		out.Route = rt
		if _, err := appendEvent(ctx, tx, dispatch.EventRouteFinished, "route", rt.ID, &rt.TeamID,
			map[string]any{"id": rt.ID, "team_id": rt.TeamID, "day": rt.Day, "finished_at": now, "removed_stop_ids": out.RemovedStopIDs}); err != nil {
			return err
		}
		return rememberUpdate(ctx, tx, actor, in.IdempotencyKey, actionFinish, rt.ID, nil, dispatch.Fingerprint(actionFinish, in), out, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateStop implements dispatch.ExecuteStore. A stop update on a published
// route starts it first (see the package comment of dispatch/execute.go).
func (db *DB) UpdateStop(ctx context.Context, actor *dispatch.User, stopID int64, in dispatch.StopUpdateInput) (*dispatch.StopUpdate, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	out := &dispatch.StopUpdate{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		// The stop's route is known only once the stop is locked: a
		// dispatcher may move it until then (see lockStop).
		locked, err := lockStop(ctx, tx, stopID)
		if err != nil {
			return err
		}
		rt, err := execLockRoute(ctx, tx, locked.routeID)
		if err != nil {
			return err
		}
		if err := dispatch.RequireTeamWork(actor, rt.TeamID); err != nil {
			return err
		}
		if done, err := replayUpdate(ctx, tx, actor, in.IdempotencyKey, actionStop, rt.ID, &stopID, dispatch.Fingerprint(actionStop, in), out); done || err != nil {
			return err
		}
		var s dispatch.Stop
		if err := execScanStop(tx.QueryRow(ctx, `SELECT `+execStopColumns+` FROM stops s JOIN requests r ON r.id = s.request_id
			WHERE s.id = $1 FOR UPDATE OF s`, stopID), &s); err != nil {
			return translate(err, fmt.Sprintf("Stop %d", stopID))
		}
		if err := dispatch.StopConflict(s.ID, s.Status, in.Status); err != nil {
			return err
		}
		switch rt.Status {
		case dispatch.RoutePublished:
			if err := startRoute(ctx, tx, rt, nil, true, now); err != nil {
				return err
			}
			out.RouteStarted = true
		case dispatch.RouteInProgress:
		default:
			return dispatch.RouteConflict(rt.ID, rt.Status, dispatch.RouteInProgress)
		}
		note := s.Note
		if in.Note != "" {
			note = in.Note
		}
		final := in.Status != dispatch.StopArrived
		err = tx.QueryRow(ctx, `UPDATE stops SET status = $2, note = $3,
				arrived_at = coalesce(arrived_at, $4),
				done_at = CASE WHEN $5 THEN $4 ELSE done_at END
			WHERE id = $1 RETURNING arrived_at, done_at`, s.ID, in.Status, note, now, final).Scan(&s.ArrivedAt, &s.DoneAt)
		if err != nil {
			return fmt.Errorf("update stop id=%d: %w", s.ID, err)
		}
		s.Status, s.Note = in.Status, note
		if out.RequestStatus, err = moveRequest(ctx, tx, s.RequestID, dispatch.RequestStatusFor(in.Status), rt.TeamID, now); err != nil {
			return err
		}
		var careID *int64
		if err := tx.QueryRow(ctx, `SELECT care_address_id FROM requests WHERE id = $1`, s.RequestID).Scan(&careID); err != nil {
			return fmt.Errorf("read request id=%d: %w", s.RequestID, err)
		}
		if in.Status == dispatch.StopDone && careID != nil {
			// Continuity: the planner prefers the team that visited last.
			if _, err := tx.Exec(ctx, `UPDATE care_addresses SET last_team_id = $2 WHERE id = $1`, *careID, rt.TeamID); err != nil {
				return fmt.Errorf("set last team care_address=%d: %w", *careID, err)
			}
		}
		if in.Status == dispatch.StopNotHome && careID != nil {
			id, err := raiseAlert(ctx, tx, dispatch.AlertNotHome, s, *careID, rt.TeamID, now)
			if err != nil {
				return err
			}
			out.AlertID = &id
		}
		out.Stop, out.RouteStatus = s, rt.Status
		if _, err := appendEvent(ctx, tx, dispatch.EventStopUpdated, "stop", s.ID, &rt.TeamID, out); err != nil {
			return err
		}
		return rememberUpdate(ctx, tx, actor, in.IdempotencyKey, actionStop, rt.ID, &s.ID, dispatch.Fingerprint(actionStop, in), out, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// activeRoute returns the team's route that positions belong to: today's
// route in progress, else today's published one, else a route of another
// day that the lead started today (tomorrow's, started early after the
// phone's warning: the team is driving it now). A route of another day left
// in progress from an earlier day never takes today's positions.
func activeRoute(ctx context.Context, tx pgx.Tx, teamID int64, today string) (int64, error) {
	var id int64
	midnight, err := dispatch.ParseLocalDate("day", today)
	if err != nil {
		return 0, err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM routes
		WHERE team_id = $1 AND (
			(day = $2::date AND status IN ('in_progress', 'published'))
			OR (status = 'in_progress' AND started_at >= $3 AND started_at < $3 + interval '1 day'))
		ORDER BY day = $2::date DESC, status = 'in_progress' DESC, id DESC LIMIT 1`, teamID, today, midnight).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, dispatch.Errorf(dispatch.ECONFLICT, "Team %d has no active route: positions are taken only while a route is in progress or published for today.", teamID)
	}
	if err != nil {
		return 0, fmt.Errorf("find active route team=%d: %w", teamID, err)
	}
	return id, nil
}

// UpdateTeamPosition implements dispatch.ExecuteStore.
func (db *DB) UpdateTeamPosition(ctx context.Context, actor *dispatch.User, teamID int64, in dispatch.PositionInput, travel dispatch.Travel) (*dispatch.PositionUpdate, error) {
	if in.Lat == nil || in.Lon == nil {
		return nil, dispatch.Invalid("lat", "lat and lon are required.")
	}
	if err := dispatch.RequireTeamWork(actor, teamID); err != nil {
		return nil, err
	}
	out := &dispatch.PositionUpdate{ETAs: []dispatch.StopETA{}}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		var last *time.Time
		if err := tx.QueryRow(ctx, `SELECT last_position_at FROM teams WHERE id = $1 FOR UPDATE`, teamID).Scan(&last); err != nil {
			return translate(err, fmt.Sprintf("Team %d", teamID))
		}
		routeID, err := activeRoute(ctx, tx, teamID, dispatch.LocalDate(now))
		if err != nil {
			return err
		}
		out.RouteID = routeID
		if last != nil && now.Sub(*last) < dispatch.PositionInterval && !now.Before(*last) {
			return nil
		}
		pt := in.Point()
		if _, err := tx.Exec(ctx, `INSERT INTO team_positions (team_id, location, accuracy_m, recorded_at)
			VALUES ($1, ST_GeomFromWKB($2, 4326)::geography, $3, $4)`, teamID, wkb.Value(pt), in.AccuracyM, now); err != nil {
			return translate(err, "Team position")
		}
		if _, err := tx.Exec(ctx, `UPDATE teams SET last_position = ST_GeomFromWKB($2, 4326)::geography, last_position_at = $3
			WHERE id = $1`, teamID, wkb.Value(pt), now); err != nil {
			return fmt.Errorf("update team position team=%d: %w", teamID, err)
		}
		out.Stored = true
		rows, err := tx.Query(ctx, `SELECT s.id, ST_AsBinary(r.location::geometry), r.service_minutes, r.window_start
			FROM stops s JOIN requests r ON r.id = s.request_id
			WHERE s.route_id = $1 AND s.status = 'pending' ORDER BY s.seq, s.id FOR UPDATE OF s`, routeID)
		if err != nil {
			return fmt.Errorf("read pending stops route=%d: %w", routeID, err)
		}
		var (
			ids   []int64
			timed []dispatch.TimedStop
		)
		for rows.Next() {
			var id int64
			var ts dispatch.TimedStop
			if err := rows.Scan(&id, wkb.Scanner(&ts.Location), &ts.ServiceMinutes, &ts.WindowStart); err != nil {
				rows.Close()
				return fmt.Errorf("scan pending stop route=%d: %w", routeID, err)
			}
			ids, timed = append(ids, id), append(timed, ts)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read pending stops route=%d: %w", routeID, err)
		}
		if len(timed) > 0 {
			var hasVehicle bool
			if err := tx.QueryRow(ctx, `SELECT has_vehicle FROM teams WHERE id = $1`, teamID).Scan(&hasVehicle); err != nil {
				return fmt.Errorf("read team=%d: %w", teamID, err)
			}
			times, err := dispatch.ComputeETAs(ctx, travel, dispatch.ModeOf(hasVehicle), pt, now, timed)
			if err != nil {
				return fmt.Errorf("compute etas route=%d: %w", routeID, err)
			}
			etas := make([]*time.Time, len(times))
			for i, t := range times {
				if t.ETA != nil {
					// Whole seconds: what a phone shows, and what the
					// database stores without rounding it differently.
					e := t.ETA.Round(time.Second)
					t.ETA = &e
				}
				etas[i] = t.ETA
				out.ETAs = append(out.ETAs, dispatch.StopETA{StopID: ids[i], ETA: t.ETA})
			}
			if _, err := tx.Exec(ctx, `UPDATE stops s SET eta = u.eta
				FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, eta) WHERE s.id = u.id`, ids, etas); err != nil {
				return fmt.Errorf("store etas route=%d: %w", routeID, err)
			}
		}
		_, err = appendEvent(ctx, tx, dispatch.EventTeamPosition, "team", teamID, &teamID, map[string]any{
			"team_id": teamID, "route_id": routeID, "lat": *in.Lat, "lon": *in.Lon, "accuracy_m": in.AccuracyM,
			"at": now, "etas": out.ETAs})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindTeamRoute implements dispatch.ExecuteStore.
func (db *DB) FindTeamRoute(ctx context.Context, actor *dispatch.User, teamID int64, day string) (*dispatch.TeamRoute, error) {
	if err := dispatch.RequireTeamView(actor, teamID); err != nil {
		return nil, err
	}
	now := db.Now()
	if day == "" {
		day = dispatch.LocalDate(now)
	} else if _, err := dispatch.ParseLocalDate("day", day); err != nil {
		return nil, err
	}
	var out *dispatch.TeamRoute
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rt, err := execScanRoute(tx.QueryRow(ctx, `SELECT `+execRouteColumns+` FROM routes ro
			WHERE ro.team_id = $1 AND ro.day = $2::date AND ro.status = ANY($3)
			ORDER BY CASE ro.status WHEN 'in_progress' THEN 0 WHEN 'published' THEN 1 ELSE 2 END, ro.id DESC LIMIT 1`,
			teamID, day, dispatch.TeamRouteStatuses()))
		if errors.Is(err, pgx.ErrNoRows) {
			return dispatch.Errorf(dispatch.ENOTFOUND, "Team %d has no published route on %s.", teamID, day)
		} else if err != nil {
			return fmt.Errorf("find route team=%d day=%s: %w", teamID, day, err)
		}
		rows, err := tx.Query(ctx, `SELECT `+execStopColumns+`, r.packages, r.notes, c.id, c.full_name, c.phone,
				c.entrance, c.floor, c.flat, c.access_notes, c.immobile, c.preferred_language
			FROM stops s JOIN requests r ON r.id = s.request_id
			LEFT JOIN care_addresses c ON c.id = r.care_address_id
			WHERE s.route_id = $1 AND s.status <> 'removed' ORDER BY s.seq, s.id`, rt.ID)
		if err != nil {
			return fmt.Errorf("read stops route=%d: %w", rt.ID, err)
		}
		type care struct {
			id                                                   *int64
			name, phone, entrance, floor, flat, access, language *string
			immobile                                             *bool
		}
		var (
			stops []dispatch.TeamStop
			cares []care
		)
		for rows.Next() {
			var ts dispatch.TeamStop
			var c care
			s := &ts.Stop
			if err := rows.Scan(&s.ID, &s.Version, &s.RouteID, &s.RequestID, &s.Seq, &s.Status, &s.Locked, &s.ETA, &s.ArrivedAt, &s.DoneAt,
				&s.Note, &s.LanguageMatch, &s.TravelS, &s.DistanceM, &s.Kind, &s.AddressText, &s.Lat, &s.Lon,
				&ts.Packages, &ts.Notes, &c.id, &c.name, &c.phone, &c.entrance, &c.floor, &c.flat, &c.access,
				&c.immobile, &c.language); err != nil {
				rows.Close()
				return fmt.Errorf("scan stop route=%d: %w", rt.ID, err)
			}
			stops, cares = append(stops, ts), append(cares, c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read stops route=%d: %w", rt.ID, err)
		}
		plain := make([]dispatch.Stop, len(stops))
		for i := range stops {
			plain[i] = stops[i].Stop
		}
		active := dispatch.ActiveStop(rt.Status, plain)
		today := dispatch.LocalDate(now)
		for i := range stops {
			scope := dispatch.StopScope{RouteStatus: rt.Status, RouteDay: rt.Day, Today: today, Active: i == active}
			fields := dispatch.VisibleStopFields(actor, scope)
			c := cares[i]
			if c.id == nil {
				dispatch.MinimiseTeamStop(&stops[i], "", fields)
				continue
			}
			stops[i].Active = i == active
			stops[i].Visit = &dispatch.StopVisit{CareAddressID: *c.id, Phone: *c.phone, Entrance: *c.entrance, Floor: *c.floor, Flat: *c.flat,
				AccessNotes: *c.access, Immobile: *c.immobile, Language: *c.language}
			dispatch.MinimiseTeamStop(&stops[i], *c.name, fields)
			shown := dispatch.ShownFields(fields)
			if len(shown) == 0 {
				continue // the address only: nothing personal was read
			}
			if err := audit(ctx, tx, actor, dispatch.AuditRead, *c.id, fmt.Sprintf("team route viewed: %v (route %d, stop %d)", shown, rt.ID, stops[i].ID)); err != nil {
				return err
			}
		}
		if active >= 0 {
			stops[active].Active = true
		}
		if stops == nil {
			stops = []dispatch.TeamStop{}
		}
		out = &dispatch.TeamRoute{Route: *rt, Stops: stops}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
