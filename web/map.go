package web

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
	"github.com/qamqor/qamqor/web/locale"
)

// Limits of GET /api/roads.
const (
	defaultRoadLimit = 4000
	maxRoadLimit     = 20000
	// maxRoadBBoxDeg bounds each side of the box: the whole of Astana fits
	// in about 0.5° × 0.3°.
	maxRoadBBoxDeg = 1.0
	// maxMapRequests bounds GET /api/map/requests.
	maxMapRequests = 50000
)

// MapStore reads what the maps draw. The PostgreSQL store implements it.
type MapStore interface {
	// RoadsInBBox returns up to limit road edges inside bbox as GeoJSON.
	RoadsInBBox(ctx context.Context, bbox orb.Bound, limit int) (*geojson.FeatureCollection, error)
	// Districts returns the district borders with their GeoJSON geometry.
	Districts(ctx context.Context) ([]geo.District, error)
	// MapRequests returns the open requests and those closed since
	// closedSince as GeoJSON points; org (dispatch.MapScope) limits them
	// to the requests on that organisation's teams' live routes.
	MapRequests(ctx context.Context, closedSince time.Time, limit int, org *int64) (*geojson.FeatureCollection, error)
	// MapTeams returns the active teams at their last position (or base)
	// with their live route of day; org limits them to its teams.
	MapTeams(ctx context.Context, day string, org *int64) (*geojson.FeatureCollection, error)
}

// registerMapRoutes adds the map data the dispatcher's map (and other map
// pages) draw. Roads and districts hold no personal data and are open to
// every logged-in user; requests and teams only to the dispatch map, and
// to coordinators for their organisation's teams (dispatch.MapScope).
//
// When Services.Map is not set, the request store is used if it also
// implements MapStore (the PostgreSQL store does).
func (s *Server) registerMapRoutes(r chi.Router) {
	if s.Map == nil {
		s.Map, _ = s.Requests.(MapStore)
	}
	r.Get("/api/roads", s.handleRoads)
	r.Get("/api/districts", s.handleDistricts)
	r.Get("/api/map/requests", s.handleMapRequests)
	r.Get("/api/teams/positions", s.handleTeamPositions)
}

// mapStore returns Services.Map, or EUNAVAILABLE-style 503 when missing.
func (s *Server) mapStore() (MapStore, error) {
	if s.Map == nil {
		return nil, dispatch.Errorf(codeUnavailable, "Map data is not available.")
	}
	return s.Map, nil
}

// parseBBox parses "minLon,minLat,maxLon,maxLat": 400 when it is not four
// numbers, 422 when the box is empty, outside the world or too large.
func parseBBox(v string) (orb.Bound, error) {
	if v == "" {
		return orb.Bound{}, dispatch.Invalid("bbox", "bbox is required: minLon,minLat,maxLon,maxLat.")
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return orb.Bound{}, malformedParam("bbox", "four numbers: minLon,minLat,maxLon,maxLat")
	}
	var n [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, malformedParam("bbox", "four numbers: minLon,minLat,maxLon,maxLat")
		}
		n[i] = f
	}
	minLon, minLat, maxLon, maxLat := n[0], n[1], n[2], n[3]
	switch {
	case minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90:
		return orb.Bound{}, dispatch.Invalid("bbox", "bbox must lie within lon -180..180 and lat -90..90.")
	case minLon >= maxLon || minLat >= maxLat:
		return orb.Bound{}, dispatch.Invalid("bbox", "bbox must be minLon,minLat,maxLon,maxLat with min < max.")
	case maxLon-minLon > maxRoadBBoxDeg || maxLat-minLat > maxRoadBBoxDeg:
		return orb.Bound{}, dispatch.Invalid("bbox", "bbox may span at most %g degrees each way; zoom in.", maxRoadBBoxDeg)
	}
	return orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}, nil
}

