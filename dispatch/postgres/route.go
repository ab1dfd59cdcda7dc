package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.RouteStore = (*DB)(nil)

// FindRoutes implements dispatch.RouteStore.
func (db *DB) FindRoutes(ctx context.Context, f dispatch.RouteFilter) ([]*dispatch.Route, error) {
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.version, r.team_id, to_char(r.day, 'YYYY-MM-DD'), r.status, r.distance_m, r.duration_s,
			ST_AsBinary(r.geom), r.published_at, r.started_at, r.finished_at
		FROM routes r
		WHERE ($1 = '' OR r.day = $1::date)
		  AND ($2::bigint IS NULL OR r.team_id = $2)
		  AND (coalesce(cardinality($3::text[]), 0) = 0 OR r.status = ANY($3))
		  AND (coalesce(cardinality($4::bigint[]), 0) = 0 OR r.id = ANY($4))
		  AND ($5::bigint IS NULL OR r.team_id IN (SELECT t.id FROM teams t WHERE t.organisation_id = $5))
		ORDER BY r.team_id, r.id`, f.Day, f.TeamID, f.Statuses, f.IDs, f.OrganisationID)
	if err != nil {
		return nil, fmt.Errorf("find routes: %w", err)
	}
	var routes []*dispatch.Route
	byID := map[int64]*dispatch.Route{}
	for rows.Next() {
		var r dispatch.Route
		var geom orb.LineString
		if err := rows.Scan(&r.ID, &r.Version, &r.TeamID, &r.Day, &r.Status, &r.DistanceM, &r.DurationS, wkb.Scanner(&geom),
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
	srows, err := db.pool.Query(ctx, `SELECT s.id, s.version, s.route_id, s.request_id, s.seq, s.status, s.locked, s.eta, s.arrived_at, s.done_at,
			s.note, s.language_match, s.travel_s, s.distance_m, q.kind, q.address_text, ST_Y(q.location::geometry), ST_X(q.location::geometry)
		FROM stops s JOIN requests q ON q.id = s.request_id
		WHERE s.route_id = ANY($1) AND s.status <> 'removed' ORDER BY s.route_id, s.seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("find stops: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var s dispatch.Stop
		if err := srows.Scan(&s.ID, &s.Version, &s.RouteID, &s.RequestID, &s.Seq, &s.Status, &s.Locked, &s.ETA, &s.ArrivedAt, &s.DoneAt,
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
	version                        dispatch.Version
	seq                            int
	status                         dispatch.StopStatus
	routeStatus                    dispatch.RouteStatus
	day                            string
}

// Lock order. Every transaction that changes stops takes its locks in one
// order: the routes involved, by ascending id, then the stops. Two
// dispatchers moving stops between the same two routes in opposite
// directions then queue on the lower route instead of deadlocking.

// lockRoutes locks the routes with these ids (and ignores zeros and
// repeats) in ascending id order.
func lockRoutes(ctx context.Context, tx pgx.Tx, ids ...int64) error {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	for _, id := range sorted {
		if id == 0 {
			continue
		}
		var got int64
		if err := tx.QueryRow(ctx, `SELECT id FROM routes WHERE id = $1 FOR UPDATE`, id).Scan(&got); err != nil {
			return translate(err, fmt.Sprintf("Route %d", id))
		}
	}
	return nil
}

// lockStop locks the stop's route, the routes in also (in the lock order)
// and then the stop. The stop's route is read again once the stop is
// locked: if another transaction moved it in between, the new route is
// locked too and the stop read again, so the answer always names the
// route the stop is on while the caller holds its lock.
func lockStop(ctx context.Context, tx pgx.Tx, stopID int64, also ...int64) (*stopRow, error) {
	var routeID int64
	if err := tx.QueryRow(ctx, `SELECT route_id FROM stops WHERE id = $1`, stopID).Scan(&routeID); err != nil {
		return nil, translate(err, fmt.Sprintf("Stop %d", stopID))
	}
	locked := append([]int64{routeID}, also...)
	if err := lockRoutes(ctx, tx, locked...); err != nil {
		return nil, err
	}
	for range 5 {
		// The stop alone is locked (no join): a join re-checked after a
		// wait would drop a stop that moved meanwhile and answer "not
		// found".
		var s stopRow
		err := tx.QueryRow(ctx, `SELECT id, route_id, request_id, version, seq, status FROM stops WHERE id = $1 FOR UPDATE`, stopID).
			Scan(&s.id, &s.routeID, &s.requestID, &s.version, &s.seq, &s.status)
		if err != nil {
			return nil, translate(err, fmt.Sprintf("Stop %d", stopID))
		}
		if slices.Contains(locked, s.routeID) {
			err := tx.QueryRow(ctx, `SELECT team_id, status, to_char(day, 'YYYY-MM-DD') FROM routes WHERE id = $1`, s.routeID).
				Scan(&s.teamID, &s.routeStatus, &s.day)
			if err != nil {
				return nil, translate(err, fmt.Sprintf("Route %d", s.routeID))
			}
			return &s, nil
		}
		// Moved meanwhile: lock its new route as well and look again.
		if err := lockRoutes(ctx, tx, s.routeID); err != nil {
			return nil, err
		}
		locked = append(locked, s.routeID)
	}
	return nil, dispatch.Errorf(dispatch.ECONFLICT, "Stop %d keeps moving between routes; reload and try again.", stopID)
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
		if _, err := tx.Exec(ctx, `UPDATE stops SET seq = $2 WHERE id = $1 AND seq <> $2`, id, base+i+1); err != nil {
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
func (db *DB) MoveStop(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) ([]int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, err
	}
	var changed []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		changed, err = db.moveStop(ctx, tx, actor, stopID, toRoute, position, edit)
		return err
	})
	return changed, err
}

// errPreview ends a preview's transaction: runTx rolls back on any error.
var errPreview = errors.New("preview: roll back")

// PreviewMoveStop implements dispatch.RouteImpacter: the move runs in a
// transaction that is always rolled back, with the impacts of the routes
// it changes read before and after.
func (db *DB) PreviewMoveStop(ctx context.Context, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) (before, after []dispatch.RouteImpact, err error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, nil, err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		var from int64
		if err := tx.QueryRow(ctx, `SELECT route_id FROM stops WHERE id = $1`, stopID).Scan(&from); err != nil {
			return translate(err, fmt.Sprintf("Stop %d", stopID))
		}
		ids := []int64{toRoute}
		if from != toRoute {
			ids = append(ids, from)
		}
		if before, err = routeImpacts(ctx, tx, ids); err != nil {
			return err
		}
		changed, err := db.moveStop(ctx, tx, actor, stopID, toRoute, position, edit)
		if err != nil {
			return err
		}
		if after, err = routeImpacts(ctx, tx, changed); err != nil {
			return err
		}
		return errPreview
	})
	if errors.Is(err, errPreview) {
		err = nil
	}
	return before, after, err
}

