package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.RouteStore = (*DB)(nil)

// FindRoutes implements dispatch.RouteStore.
func (db *DB) FindRoutes(ctx context.Context, f dispatch.RouteFilter) ([]*dispatch.Route, error) {
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.team_id, to_char(r.day, 'YYYY-MM-DD'), r.status, r.distance_m, r.duration_s,
			ST_AsBinary(r.geom), r.published_at, r.started_at, r.finished_at
		FROM routes r
		WHERE ($1 = '' OR r.day = $1::date)
		  AND ($2::bigint IS NULL OR r.team_id = $2)
		  AND (coalesce(cardinality($3::text[]), 0) = 0 OR r.status = ANY($3))
		  AND (coalesce(cardinality($4::bigint[]), 0) = 0 OR r.id = ANY($4))
		ORDER BY r.team_id, r.id`, f.Day, f.TeamID, f.Statuses, f.IDs)
	if err != nil {
		return nil, fmt.Errorf("find routes: %w", err)
	}
	var routes []*dispatch.Route
	byID := map[int64]*dispatch.Route{}
	for rows.Next() {
		var r dispatch.Route
		var geom orb.LineString
		if err := rows.Scan(&r.ID, &r.TeamID, &r.Day, &r.Status, &r.DistanceM, &r.DurationS, wkb.Scanner(&geom),
			&r.PublishedAt, &r.StartedAt, &r.FinishedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan route: %w", err)
		}
		r.Geometry = geom
		r.Stops = []dispatch.Stop{}
		routes = append(routes, &r)
		byID[r.ID] = &r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find routes: %w", err)
	}
	if len(routes) == 0 {
		return routes, nil
	}
	ids := make([]int64, 0, len(routes))
	for _, r := range routes {
		ids = append(ids, r.ID)
	}
	srows, err := db.pool.Query(ctx, `SELECT s.id, s.route_id, s.request_id, s.seq, s.status, s.locked, s.eta, s.arrived_at, s.done_at,
			s.note, s.language_match, s.travel_s, s.distance_m, q.kind, q.address_text, ST_Y(q.location::geometry), ST_X(q.location::geometry)
		FROM stops s JOIN requests q ON q.id = s.request_id
		WHERE s.route_id = ANY($1) AND s.status <> 'removed' ORDER BY s.route_id, s.seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("find stops: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var s dispatch.Stop
		if err := srows.Scan(&s.ID, &s.RouteID, &s.RequestID, &s.Seq, &s.Status, &s.Locked, &s.ETA, &s.ArrivedAt, &s.DoneAt,
			&s.Note, &s.LanguageMatch, &s.TravelS, &s.DistanceM, &s.Kind, &s.AddressText, &s.Lat, &s.Lon); err != nil {
			return nil, fmt.Errorf("scan stop: %w", err)
		}
		byID[s.RouteID].Stops = append(byID[s.RouteID].Stops, s)
	}
	return routes, srows.Err()
}

// FindRouteByID implements dispatch.RouteStore.
func (db *DB) FindRouteByID(ctx context.Context, id int64) (*dispatch.Route, error) {
	rs, err := db.FindRoutes(ctx, dispatch.RouteFilter{IDs: []int64{id}})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "Route %d not found.", id)
	}
	return rs[0], nil
}

type stopRow struct {
	id, routeID, requestID, teamID int64
	seq                            int
	status                         dispatch.StopStatus
	routeStatus                    dispatch.RouteStatus
	day                            string
}

func lockStop(ctx context.Context, tx pgx.Tx, stopID int64) (*stopRow, error) {
	var s stopRow
	err := tx.QueryRow(ctx, `SELECT s.id, s.route_id, s.request_id, r.team_id, s.seq, s.status, r.status, to_char(r.day, 'YYYY-MM-DD')
		FROM stops s JOIN routes r ON r.id = s.route_id WHERE s.id = $1 FOR UPDATE OF s, r`, stopID).
		Scan(&s.id, &s.routeID, &s.requestID, &s.teamID, &s.seq, &s.status, &s.routeStatus, &s.day)
	if err != nil {
		return nil, translate(err, "Stop")
	}
	return &s, nil
}

