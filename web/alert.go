package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerAlertRoutes adds the welfare alerts dispatchers work through.
func (s *Server) registerAlertRoutes(r chi.Router) {
	r.Get("/api/alerts", s.handleAlertList)
	r.Post("/api/alerts/{id}/handle", s.handleAlertHandle)
}

// handleAlertList serves GET /api/alerts?status=open|handled (default all).
func (s *Server) handleAlertList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActChangeRequests)
	if !ok {
		return
	}
	f := dispatch.AlertFilter{Status: dispatch.AlertStatus(r.URL.Query().Get("status"))}
	if f.Status != "" && !f.Status.Valid() {
		s.Error(w, r, dispatch.Invalid("status", "Unknown alert status %q: use open or handled.", f.Status))
		return
	}
	var err error
	if f.Limit, err = intParam(r.URL.Query(), "limit", 200, 1, 1000); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := s.Alerts.FindAlerts(r.Context(), actor, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleAlertHandle serves POST /api/alerts/{id}/handle {note}: 409 when
// already handled.
func (s *Server) handleAlertHandle(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActChangeRequests)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "alert")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[dispatch.HandleAlertInput](s, w, r)
	if !ok {
		return
	}
	if err := in.Normalize(); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := s.Alerts.HandleAlert(r.Context(), actor, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