// writeGeoJSON writes v as application/geo+json. maxAge > 0 lets the
// browser keep it privately for that long.
func writeGeoJSON(w http.ResponseWriter, v any, maxAge time.Duration) {
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	if maxAge > 0 {
		w.Header().Set("Cache-Control", "private, max-age="+strconv.Itoa(int(maxAge.Seconds())))
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(v)
}

// handleRoads serves GET /api/roads?bbox=minLon,minLat,maxLon,maxLat&limit=N:
// the stored road edges in the box as a GeoJSON FeatureCollection, drawn
// when map tiles cannot load.
func (s *Server) handleRoads(w http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in."))
		return
	}
	q := r.URL.Query()
	bbox, err := parseBBox(q.Get("bbox"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	limit, err := intParam(q, "limit", defaultRoadLimit, 1, maxRoadLimit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	m, err := s.mapStore()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	fc, err := m.RoadsInBBox(r.Context(), bbox, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeGeoJSON(w, fc, 10*time.Minute)
}

// districtFeature is one district border as a GeoJSON feature.
type districtFeature struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// handleDistricts serves GET /api/districts: the district borders as a
// GeoJSON FeatureCollection (properties id, name_ru, name_kk, kato).
func (s *Server) handleDistricts(w http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in."))
		return
	}
	m, err := s.mapStore()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ds, err := m.Districts(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	features := make([]districtFeature, 0, len(ds))
	for _, d := range ds {
		g := d.GeoJSON
		if len(g) == 0 {
			g, err = json.Marshal(geojson.NewGeometry(d.Geometry))
			if err != nil {
				s.Error(w, r, err)
				return
			}
		}
		features = append(features, districtFeature{Type: "Feature", ID: d.ID, Geometry: g,
			Properties: map[string]any{"id": d.ID, "name_ru": d.NameRU, "name_kk": d.NameKK, "kato": d.KATO}})
	}
	writeGeoJSON(w, map[string]any{"type": "FeatureCollection", "features": features}, time.Hour)
}

// handleMapRequests serves GET /api/map/requests: every open request and
// those closed today, as GeoJSON points, for the dispatcher's map. It is
// the snapshot that live events then update.
func (s *Server) handleMapRequests(w http.ResponseWriter, r *http.Request) {
	org, ok := s.mapScope(w, r)
	if !ok {
		return
	}
	limit, err := intParam(r.URL.Query(), "limit", maxMapRequests, 1, maxMapRequests)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	m, err := s.mapStore()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	today, err := dispatch.ParseLocalDate("day", dispatch.LocalDate(s.now()))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	fc, err := m.MapRequests(r.Context(), today, limit, org)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// The planner stores why a request was left out in English.
	lang := langOf(r)
	for _, f := range fc.Features {
		if v, ok := f.Properties["unassigned_reason"].(string); ok && v != "" {
			// Held for want of consent: the dispatcher's page offers the
			// approval (POST /api/requests/{id}/approve-visit).
			if v == dispatch.ReasonNoConsent {
				f.Properties["needs_visit_approval"] = true
			}
			f.Properties["unassigned_reason"] = locale.Text(lang, v)
		}
	}
	writeGeoJSON(w, fc, 0)
}

// handleTeamPositions serves GET /api/teams/positions?day=YYYY-MM-DD (today
// by default): the active teams at their last position or base, with their
// colour and live route of the day, as GeoJSON points.
func (s *Server) handleTeamPositions(w http.ResponseWriter, r *http.Request) {
	org, ok := s.mapScope(w, r)
	if !ok {
		return
	}
	day := r.URL.Query().Get("day")
	if day == "" {
		day = dispatch.LocalDate(s.now())
	} else if _, err := dispatch.ParseLocalDate("day", day); err != nil {
		s.Error(w, r, err)
		return
	}
	m, err := s.mapStore()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	fc, err := m.MapTeams(r.Context(), day, org)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeGeoJSON(w, fc, 0)
}

// mapScope answers 401/403 unless the user may see the map's data, and
// returns the organisation it is limited to (nil: the whole city).
func (s *Server) mapScope(w http.ResponseWriter, r *http.Request) (*int64, bool) {
	u := userFrom(r.Context())
	if u == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in."))
		return nil, false
	}
	org, err := dispatch.MapScope(u)
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return org, true
}