// RouteImpacts implements dispatch.RouteImpacter.
func (db *DB) RouteImpacts(ctx context.Context, routeIDs []int64) ([]dispatch.RouteImpact, error) {
	var out []dispatch.RouteImpact
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = routeImpacts(ctx, tx, routeIDs)
		return err
	})
	return out, err
}

// routeImpacts reads each route's pending stops with their ETAs, service
// minutes and windows, and the team's shift end on the route's day.
func routeImpacts(ctx context.Context, tx pgx.Tx, routeIDs []int64) ([]dispatch.RouteImpact, error) {
	out := make([]dispatch.RouteImpact, 0, len(routeIDs))
	for _, id := range routeIDs {
		var teamID int64
		var day, shiftEnd string
		err := tx.QueryRow(ctx, `SELECT r.team_id, to_char(r.day, 'YYYY-MM-DD'), to_char(t.shift_end, 'HH24:MI')
			FROM routes r JOIN teams t ON t.id = r.team_id WHERE r.id = $1`, id).Scan(&teamID, &day, &shiftEnd)
		if err != nil {
			return nil, translate(err, fmt.Sprintf("Route %d", id))
		}
		end, err := dispatch.ShiftEndOn(day, shiftEnd)
		if err != nil {
			return nil, fmt.Errorf("shift end route=%d: %w", id, err)
		}
		rows, err := tx.Query(ctx, `SELECT s.id, s.eta, rq.service_minutes, rq.window_end
			FROM stops s JOIN requests rq ON rq.id = s.request_id
			WHERE s.route_id = $1 AND s.status = 'pending' ORDER BY s.seq, s.id`, id)
		if err != nil {
			return nil, fmt.Errorf("read impact stops route=%d: %w", id, err)
		}
		var stops []dispatch.ImpactStop
		for rows.Next() {
			var s dispatch.ImpactStop
			if err := rows.Scan(&s.StopID, &s.ETA, &s.ServiceMinutes, &s.WindowEnd); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan impact stop route=%d: %w", id, err)
			}
			stops = append(stops, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read impact stops route=%d: %w", id, err)
		}
		out = append(out, dispatch.RouteImpactOf(id, teamID, end, stops))
	}
	return out, nil
}

