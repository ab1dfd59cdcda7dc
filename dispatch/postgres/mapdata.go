package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// MapRequests returns the requests the dispatcher's map shows, as GeoJSON
// points: every open request (new, planned, assigned, in_progress) and the
// closed ones (done, failed, cancelled) updated since closedSince, at most
// limit, oldest first. Properties: id, kind, status, priority, address,
// district_id, unassigned_reason, packages, created_at, and for a request
// on a draft or live route route_id, route_status, team_id and
// organisation_id (a live route wins over a draft).
//
// org (dispatch.MapScope, a coordinator's organisation) limits the map to
// the open requests on that organisation's teams' published or running
// routes; nil shows the whole city.
func (db *DB) MapRequests(ctx context.Context, closedSince time.Time, limit int, org *int64) (*geojson.FeatureCollection, error) {
	if limit <= 0 {
		limit = 20000
	}
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.kind, r.status, r.priority, r.address_text, r.district_id,
			r.unassigned_reason, r.packages, r.created_at,
			ST_X(r.location::geometry), ST_Y(r.location::geometry),
			s.route_id, s.route_status, t.id, t.organisation_id
		FROM requests r
		LEFT JOIN LATERAL (
			SELECT s.route_id, rt.status AS route_status, rt.team_id
			FROM stops s JOIN routes rt ON rt.id = s.route_id
			WHERE s.request_id = r.id AND s.status IN ('pending', 'arrived')
				AND rt.status IN ('draft', 'published', 'in_progress')
			ORDER BY rt.status = 'draft', s.id DESC
			LIMIT 1) s ON true
		LEFT JOIN teams t ON t.id = s.team_id
		WHERE (r.status IN ('new', 'planned', 'assigned', 'in_progress')
				OR (r.status IN ('done', 'failed', 'cancelled') AND r.updated_at >= $1))
			AND ($3::bigint IS NULL OR (t.organisation_id = $3 AND s.route_status <> 'draft'))
		ORDER BY r.id
		LIMIT $2`, closedSince, limit, org)
	if err != nil {
		return nil, fmt.Errorf("query map requests: %w", err)
	}
	defer rows.Close()
	fc := geojson.NewFeatureCollection()
	for rows.Next() {
		var (
			id                                      int64
			kind, status, priority, address, reason string
			district, routeID, teamID, organisation *int64
			routeStatus                             *string
			packages                                int
			created                                 time.Time
			lon, lat                                float64
		)
		if err := rows.Scan(&id, &kind, &status, &priority, &address, &district, &reason, &packages, &created,
			&lon, &lat, &routeID, &routeStatus, &teamID, &organisation); err != nil {
			return nil, fmt.Errorf("scan map request: %w", err)
		}
		f := geojson.NewFeature(orb.Point{lon, lat})
		f.ID = id
		f.Properties = geojson.Properties{
			"id": id, "kind": kind, "status": status, "priority": priority, "address": address,
			"district_id": district, "unassigned_reason": reason, "packages": packages, "created_at": created,
			"route_id": routeID, "route_status": routeStatus, "team_id": teamID, "organisation_id": organisation,
		}
		fc.Append(f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read map requests: %w", err)
	}
	return fc, nil
}

// MapTeams returns the active teams as GeoJSON points at their last
// reported position, or at their base when they have reported none.
// Properties: id, name, color, organisation_id, organisation, has_vehicle,
// capacity_packages, at_base, position_at, base [lon, lat], and route_id and
// route_status of the team's live route of day (published or in_progress;
// null when none). day is YYYY-MM-DD. org limits them to that
// organisation's teams (nil: every team).
func (db *DB) MapTeams(ctx context.Context, day string, org *int64) (*geojson.FeatureCollection, error) {
	rows, err := db.pool.Query(ctx, `SELECT t.id, t.name, t.color, t.organisation_id, o.name, t.has_vehicle,
			t.capacity_packages, t.last_position IS NULL, t.last_position_at,
			ST_X(coalesce(t.last_position, t.base)::geometry), ST_Y(coalesce(t.last_position, t.base)::geometry),
			ST_X(t.base::geometry), ST_Y(t.base::geometry),
			rt.id, rt.status
		FROM teams t
		JOIN organisations o ON o.id = t.organisation_id
		LEFT JOIN LATERAL (
			SELECT id, status FROM routes
			WHERE team_id = t.id AND day = $1::date AND status IN ('published', 'in_progress')
			ORDER BY status = 'in_progress' DESC, id DESC
			LIMIT 1) rt ON true
		WHERE t.active AND ($2::bigint IS NULL OR t.organisation_id = $2)
		ORDER BY t.id`, day, org)
	if err != nil {
		return nil, fmt.Errorf("query map teams day=%s: %w", day, err)
	}
	defer rows.Close()
	fc := geojson.NewFeatureCollection()
	for rows.Next() {
		var (
			id, org, capacity  int64
			name, color, oname string
			vehicle, atBase    bool
			posAt              *time.Time
			lon, lat, bx, by   float64
			routeID            *int64
			routeStatus        *string
		)
		if err := rows.Scan(&id, &name, &color, &org, &oname, &vehicle, &capacity, &atBase, &posAt,
			&lon, &lat, &bx, &by, &routeID, &routeStatus); err != nil {
			return nil, fmt.Errorf("scan map team: %w", err)
		}
		f := geojson.NewFeature(orb.Point{lon, lat})
		f.ID = id
		f.Properties = geojson.Properties{
			"id": id, "name": name, "color": color, "organisation_id": org, "organisation": oname,
			"has_vehicle": vehicle, "capacity_packages": capacity, "at_base": atBase, "position_at": posAt,
			"base": [2]float64{bx, by}, "route_id": routeID, "route_status": routeStatus,
		}
		fc.Append(f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read map teams: %w", err)
	}
	return fc, nil
}
