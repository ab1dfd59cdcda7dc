package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
)

// mapMock implements MapStore; setMapMocks gives every call a small
// successful answer and records the last bbox, limit and day asked for.
type mapMock struct {
	RoadsFn    func(ctx context.Context, bbox orb.Bound, limit int) (*geojson.FeatureCollection, error)
	bbox       orb.Bound
	limit      int
	day        string
	closedFrom time.Time
	org        *int64
	reason     string // unassigned_reason of the request MapRequests returns
}

func (m *mapMock) RoadsInBBox(ctx context.Context, bbox orb.Bound, limit int) (*geojson.FeatureCollection, error) {
	m.bbox, m.limit = bbox, limit
	if m.RoadsFn != nil {
		return m.RoadsFn(ctx, bbox, limit)
	}
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(orb.LineString{{71.40, 51.12}, {71.41, 51.13}})
	f.Properties = geojson.Properties{"id": 1, "name": "Kenesary", "highway": "primary"}
	return fc.Append(f), nil
}

func (m *mapMock) Districts(ctx context.Context) ([]geo.District, error) {
	return []geo.District{
		{ID: 1, NameRU: "Сарыарка", NameKK: "Сарыарқа", KATO: "711210000", GeoJSON: json.RawMessage(`{"type":"MultiPolygon","coordinates":[[[[71.4,51.1],[71.5,51.1],[71.5,51.2],[71.4,51.1]]]]}`)},
		{ID: 2, NameRU: "Нура", NameKK: "Нұра", Geometry: orb.MultiPolygon{{{{71.3, 51.0}, {71.4, 51.0}, {71.4, 51.1}, {71.3, 51.0}}}}},
	}, nil
}

func (m *mapMock) MapRequests(ctx context.Context, closedSince time.Time, limit int, org *int64) (*geojson.FeatureCollection, error) {
	m.closedFrom, m.limit, m.org = closedSince, limit, org
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(testPoint)
	f.Properties = geojson.Properties{"id": 5, "kind": "snow_clearing", "status": "new", "address": "Kenesary 40"}
	if m.reason != "" {
		f.Properties["unassigned_reason"] = m.reason
	}
	return fc.Append(f), nil
}

func (m *mapMock) MapTeams(ctx context.Context, day string, org *int64) (*geojson.FeatureCollection, error) {
	m.day, m.org = day, org
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(orb.Point{71.43, 51.13})
	f.Properties = geojson.Properties{"id": 1, "name": "01 Бүркіт", "color": "#bd2828", "at_base": true}
	return fc.Append(f), nil
}

// mapViewers see the dispatch map's data: dispatchers all of it,
// coordinators their organisation's (dispatch.MapScope).
var mapViewers = []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleCoordinator}

func setMapMocks(s *Server) *mapMock {
	m := &mapMock{}
	s.Map = m
	return m
}

func init() {
	for k, v := range map[string]routeExpect{
		"GET /dispatch":            {Roles: dispatchers, Page: true},
		"GET /api/roads":           {Path: "/api/roads?bbox=71.40,51.10,71.50,51.20", Roles: everyone},
		"GET /api/districts":       {Roles: everyone},
		"GET /api/map/requests":    {Roles: mapViewers},
		"GET /api/teams/positions": {Path: "/api/teams/positions?day=2026-12-01", Roles: mapViewers},
	} {
		routeTable[k] = v
	}
}

