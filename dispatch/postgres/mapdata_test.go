package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/qamqor/qamqor/dispatch"
)

func featureByID(fc *geojson.FeatureCollection, id int64) *geojson.Feature {
	for _, f := range fc.Features {
		if v, ok := f.Properties["id"].(int64); ok && v == id {
			return f
		}
	}
	return nil
}

func TestMapRequests(t *testing.T) {
	f := newExecFixture(t)
	ctx := context.Background()
	// A new request off any route, one closed yesterday and one closed today.
	loose := mustExecID(t, f.db, `INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status, unassigned_reason)
		VALUES ('food_delivery', 'Мәңгілік Ел, 1', ST_GeogFromText('POINT(71.41 51.09)'), 'hotline', 'urgent', 20, 'new', 'no team available') RETURNING id`)
	old := mustExecID(t, f.db, `INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status, updated_at)
		VALUES ('other', 'Old', ST_GeogFromText('POINT(71.42 51.10)'), 'hotline', 'normal', 20, 'done', '2026-01-11T10:00:00+05:00') RETURNING id`)
	fresh := mustExecID(t, f.db, `INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status, updated_at)
		VALUES ('other', 'Fresh', ST_GeogFromText('POINT(71.42 51.10)'), 'hotline', 'normal', 20, 'cancelled', '2026-01-12T08:00:00+05:00') RETURNING id`)

	since := time.Date(2026, 1, 12, 0, 0, 0, 0, time.FixedZone("Asia/Astana", 5*3600))
	fc, err := f.db.MapRequests(ctx, since, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if featureByID(fc, old) != nil {
		t.Errorf("request %d closed yesterday is on the map", old)
	}
	if featureByID(fc, fresh) == nil {
		t.Errorf("request %d closed today is missing", fresh)
	}
	lf := featureByID(fc, loose)
	if lf == nil {
		t.Fatalf("new request %d is missing", loose)
	}
	if p := lf.Geometry.(orb.Point); p.Lon() < 71.409 || p.Lon() > 71.411 || p.Lat() < 51.089 || p.Lat() > 51.091 {
		t.Errorf("location %v, want [71.41 51.09] as [lon lat]", p)
	}
	if lf.Properties["unassigned_reason"] != "no team available" || lf.Properties["priority"] != "urgent" || lf.Properties["route_id"].(*int64) != nil {
		t.Errorf("loose properties %v", lf.Properties)
	}
	for _, id := range f.requests {
		rf := featureByID(fc, id)
		if rf == nil {
			t.Fatalf("assigned request %d is missing", id)
		}
		if r := rf.Properties["route_id"].(*int64); r == nil || *r != f.routeID {
			t.Errorf("request %d route_id %v, want %d", id, r, f.routeID)
		}
		if tm := rf.Properties["team_id"].(*int64); tm == nil || *tm != f.teamID {
			t.Errorf("request %d team_id %v, want %d", id, tm, f.teamID)
		}
		if rf.Properties["organisation_id"].(*int64) == nil {
			t.Errorf("request %d has no organisation", id)
		}
	}
	if fc, err := f.db.MapRequests(ctx, since, 2, nil); err != nil || len(fc.Features) != 2 {
		t.Fatalf("limit 2: %d features, err %v", len(fc.Features), err)
	}
}

func TestMapTeams(t *testing.T) {
	f := newExecFixture(t)
	ctx := context.Background()
	fc, err := f.db.MapTeams(ctx, "2026-01-12", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 2 {
		t.Fatalf("%d teams, want 2", len(fc.Features))
	}
	a := featureByID(fc, f.teamID)
	if a.Properties["at_base"] != true || a.Properties["name"] != "Team A" || a.Properties["organisation"] != "Qamqor HQ" {
		t.Errorf("team A %v", a.Properties)
	}
	if r := a.Properties["route_id"].(*int64); r == nil || *r != f.routeID {
		t.Errorf("team A route %v, want %d", r, f.routeID)
	}
	if b := featureByID(fc, f.otherTeam); b.Properties["route_id"].(*int64) != nil {
		t.Errorf("team B has a route: %v", b.Properties)
	}
	// A reported position replaces the base; another day has no route.
	mustExecSQL(t, f.db, `UPDATE teams SET last_position = ST_GeogFromText('POINT(71.5 51.15)'), last_position_at = now() WHERE id = $1`, f.teamID)
	mustExecSQL(t, f.db, `UPDATE teams SET active = false WHERE id = $1`, f.otherTeam)
	fc, err = f.db.MapTeams(ctx, "2026-01-13", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 1 {
		t.Fatalf("%d teams, want only the active one", len(fc.Features))
	}
	a = fc.Features[0]
	if p := a.Geometry.(orb.Point); p != (orb.Point{71.5, 51.15}) || a.Properties["at_base"] != false {
		t.Errorf("team A at %v at_base=%v, want its last position", p, a.Properties["at_base"])
	}
	if a.Properties["route_id"].(*int64) != nil {
		t.Errorf("team A has a route on another day: %v", a.Properties["route_id"])
	}
}

// TestMapScopedToOrganisation: a coordinator's map (org scope) shows only
// the organisation's teams and the requests on their published or running
// routes; another organisation's teams and requests, requests off any route
// and requests only on a draft stay off it.
func TestMapScopedToOrganisation(t *testing.T) {
	f := newExecFixture(t)
	ctx := context.Background()
	var orgA int64
	if err := f.db.Pool().QueryRow(ctx, `SELECT organisation_id FROM teams WHERE id = $1`, f.teamID).Scan(&orgA); err != nil {
		t.Fatal(err)
	}
	orgB := mustExecID(t, f.db, `INSERT INTO organisations (name, kind) VALUES ('B', 'volunteer_org') RETURNING id`)
	mustExecSQL(t, f.db, `UPDATE teams SET organisation_id = $2 WHERE id = $1`, f.otherTeam, orgB)
	loose := mustExecID(t, f.db, `INSERT INTO requests (kind, address_text, location, source, priority, service_minutes, status)
		VALUES ('other', 'Loose', ST_GeogFromText('POINT(71.41 51.09)'), 'hotline', 'normal', 20, 'new') RETURNING id`)
	_, _, drafted := mustExecRoute(t, f.db, f.teamID, "2026-01-13", dispatch.RouteDraft, f.cares[:1])
	_, _, orgBRequests := mustExecRoute(t, f.db, f.otherTeam, "2026-01-12", dispatch.RoutePublished, f.cares[:1])
	since := time.Date(2026, 1, 12, 0, 0, 0, 0, time.FixedZone("Asia/Astana", 5*3600))

	fc, err := f.db.MapRequests(ctx, since, 0, &orgA)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(f.requests) {
		t.Errorf("organisation A's map has %d requests, want its route's %d", len(fc.Features), len(f.requests))
	}
	for _, id := range f.requests {
		if featureByID(fc, id) == nil {
			t.Errorf("request %d on A's published route is missing", id)
		}
	}
	for _, id := range append(append([]int64{loose}, drafted...), orgBRequests...) {
		if featureByID(fc, id) != nil {
			t.Errorf("request %d (off route, draft only, or organisation B's) is on A's map", id)
		}
	}
	if fc, err = f.db.MapRequests(ctx, since, 0, &orgB); err != nil || len(fc.Features) != len(orgBRequests) || featureByID(fc, orgBRequests[0]) == nil {
		t.Errorf("organisation B's map: %d requests (err %v), want its own %v", len(fc.Features), err, orgBRequests)
	}
	if all, err := f.db.MapRequests(ctx, since, 0, nil); err != nil || featureByID(all, loose) == nil || featureByID(all, drafted[0]) == nil {
		t.Errorf("the dispatcher's map lost requests (err %v)", err)
	}

	teams, err := f.db.MapTeams(ctx, "2026-01-12", &orgA)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams.Features) != 1 || featureByID(teams, f.teamID) == nil {
		t.Errorf("organisation A's teams: %d features, want team A only", len(teams.Features))
	}
	if teams, err = f.db.MapTeams(ctx, "2026-01-12", nil); err != nil || len(teams.Features) != 2 {
		t.Errorf("the dispatcher's teams: %d (err %v), want 2", len(teams.Features), err)
	}
}