// moveStop is MoveStop's work inside tx.
func (db *DB) moveStop(ctx context.Context, tx pgx.Tx, actor *dispatch.User, stopID, toRoute int64, position int, edit dispatch.StopEdit) ([]int64, error) {
	var changed []int64
	err := func() error {
		s, err := lockStop(ctx, tx, stopID, toRoute)
		if err != nil {
			return err
		}
		if err := withCurrent(ctx, tx, actor, versionedStop, stopID, dispatch.CheckVersion("Stop", stopID, edit.Expect, s.version)); err != nil {
			return err
		}
		if s.status != dispatch.StopPending {
			return dispatch.Errorf(dispatch.ECONFLICT, "Stop %d is %s; only pending stops can be moved.", stopID, s.status)
		}
		var toTeam int64
		var toStatus dispatch.RouteStatus
		var toDay string
		err = tx.QueryRow(ctx, `SELECT team_id, status, to_char(day, 'YYYY-MM-DD') FROM routes WHERE id = $1`, toRoute).Scan(&toTeam, &toStatus, &toDay)
		if err != nil {
			return translate(err, "Route")
		}
		if toStatus != dispatch.RouteDraft && !toStatus.Live() {
			return dispatch.Errorf(dispatch.ECONFLICT, "Route %d is %s; stops can only be moved to draft or live routes.", toRoute, toStatus)
		}
		if toDay != s.day {
			return dispatch.Invalid("route_id", "Route %d is for %s, the stop is for %s.", toRoute, toDay, s.day)
		}
		// The moved stop's version always rises, also when it only changes
		// place on its own route (seq alone does not raise it).
		if _, err := tx.Exec(ctx, `UPDATE stops SET route_id = $2, version = version + 1 WHERE id = $1`, stopID, toRoute); err != nil {
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
		if _, err = appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", toRoute, routeEventTeam(toStatus, toTeam),
			map[string]any{"id": toRoute, "team_id": toTeam, "reason": "stop moved", "stop_id": stopID, "position": position}); err != nil {
			return err
		}
		return recomputeIn(ctx, tx, edit.Schedule, changed...)
	}()
	return changed, err
}

var _ dispatch.RouteImpacter = (*DB)(nil)