func routeEventTeam(status dispatch.RouteStatus, teamID int64) *int64 {
	if status.Live() {
		return &teamID
	}
	return nil
}

// resequence numbers a route's unfinished stops 1..n after its final ones,
// in the order given.
func resequence(ctx context.Context, tx pgx.Tx, routeID int64, order []int64) error {
	var base int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM stops WHERE route_id = $1 AND status NOT IN ('pending', 'removed')`, routeID).Scan(&base); err != nil {
		return fmt.Errorf("read seq route=%d: %w", routeID, err)
	}
	for i, id := range order {
		if _, err := tx.Exec(ctx, `UPDATE stops SET seq = $2 WHERE id = $1`, id, base+i+1); err != nil {
			return fmt.Errorf("resequence stop=%d: %w", id, err)
		}
	}
	return nil
}

func pendingOrder(ctx context.Context, tx pgx.Tx, routeID int64) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM stops WHERE route_id = $1 AND status = 'pending' ORDER BY seq, id`, routeID)
	if err != nil {
		return nil, fmt.Errorf("read pending stops route=%d: %w", routeID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// MoveStop implements dispatch.RouteStore.
func (db *DB) MoveStop(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int) ([]int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, err
	}
	var changed []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		s, err := lockStop(ctx, tx, stopID)
		if err != nil {
			return err
		}
		if s.status != dispatch.StopPending {
			return dispatch.Errorf(dispatch.ECONFLICT, "Stop %d is %s; only pending stops can be moved.", stopID, s.status)
		}
		var toTeam int64
		var toStatus dispatch.RouteStatus
		var toDay string
		err = tx.QueryRow(ctx, `SELECT team_id, status, to_char(day, 'YYYY-MM-DD') FROM routes WHERE id = $1 FOR UPDATE`, toRoute).Scan(&toTeam, &toStatus, &toDay)
		if err != nil {
			return translate(err, "Route")
		}
		if toStatus != dispatch.RouteDraft && !toStatus.Live() {
			return dispatch.Errorf(dispatch.ECONFLICT, "Route %d is %s; stops can only be moved to draft or live routes.", toRoute, toStatus)
		}
		if toDay != s.day {
			return dispatch.Invalid("route_id", "Route %d is for %s, the stop is for %s.", toRoute, toDay, s.day)
		}
		if _, err := tx.Exec(ctx, `UPDATE stops SET route_id = $2 WHERE id = $1`, stopID, toRoute); err != nil {
			return fmt.Errorf("move stop=%d: %w", stopID, err)
		}
		order, err := pendingOrder(ctx, tx, toRoute)
		if err != nil {
			return err
		}
		// Put the moved stop at the requested 1-based position among the
		// pending stops.
		rest := make([]int64, 0, len(order))
		for _, id := range order {
			if id != stopID {
				rest = append(rest, id)
			}
		}
		if position < 1 || position > len(rest)+1 {
			position = len(rest) + 1
		}
		order = append(append(append([]int64{}, rest[:position-1]...), stopID), rest[position-1:]...)
		if err := resequence(ctx, tx, toRoute, order); err != nil {
			return err
		}
		changed = []int64{toRoute}
		if s.routeID != toRoute {
			old, err := pendingOrder(ctx, tx, s.routeID)
			if err != nil {
				return err
			}
			if err := resequence(ctx, tx, s.routeID, old); err != nil {
				return err
			}
			changed = append(changed, s.routeID)
			// The request's status follows the kind of route it is on now.
			next := dispatch.StatusPlanned
			if toStatus.Live() {
				next = dispatch.StatusAssigned
			}
			var cur dispatch.RequestStatus
			if err := tx.QueryRow(ctx, `SELECT status FROM requests WHERE id = $1`, s.requestID).Scan(&cur); err != nil {
				return translate(err, "Request")
			}
			if cur != next {
				if _, err := setRequestStatus(ctx, tx, s.requestID, next, db.Now()); err != nil {
					return err
				}
			}
			if _, err := appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", s.routeID, routeEventTeam(s.routeStatus, s.teamID),
				map[string]any{"id": s.routeID, "team_id": s.teamID, "reason": "stop moved out", "stop_id": stopID}); err != nil {
				return err
			}
		}
		_, err = appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", toRoute, routeEventTeam(toStatus, toTeam),
			map[string]any{"id": toRoute, "team_id": toTeam, "reason": "stop moved", "stop_id": stopID, "position": position})
		return err
	})
	return changed, err
}

