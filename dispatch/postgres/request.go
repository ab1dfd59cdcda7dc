package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.RequestStore = (*DB)(nil)

const requestColumns = `r.id, r.kind, r.care_address_id, r.address_text, ST_AsBinary(r.location::geometry), r.district_id,
	r.source, r.priority, r.window_start, r.window_end, r.service_minutes, r.packages, r.notes, r.status,
	r.unassigned_reason, r.created_by, r.created_at, r.updated_at, r.version`

func scanRequest(row pgx.Row) (*dispatch.Request, error) {
	var r dispatch.Request
	err := row.Scan(&r.ID, &r.Kind, &r.CareAddressID, &r.AddressText, wkb.Scanner(&r.Location), &r.DistrictID,
		&r.Source, &r.Priority, &r.WindowStart, &r.WindowEnd, &r.ServiceMinutes, &r.Packages, &r.Notes, &r.Status,
		&r.UnassignedReason, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt, &r.Version)
	return &r, err
}

// CreateRequest implements dispatch.RequestStore.
func (db *DB) CreateRequest(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
	var out *dispatch.Request
	created := false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, created, err = createRequest(ctx, tx, actor, in, db.Now())
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

func createRequest(ctx context.Context, tx pgx.Tx, actor *dispatch.User, in dispatch.RequestInput, now time.Time) (*dispatch.Request, bool, error) {
	fingerprint := dispatch.Fingerprint("request", in)
	if in.IdempotencyKey != "" {
		ref, found, err := seenKey(ctx, tx, actor, in.IdempotencyKey, "request", fingerprint)
		if err != nil {
			return nil, false, err
		}
		if found {
			r, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests r WHERE r.id = $1`, ref))
			if err != nil {
				return nil, false, translate(err, "Request")
			}
			return r, false, nil
		}
	}
	var pt orb.Point
	if in.Lat != nil {
		pt = orb.Point{*in.Lon, *in.Lat}
	}
	address := in.AddressText
	if in.CareAddressID != nil {
		var caPt orb.Point
		var caAddr string
		var active bool
		err := tx.QueryRow(ctx, `SELECT address_text, ST_AsBinary(location::geometry), active FROM care_addresses WHERE id = $1`,
			*in.CareAddressID).Scan(&caAddr, wkb.Scanner(&caPt), &active)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, false, dispatch.Invalid("care_address_id", "There is no care address %d.", *in.CareAddressID)
		} else if err != nil {
			return nil, false, fmt.Errorf("find care address id=%d: %w", *in.CareAddressID, err)
		}
		if !active {
			return nil, false, dispatch.Invalid("care_address_id", "Care address %d is no longer active.", *in.CareAddressID)
		}
		if in.Lat == nil {
			pt = caPt
		}
		if address == "" {
			address = caAddr
		}
	}
	// Duplicate detection runs under a per-kind lock so two operators taking
	// calls about the same yard cannot both pass the check.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('request-dup:' || $1))`, string(in.Kind)); err != nil {
		return nil, false, fmt.Errorf("lock duplicates: %w", err)
	}
	if !in.Force {
		dups, err := findDuplicates(ctx, tx, in.Kind, in.CareAddressID, &pt)
		if err != nil {
			return nil, false, err
		}
		if len(dups) > 0 {
			d := dups[0]
			return nil, false, dispatch.Errorf(dispatch.ECONFLICT,
				"An open request of this kind (%s, #%d) already exists for this address: %s.", d.Kind, d.ID, d.AddressText).
				WithDetail(map[string]any{"duplicate_id": d.ID, "duplicate_url": "/api/requests/" + strconv.FormatInt(d.ID, 10),
					"duplicate_status": d.Status, "duplicate_address": d.AddressText, "duplicate_kind": d.Kind})
		}
	}
	var key *string
	if in.IdempotencyKey != "" {
		key = &in.IdempotencyKey
	}
	var createdBy *int64
	if actor != nil {
		createdBy = &actor.ID
	}
	r, err := scanRequest(tx.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority,
				window_start, window_end, service_minutes, packages, notes, created_by, idempotency_key, created_at, updated_at,
				api_key_id)
			VALUES ($1, $2, $3, ST_GeomFromWKB($4, 4326)::geography,
				(SELECT id FROM districts d WHERE ST_Contains(d.geom, ST_GeomFromWKB($4, 4326)) LIMIT 1),
				$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15)
			RETURNING *)
		SELECT `+requestColumns+` FROM ins r`,
		in.Kind, in.CareAddressID, address, wkb.Value(pt), in.Source, in.Priority,
		in.WindowStart, in.WindowEnd, in.ServiceMinutes, in.Packages, in.Notes, createdBy, key, now, in.APIKeyID))
	if err != nil {
		return nil, false, translate(err, "Request")
	}
	if _, err := appendEvent(ctx, tx, dispatch.EventRequestCreated, "request", r.ID, nil, r.View()); err != nil {
		return nil, false, err
	}
	if in.IdempotencyKey != "" {
		if err := rememberKey(ctx, tx, actor, in.IdempotencyKey, "request", fingerprint, r.ID, now); err != nil {
			return nil, false, err
		}
	}
	return r, true, nil
}

// FindDuplicates implements dispatch.RequestStore.
func (db *DB) FindDuplicates(ctx context.Context, kind dispatch.RequestKind, careAddressID *int64, pt *orb.Point) ([]*dispatch.Request, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	return findDuplicates(ctx, tx, kind, careAddressID, pt)
}

func findDuplicates(ctx context.Context, tx pgx.Tx, kind dispatch.RequestKind, careAddressID *int64, pt *orb.Point) ([]*dispatch.Request, error) {
	var ptv any
	if pt != nil && !pt.Equal(orb.Point{}) {
		ptv = wkb.Value(*pt)
	}
	rows, err := tx.Query(ctx, `SELECT `+requestColumns+` FROM requests r
		WHERE r.kind = $1 AND r.status = ANY($2)
		  AND (($3::bigint IS NOT NULL AND r.care_address_id = $3)
		    OR ($4::bytea IS NOT NULL AND ST_DWithin(r.location, ST_GeomFromWKB($4, 4326)::geography, $5)))
		ORDER BY r.id LIMIT 10`,
		kind, dispatch.OpenStatuses, careAddressID, ptv, dispatch.DuplicateRadiusM)
	if err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Request, error) { return scanRequest(row) })
}

// FindRequestByID implements dispatch.RequestStore.
func (db *DB) FindRequestByID(ctx context.Context, id int64) (*dispatch.Request, error) {
	r, err := scanRequest(db.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests r WHERE r.id = $1`, id))
	if err != nil {
		return nil, translate(err, "Request")
	}
	return r, nil
}