// SetStopLocked implements dispatch.RouteStore.
func (db *DB) SetStopLocked(ctx context.Context, actor *dispatch.User, stopID int64, locked bool, edit dispatch.StopEdit) (int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return 0, err
	}
	var routeID int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		s, err := lockStop(ctx, tx, stopID)
		if err != nil {
			return err
		}
		if err := withCurrent(ctx, tx, actor, versionedStop, stopID, dispatch.CheckVersion("Stop", stopID, edit.Expect, s.version)); err != nil {
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
func (db *DB) RemoveStop(ctx context.Context, actor *dispatch.User, stopID int64, edit dispatch.StopEdit) (int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return 0, err
	}
	var routeID int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		s, err := lockStop(ctx, tx, stopID)
		if err != nil {
			return err
		}
		if err := withCurrent(ctx, tx, actor, versionedStop, stopID, dispatch.CheckVersion("Stop", stopID, edit.Expect, s.version)); err != nil {
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
		if _, err = appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", s.routeID, routeEventTeam(s.routeStatus, s.teamID),
			map[string]any{"id": s.routeID, "team_id": s.teamID, "reason": "stop removed", "stop_id": stopID}); err != nil {
			return err
		}
		return recomputeIn(ctx, tx, edit.Schedule, s.routeID)
	})
	return routeID, err
}

// PublishRoutes implements dispatch.RouteStore.
func (db *DB) PublishRoutes(ctx context.Context, actor *dispatch.User, ids []int64, expect map[int64]string) ([]int64, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, dispatch.Invalid("route_ids", "Choose at least one draft route to publish.")
	}
	now := db.Now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRoutes(ctx, tx, ids...); err != nil {
			return err
		}
		for _, id := range ids {
			var status dispatch.RouteStatus
			var teamID int64
			var day string
			if err := tx.QueryRow(ctx, `SELECT status, team_id, to_char(day, 'YYYY-MM-DD') FROM routes WHERE id = $1`, id).Scan(&status, &teamID, &day); err != nil {
				return translate(err, "Route")
			}
			if err := status.Transition(dispatch.RoutePublished); err != nil {
				return err
			}
			if tag, ok := expect[id]; ok {
				if err := checkRouteETag(ctx, tx, id, tag); err != nil {
					return err
				}
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

// checkRouteETag compares a route's current ETag (dispatch.RouteETag, read
// in tx, which holds the route's lock) with the one the client saw;
// EPRECONDITION carries the current route.
func checkRouteETag(ctx context.Context, tx pgx.Tx, id int64, tag string) error {
	rt, err := execLockRoute(ctx, tx, id)
	if err != nil {
		return err
	}
	if rt.Stops, err = execStops(ctx, tx, id, false); err != nil {
		return err
	}
	if cur := dispatch.RouteETag(rt); tag != "*" && tag != cur {
		var geom orb.LineString
		if err := tx.QueryRow(ctx, `SELECT ST_AsBinary(geom) FROM routes WHERE id = $1`, id).Scan(wkb.Scanner(&geom)); err != nil {
			return fmt.Errorf("read route geometry id=%d: %w", id, err)
		}
		rt.Geometry = geom
		return dispatch.Errorf(dispatch.EPRECONDITION, "%s %d was changed by someone else since you reviewed it; look at it again before publishing.",
			dispatch.Thing("Route"), id).WithDetail(map[string]any{"current": rt, "current_etag": cur})
	}
	return nil
}

// RecomputeRoute implements dispatch.RouteStore.
func (db *DB) RecomputeRoute(ctx context.Context, routeID int64, sched dispatch.Scheduling) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRoutes(ctx, tx, routeID); err != nil {
			return err
		}
		return recomputeIn(ctx, tx, &sched, routeID)
	})
}

// recomputeIn recomputes the ETAs of routes inside tx, which must hold
// their locks: the facts are read, the schedule computed
// (dispatch.ComputeSchedule) and stored in the same transaction, so the
// ETAs always belong to the order they were computed for. A nil sched does
// nothing.
func recomputeIn(ctx context.Context, tx pgx.Tx, sched *dispatch.Scheduling, routeIDs ...int64) error {
	if sched == nil || sched.Travel == nil {
		return nil
	}
	for _, id := range routeIDs {
		f, err := routeFacts(ctx, tx, id, sched.Location)
		if err != nil {
			return err
		}
		out, err := dispatch.ComputeSchedule(ctx, sched.Travel, dispatch.NewScheduleInput(*f, sched.Now))
		if err != nil {
			return fmt.Errorf("compute schedule route=%d: %w", id, err)
		}
		if err := saveSchedule(ctx, tx, f, out); err != nil {
			return err
		}
	}
	return nil
}