// SetStopLocked implements dispatch.RouteStore.
func (db *DB) SetStopLocked(ctx context.Context, actor *dispatch.User, stopID int64, locked bool) (int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return 0, err
	}
	var routeID int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		s, err := lockStop(ctx, tx, stopID)
		if err != nil {
			return err
		}
		routeID = s.routeID
		if _, err := tx.Exec(ctx, `UPDATE stops SET locked = $2 WHERE id = $1`, stopID, locked); err != nil {
			return fmt.Errorf("lock stop=%d: %w", stopID, err)
		}
		_, err = appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", s.routeID, routeEventTeam(s.routeStatus, s.teamID),
			map[string]any{"id": s.routeID, "team_id": s.teamID, "reason": "stop locked", "stop_id": stopID, "locked": locked})
		return err
	})
	return routeID, err
}

// RemoveStop implements dispatch.RouteStore.
func (db *DB) RemoveStop(ctx context.Context, actor *dispatch.User, stopID int64) (int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return 0, err
	}
	var routeID int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		s, err := lockStop(ctx, tx, stopID)
		if err != nil {
			return err
		}
		routeID = s.routeID
		if err := s.status.Transition(dispatch.StopRemoved); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE stops SET status = 'removed', seq = 0 WHERE id = $1`, stopID); err != nil {
			return fmt.Errorf("remove stop=%d: %w", stopID, err)
		}
		if _, err := setRequestStatus(ctx, tx, s.requestID, dispatch.StatusNew, db.Now()); err != nil {
			return err
		}
		order, err := pendingOrder(ctx, tx, s.routeID)
		if err != nil {
			return err
		}
		if err := resequence(ctx, tx, s.routeID, order); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", s.routeID, routeEventTeam(s.routeStatus, s.teamID),
			map[string]any{"id": s.routeID, "team_id": s.teamID, "reason": "stop removed", "stop_id": stopID})
		return err
	})
	return routeID, err
}

// PublishRoutes implements dispatch.RouteStore.
func (db *DB) PublishRoutes(ctx context.Context, actor *dispatch.User, ids []int64) ([]int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, dispatch.Invalid("route_ids", "Choose at least one draft route to publish.")
	}
	now := db.Now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, id := range ids {
			var status dispatch.RouteStatus
			var teamID int64
			var day string
			if err := tx.QueryRow(ctx, `SELECT status, team_id, to_char(day, 'YYYY-MM-DD') FROM routes WHERE id = $1 FOR UPDATE`, id).Scan(&status, &teamID, &day); err != nil {
				return translate(err, "Route")
			}
			if err := status.Transition(dispatch.RoutePublished); err != nil {
				return err
			}
			var other int64
			err := tx.QueryRow(ctx, `SELECT id FROM routes WHERE team_id = $1 AND day = $2::date AND status IN ('published', 'in_progress') AND id <> $3`, teamID, day, id).Scan(&other)
			if err == nil {
				return dispatch.Errorf(dispatch.ECONFLICT, "The team already has live route %d for %s; move the stops into it instead.", other, day)
			}
			if _, err := tx.Exec(ctx, `UPDATE routes SET status = 'published', published_at = $2 WHERE id = $1`, id, now); err != nil {
				return fmt.Errorf("publish route=%d: %w", id, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE requests SET status = 'assigned', updated_at = $2 WHERE status = 'planned' AND id IN
				(SELECT request_id FROM stops WHERE route_id = $1 AND status = 'pending')`, id, now); err != nil {
				return fmt.Errorf("assign requests route=%d: %w", id, err)
			}
			if _, err := appendEvent(ctx, tx, dispatch.EventRoutePublished, "route", id, &teamID,
				map[string]any{"id": id, "team_id": teamID, "day": day}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ScheduleInput implements dispatch.RouteStore. A started route sets off
// from the team's last position (or last visited stop) now; a draft or
// published one from the base at the shift start (or now, if later).
func (db *DB) ScheduleInput(ctx context.Context, routeID int64, now time.Time, loc *time.Location) (*dispatch.ScheduleInput, error) {
	in := &dispatch.ScheduleInput{RouteID: routeID}
	var status dispatch.RouteStatus
	var day, shift string
	var base orb.Point
	var pos orb.Point
	var hasPos, hasVehicle bool
	err := db.pool.QueryRow(ctx, `SELECT r.team_id, r.status, to_char(r.day, 'YYYY-MM-DD'), to_char(t.shift_start, 'HH24:MI'),
			ST_AsBinary(t.base::geometry), t.last_position IS NOT NULL, ST_AsBinary(coalesce(t.last_position, t.base)::geometry), t.has_vehicle
		FROM routes r JOIN teams t ON t.id = r.team_id WHERE r.id = $1`, routeID).
		Scan(&in.TeamID, &status, &day, &shift, wkb.Scanner(&base), &hasPos, wkb.Scanner(&pos), &hasVehicle)
	if err != nil {
		return nil, translate(err, "Route")
	}
	in.Mode = dispatch.ModeOf(hasVehicle)
	d, err := time.ParseInLocation("2006-01-02 15:04", day+" "+shift, loc)
	if err != nil {
		return nil, fmt.Errorf("parse shift start: %w", err)
	}
	in.From, in.At = base, d
	if now.After(in.At) {
		in.At = now
	}
	rows, err := db.pool.Query(ctx, `SELECT s.id, s.status, ST_AsBinary(q.location::geometry), q.service_minutes, q.window_start
		FROM stops s JOIN requests q ON q.id = s.request_id
		WHERE s.route_id = $1 AND s.status <> 'removed' ORDER BY s.seq, s.id`, routeID)
	if err != nil {
		return nil, fmt.Errorf("read stops route=%d: %w", routeID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st dispatch.StopStatus
		var ts dispatch.TimedStop
		if err := rows.Scan(&id, &st, wkb.Scanner(&ts.Location), &ts.ServiceMinutes, &ts.WindowStart); err != nil {
			return nil, fmt.Errorf("scan stop: %w", err)
		}
		if st != dispatch.StopPending {
			in.Done = append(in.Done, ts.Location)
			continue
		}
		in.StopIDs = append(in.StopIDs, id)
		in.Stops = append(in.Stops, ts)
	}
	if status == dispatch.RouteInProgress {
		if len(in.Done) > 0 {
			in.From = in.Done[len(in.Done)-1]
			in.Done = in.Done[:len(in.Done)-1]
		}
		if hasPos {
			in.From = pos
		}
		in.Done = append([]orb.Point{base}, in.Done...)
	}
	return in, rows.Err()
}

// SaveSchedule implements dispatch.RouteStore.
func (db *DB) SaveSchedule(ctx context.Context, in *dispatch.ScheduleInput, times []dispatch.StopTime, geom orb.LineString, distanceM, durationS float64) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		var status dispatch.RouteStatus
		var teamID int64
		if err := tx.QueryRow(ctx, `SELECT status, team_id FROM routes WHERE id = $1 FOR UPDATE`, in.RouteID).Scan(&status, &teamID); err != nil {
			return translate(err, "Route")
		}
		etas := map[string]any{}
		for i, id := range in.StopIDs {
			t := times[i]
			if _, err := tx.Exec(ctx, `UPDATE stops SET eta = $2, travel_s = $3, distance_m = $4 WHERE id = $1 AND status = 'pending'`,
				id, t.ETA, t.TravelS, t.DistanceM); err != nil {
				return fmt.Errorf("update eta stop=%d: %w", id, err)
			}
			etas[fmt.Sprint(id)] = t.ETA
		}
		var g any
		if len(geom) >= 2 {
			g = wkb.Value(geom)
		}
		if _, err := tx.Exec(ctx, `UPDATE routes SET geom = ST_GeomFromWKB($2, 4326), distance_m = $3, duration_s = $4 WHERE id = $1`,
			in.RouteID, g, distanceM, durationS); err != nil {
			return fmt.Errorf("update route=%d: %w", in.RouteID, err)
		}
		_, err := appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", in.RouteID, routeEventTeam(status, teamID),
			map[string]any{"id": in.RouteID, "team_id": teamID, "reason": "etas", "etas": etas})
		return err
	})
}
