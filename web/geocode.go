package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// Geocoding limits.
const (
	defaultGeocodeLimit = 10
	maxGeocodeLimit     = 50
	maxGeocodeQuery     = 200 // characters
)

// registerGeocodeRoutes adds address search.
func (s *Server) registerGeocodeRoutes(r chi.Router) {
	r.Get("/api/geocode", s.handleGeocode)
	r.Get("/api/geocode/reverse", s.handleGeocodeReverse)
}

// handleGeocode serves GET /api/geocode?q=&limit=: registered pensioners
// first (with name and phone for roles that may see them), then addresses.
func (s *Server) handleGeocode(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActSearch)
	if !ok {
		return
	}
	qv := r.URL.Query()
	q := strings.TrimSpace(qv.Get("q"))
	if q == "" {
		s.Error(w, r, dispatch.Invalid("q", "Type part of an address or a name."))
		return
	}
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxGeocodeQuery {
		s.Error(w, r, dispatch.Invalid("q", "The search text is too long or not valid text."))
		return
	}
	limit, err := intParam(qv, "limit", defaultGeocodeLimit, 1, maxGeocodeLimit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cs, err := s.Geocoder.Geocode(r.Context(), actor, q, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if cs == nil {
		cs = []dispatch.Candidate{}
	}
	writeJSON(w, http.StatusOK, cs)
}

// handleGeocodeReverse serves GET /api/geocode/reverse?lat=&lon=: the
// nearest house or care address within SnapLimitM.
func (s *Server) handleGeocodeReverse(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActSearch)
	if !ok {
		return
	}
	pt, err := pointParam(r.URL.Query(), true)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.Area.Contains(*pt) {
		s.Error(w, r, dispatch.Invalid("lat", "The point (%.5f, %.5f) is outside the service area.", pt.Lat(), pt.Lon()))
		return
	}
	c, err := s.Geocoder.Reverse(r.Context(), actor, *pt, s.SnapLimitM)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