// routeFacts reads what dispatch.NewScheduleInput needs about a route.
func routeFacts(ctx context.Context, tx pgx.Tx, routeID int64, loc *time.Location) (*dispatch.RouteFacts, error) {
	f := &dispatch.RouteFacts{RouteID: routeID}
	var day, shift string
	var pos orb.Point
	var hasPos bool
	err := tx.QueryRow(ctx, `SELECT r.team_id, r.status, to_char(r.day, 'YYYY-MM-DD'), to_char(t.shift_start, 'HH24:MI'),
			ST_AsBinary(t.base::geometry), t.last_position IS NOT NULL, ST_AsBinary(coalesce(t.last_position, t.base)::geometry), t.has_vehicle
		FROM routes r JOIN teams t ON t.id = r.team_id WHERE r.id = $1`, routeID).
		Scan(&f.TeamID, &f.Status, &day, &shift, wkb.Scanner(&f.Base), &hasPos, wkb.Scanner(&pos), &f.HasVehicle)
	if err != nil {
		return nil, translate(err, "Route")
	}
	if hasPos {
		f.Position = &pos
	}
	if loc == nil {
		loc = time.UTC
	}
	if f.ShiftStart, err = time.ParseInLocation("2006-01-02 15:04", day+" "+shift, loc); err != nil {
		return nil, fmt.Errorf("parse shift start: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT s.id, s.status, ST_AsBinary(q.location::geometry), q.service_minutes, q.window_start
		FROM stops s JOIN requests q ON q.id = s.request_id
		WHERE s.route_id = $1 AND s.status <> 'removed' ORDER BY s.seq, s.id`, routeID)
	if err != nil {
		return nil, fmt.Errorf("read stops route=%d: %w", routeID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s dispatch.FactStop
		if err := rows.Scan(&s.ID, &s.Status, wkb.Scanner(&s.Location), &s.ServiceMinutes, &s.WindowStart); err != nil {
			return nil, fmt.Errorf("scan stop: %w", err)
		}
		f.Stops = append(f.Stops, s)
	}
	return f, rows.Err()
}

// saveSchedule stores a computed schedule and writes route.changed.
func saveSchedule(ctx context.Context, tx pgx.Tx, f *dispatch.RouteFacts, sch *dispatch.Schedule) error {
	etas := map[string]any{}
	for i, id := range sch.StopIDs {
		t := sch.Times[i]
		if _, err := tx.Exec(ctx, `UPDATE stops SET eta = $2, travel_s = $3, distance_m = $4 WHERE id = $1 AND route_id = $5 AND status = 'pending'`,
			id, t.ETA, t.TravelS, t.DistanceM, f.RouteID); err != nil {
			return fmt.Errorf("update eta stop=%d: %w", id, err)
		}
		etas[fmt.Sprint(id)] = t.ETA
	}
	var g any
	if len(sch.Geometry) >= 2 {
		g = wkb.Value(sch.Geometry)
	}
	if _, err := tx.Exec(ctx, `UPDATE routes SET geom = ST_GeomFromWKB($2, 4326), distance_m = $3, duration_s = $4 WHERE id = $1`,
		f.RouteID, g, sch.DistanceM, sch.DurationS); err != nil {
		return fmt.Errorf("update route=%d: %w", f.RouteID, err)
	}
	_, err := appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", f.RouteID, routeEventTeam(f.Status, f.TeamID),
		map[string]any{"id": f.RouteID, "team_id": f.TeamID, "reason": "etas", "etas": etas})
	return err
}
