package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerConsentRoutes adds the dispatcher's approval of a visit to a
// pensioner without recorded consent (dispatch.VisitAllowed).
func (s *Server) registerConsentRoutes(r chi.Router) {
	r.Post("/api/requests/{id}/approve-visit", s.handleApproveVisit)
}

func (s *Server) handleApproveVisit(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActApproveVisit)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "request")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.Consent == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "Visit approval is not configured on this server."))
		return
	}
	if err := s.Consent.ApproveVisit(r.Context(), actor, id); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"request_id": id, "visit_approved": true})
}

func init() {
	describe(apiOp{Method: "POST", Pattern: "/api/requests/{id}/approve-visit", Summary: "Approve visiting a pensioner without recorded consent; the next plan includes the request", Tag: "requests",
		Roles: "dispatcher"})
}