// FindRequests implements dispatch.RequestStore.
func (db *DB) FindRequests(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error) {
	where, args := []string{"true"}, []any{}
	add := clauseAdder(&where, &args)
	if len(f.IDs) > 0 {
		add("r.id = ANY($?)", f.IDs)
	}
	if len(f.Statuses) > 0 {
		add("r.status = ANY($?)", f.Statuses)
	}
	if len(f.Kinds) > 0 {
		add("r.kind = ANY($?)", f.Kinds)
	}
	if len(f.DistrictIDs) > 0 {
		add("r.district_id = ANY($?)", f.DistrictIDs)
	}
	if f.CareAddressID != nil {
		add("r.care_address_id = $?", *f.CareAddressID)
	}
	if f.TeamID != nil {
		add("EXISTS (SELECT 1 FROM stops s JOIN routes ro ON ro.id = s.route_id WHERE s.request_id = r.id AND ro.team_id = $? AND s.status <> 'removed')", *f.TeamID)
	}
	if f.Bound != nil {
		b := f.Bound
		args = append(args, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		n := len(args)
		where = append(where, fmt.Sprintf("r.location && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)::geography", n-3, n-2, n-1, n))
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	args = append(args, limit, f.Offset)
	q := `SELECT ` + requestColumns + `, count(*) OVER () FROM requests r WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY r.id DESC LIMIT $` + strconv.Itoa(len(args)-1) + ` OFFSET $` + strconv.Itoa(len(args))
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("find requests: %w", err)
	}
	defer rows.Close()
	var out []*dispatch.Request
	total := 0
	for rows.Next() {
		var r dispatch.Request
		if err := rows.Scan(&r.ID, &r.Kind, &r.CareAddressID, &r.AddressText, wkb.Scanner(&r.Location), &r.DistrictID,
			&r.Source, &r.Priority, &r.WindowStart, &r.WindowEnd, &r.ServiceMinutes, &r.Packages, &r.Notes, &r.Status,
			&r.UnassignedReason, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt, &r.Version, &total); err != nil {
			return nil, 0, fmt.Errorf("scan request: %w", err)
		}
		out = append(out, &r)
	}
	return out, total, rows.Err()
}

// SetRequestStatus implements dispatch.RequestStore.
func (db *DB) SetRequestStatus(ctx context.Context, actor *dispatch.User, id int64, next dispatch.RequestStatus, expect dispatch.Version) (*dispatch.Request, error) {
	var out *dispatch.Request
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		// A cancellation takes the request's stops off their routes: lock
		// those routes first, in the lock order (routes, then the
		// request, then stops), as field updates do.
		var routes []int64
		if next == dispatch.StatusCancelled {
			rows, err := tx.Query(ctx, `SELECT DISTINCT route_id FROM stops WHERE request_id = $1 AND status = 'pending'`, id)
			if err != nil {
				return fmt.Errorf("find stops request=%d: %w", id, err)
			}
			if routes, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return fmt.Errorf("find stops request=%d: %w", id, err)
			}
			if err := lockRoutes(ctx, tx, routes...); err != nil {
				return err
			}
		}
		var cur dispatch.Version
		if err := tx.QueryRow(ctx, `SELECT version FROM requests WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
			return translate(err, "Request")
		}
		if err := withCurrent(ctx, tx, actor, versionedRequest, id, dispatch.CheckVersion("Request", id, expect, cur)); err != nil {
			return err
		}
		var err error
		if out, err = setRequestStatus(ctx, tx, id, next, now); err != nil {
			return err
		}
		if next == dispatch.StatusCancelled {
			return withdrawStops(ctx, tx, id, routes, now)
		}
		return nil
	})
	return out, err
}

// withdrawStops takes a cancelled request's stops that are still ahead off
// their routes (their routes are locked by the caller): each becomes
// removed with a note, the route's remaining stops close ranks, and the
// team's feed gets the stop update so the phone drops it live. A stop that
// moved to a route not locked in the meantime is left to that route's next
// edit (it still sees its request cancelled).
func withdrawStops(ctx context.Context, tx pgx.Tx, requestID int64, routes []int64, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT `+execStopColumns+`, ro.team_id, ro.status FROM stops s
			JOIN requests r ON r.id = s.request_id JOIN routes ro ON ro.id = s.route_id
		WHERE s.request_id = $1 AND s.route_id = ANY($2) ORDER BY s.id FOR UPDATE OF s`, requestID, routes)
	if err != nil {
		return fmt.Errorf("lock stops request=%d: %w", requestID, err)
	}
	type withdrawn struct {
		stop        dispatch.Stop
		teamID      int64
		routeStatus dispatch.RouteStatus
	}
	var list []withdrawn
	for rows.Next() {
		var w withdrawn
		s := &w.stop
		if err := rows.Scan(&s.ID, &s.Version, &s.RouteID, &s.RequestID, &s.Seq, &s.Status, &s.Locked, &s.ETA, &s.ArrivedAt, &s.DoneAt,
			&s.Note, &s.LanguageMatch, &s.TravelS, &s.DistanceM, &s.Kind, &s.AddressText, &s.Lat, &s.Lon, &w.teamID, &w.routeStatus); err != nil {
			rows.Close()
			return fmt.Errorf("scan stop request=%d: %w", requestID, err)
		}
		if dispatch.WithdrawOnCancel(s.Status) {
			list = append(list, w)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lock stops request=%d: %w", requestID, err)
	}
	for _, w := range list {
		s := w.stop
		if _, err := tx.Exec(ctx, `UPDATE stops SET status = 'removed', seq = 0, eta = NULL, note = $2 WHERE id = $1`, s.ID, dispatch.WithdrawnStopNote); err != nil {
			return fmt.Errorf("withdraw stop id=%d: %w", s.ID, err)
		}
		order, err := pendingOrder(ctx, tx, s.RouteID)
		if err != nil {
			return err
		}
		if err := resequence(ctx, tx, s.RouteID, order); err != nil {
			return err
		}
		s.Status, s.Seq, s.ETA, s.Note = dispatch.StopRemoved, 0, nil, dispatch.WithdrawnStopNote
		team := routeEventTeam(w.routeStatus, w.teamID)
		if _, err := appendEvent(ctx, tx, dispatch.EventStopUpdated, "stop", s.ID, team,
			dispatch.StopUpdate{Stop: s, RouteStatus: w.routeStatus, RequestStatus: dispatch.StatusCancelled}); err != nil {
			return err
		}
		if _, err := appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", s.RouteID, team,
			map[string]any{"id": s.RouteID, "team_id": w.teamID, "reason": "request cancelled", "stop_id": s.ID}); err != nil {
			return err
		}
	}
	return nil
}

func setRequestStatus(ctx context.Context, tx pgx.Tx, id int64, next dispatch.RequestStatus, now time.Time) (*dispatch.Request, error) {
	var cur dispatch.RequestStatus
	if err := tx.QueryRow(ctx, `SELECT status FROM requests WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
		return nil, translate(err, "Request")
	}
	if err := cur.Transition(next); err != nil {
		return nil, err
	}
	r, err := scanRequest(tx.QueryRow(ctx, `WITH u AS (UPDATE requests SET status = $2, updated_at = $3 WHERE id = $1 RETURNING *)
		SELECT `+requestColumns+` FROM u r`, id, next, now))
	if err != nil {
		return nil, translate(err, "Request")
	}
	_, err = appendEvent(ctx, tx, dispatch.EventRequestStatusChanged, "request", id, nil,
		map[string]any{"id": id, "from": cur, "to": next, "request": r.View()})
	return r, err
}