// geoJSONOf decodes a GeoJSON FeatureCollection response.
func geoJSONOf(tb testing.TB, w interface {
	Result() *http.Response
}, body []byte) *geojson.FeatureCollection {
	tb.Helper()
	if ct := w.Result().Header.Get("Content-Type"); ct != "application/geo+json; charset=utf-8" {
		tb.Fatalf("Content-Type=%q, want application/geo+json", ct)
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil {
		tb.Fatalf("not a FeatureCollection: %v: %s", err, body)
	}
	return fc
}

func TestRoadsBBox(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setMapMocks(ts.Server)
	t.Run("OK", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/api/roads?bbox=71.40,51.10,71.50,51.20&limit=50", Role: dispatch.RoleHotline})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d; body %s", w.Code, w.Body)
		}
		fc := geoJSONOf(t, w, w.Body.Bytes())
		if len(fc.Features) != 1 || fc.Features[0].Geometry.GeoJSONType() != "LineString" {
			t.Fatalf("features=%v, want one LineString", fc.Features)
		}
		want := orb.Bound{Min: orb.Point{71.40, 51.10}, Max: orb.Point{71.50, 51.20}}
		if m.bbox != want || m.limit != 50 {
			t.Fatalf("store got bbox=%v limit=%d, want %v 50", m.bbox, m.limit, want)
		}
	})
	for _, c := range []struct {
		name, query string
		status      int
	}{
		{"Missing", "", http.StatusUnprocessableEntity},
		{"Garbage", "bbox=astana", http.StatusBadRequest},
		{"ThreeNumbers", "bbox=71.4,51.1,71.5", http.StatusBadRequest},
		{"NotNumbers", "bbox=a,b,c,d", http.StatusBadRequest},
		{"NaN", "bbox=NaN,51.1,71.5,51.2", http.StatusBadRequest},
		{"Inf", "bbox=71.4,51.1,Inf,51.2", http.StatusBadRequest},
		{"Swapped", "bbox=71.5,51.1,71.4,51.2", http.StatusUnprocessableEntity},
		{"Empty", "bbox=71.4,51.1,71.4,51.2", http.StatusUnprocessableEntity},
		{"OutsideWorld", "bbox=71.4,51.1,71.5,91", http.StatusUnprocessableEntity},
		{"TooLarge", "bbox=70,50,72,52", http.StatusUnprocessableEntity},
		{"BadLimit", "bbox=71.40,51.10,71.50,51.20&limit=0", http.StatusUnprocessableEntity},
		{"LimitNotNumber", "bbox=71.40,51.10,71.50,51.20&limit=many", http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := ts.do(t, call{Method: "GET", Path: "/api/roads?" + c.query, Role: dispatch.RoleDispatcher})
			if w.Code != c.status {
				t.Fatalf("Code=%d, want %d; body %s", w.Code, c.status, w.Body)
			}
			if p := problemOf(t, w); p["field"] != "bbox" && p["field"] != "limit" {
				t.Errorf("field=%v, want bbox or limit", p["field"])
			}
		})
	}
	t.Run("StoreError", func(t *testing.T) {
		m.RoadsFn = func(ctx context.Context, bbox orb.Bound, limit int) (*geojson.FeatureCollection, error) {
			return nil, errors.New("relation road_edges does not exist")
		}
		defer func() { m.RoadsFn = nil }()
		w := ts.do(t, call{Method: "GET", Path: "/api/roads?bbox=71.40,51.10,71.50,51.20", Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("Code=%d, want 500", w.Code)
		}
		problemOf(t, w)
	})
}

func TestDistrictsGeoJSON(t *testing.T) {
	ts := MustServer(t, Config{})
	w := ts.do(t, call{Method: "GET", Path: "/api/districts", Role: dispatch.RoleTeamLead})
	if w.Code != http.StatusOK {
		t.Fatalf("Code=%d; body %s", w.Code, w.Body)
	}
	fc := geoJSONOf(t, w, w.Body.Bytes())
	if len(fc.Features) != 2 {
		t.Fatalf("%d features, want 2", len(fc.Features))
	}
	for _, f := range fc.Features {
		if f.Geometry == nil || f.Geometry.GeoJSONType() != "MultiPolygon" {
			t.Errorf("feature %v: geometry %v, want a MultiPolygon", f.ID, f.Geometry)
		}
	}
	if fc.Features[0].Properties["name_kk"] != "Сарыарқа" || fc.Features[1].Properties["name_ru"] != "Нура" {
		t.Errorf("properties %v %v", fc.Features[0].Properties, fc.Features[1].Properties)
	}
}

func TestMapRequestsAndTeams(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setMapMocks(ts.Server)
	now := time.Date(2026, 12, 1, 22, 30, 0, 0, time.UTC) // 03:30 on 2 December in Astana
	ts.Plan.Now = func() time.Time { return now }

	w := ts.do(t, call{Method: "GET", Path: "/api/map/requests", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusOK {
		t.Fatalf("Code=%d; body %s", w.Code, w.Body)
	}
	fc := geoJSONOf(t, w, w.Body.Bytes())
	if len(fc.Features) != 1 || fc.Features[0].Properties["status"] != "new" {
		t.Fatalf("features %v", fc.Features)
	}
	if want := time.Date(2026, 12, 2, 0, 0, 0, 0, time.FixedZone("", 5*3600)); !m.closedFrom.Equal(want) {
		t.Errorf("closed since %v, want local midnight %v", m.closedFrom, want)
	}

	w = ts.do(t, call{Method: "GET", Path: "/api/teams/positions", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusOK {
		t.Fatalf("Code=%d; body %s", w.Code, w.Body)
	}
	geoJSONOf(t, w, w.Body.Bytes())
	if m.day != "2026-12-02" {
		t.Errorf("day=%q, want today in Astana 2026-12-02", m.day)
	}
	w = ts.do(t, call{Method: "GET", Path: "/api/teams/positions?day=yesterday", Role: dispatch.RoleDispatcher})
	if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != "day" {
		t.Fatalf("Code=%d field=%v, want 422 naming day", w.Code, p["field"])
	}
}

func TestMapWithoutStore(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Map = nil
	w := ts.do(t, call{Method: "GET", Path: "/api/districts", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("Code=%d, want 503", w.Code)
	}
	problemOf(t, w)
}

// TestMapScopedForCoordinator: a coordinator's map data is asked for their
// organisation only; a dispatcher's for the whole city.
func TestMapScopedForCoordinator(t *testing.T) {
	ts := MustServer(t, Config{})
	m := setMapMocks(ts.Server)
	for _, path := range []string{"/api/map/requests", "/api/teams/positions"} {
		m.org = nil
		w := ts.do(t, call{Method: "GET", Path: path, Role: dispatch.RoleCoordinator})
		if w.Code != http.StatusOK {
			t.Fatalf("%s as coordinator: Code=%d; body %s", path, w.Code, w.Body)
		}
		want := testUsers[dispatch.RoleCoordinator].OrganisationID
		if m.org == nil || want == nil || *m.org != *want {
			t.Errorf("%s as coordinator: store scoped to %v, want organisation %v", path, m.org, *want)
		}
		w = ts.do(t, call{Method: "GET", Path: path, Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusOK || m.org != nil {
			t.Errorf("%s as dispatcher: Code=%d scope %v, want 200 and the whole city", path, w.Code, m.org)
		}
		if w := ts.do(t, call{Method: "GET", Path: path, Role: dispatch.RoleHotline}); w.Code != http.StatusForbidden {
			t.Errorf("%s as hotline: Code=%d, want 403", path, w.Code)
		}
	}
}

// TestMapFlagsVisitApproval: a request the planner held back for want of
// the pensioner's consent is flagged for the dispatcher's approval button,
// whatever language its reason is shown in; other reasons are not.
func TestMapFlagsVisitApproval(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		want         bool
	}{
		{"NoConsent", dispatch.ReasonNoConsent, true},
		{"OtherReason", "location unreachable", false},
		{"NoReason", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := MustServer(t, Config{})
			m := setMapMocks(ts.Server)
			m.reason = tc.reason
			w := ts.do(t, call{Method: "GET", Path: "/api/map/requests", Role: dispatch.RoleDispatcher, Header: map[string]string{"Accept-Language": "ru"}})
			if w.Code != http.StatusOK {
				t.Fatalf("Code=%d; body %s", w.Code, w.Body)
			}
			p := geoJSONOf(t, w, w.Body.Bytes()).Features[0].Properties
			if got, _ := p["needs_visit_approval"].(bool); got != tc.want {
				t.Errorf("needs_visit_approval=%v, want %v (properties %v)", p["needs_visit_approval"], tc.want, p)
			}
			if tc.want && p["unassigned_reason"] == dispatch.ReasonNoConsent {
				t.Errorf("unassigned_reason=%q, want it in Russian", p["unassigned_reason"])
			}
		})
	}
}
