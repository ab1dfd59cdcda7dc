package web

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// IdempotencyHeader carries the key that makes a field update safe to
// retry: the same key returns the first answer and changes nothing.
const IdempotencyHeader = "Idempotency-Key"

// registerExecuteRoutes adds what team leads' phones send from the field:
// route start and finish, stop outcomes, positions, and the team's route of
// the day. Dispatchers may do the same on a team's behalf.
func (s *Server) registerExecuteRoutes(r chi.Router) {
	r.Post("/api/routes/{id}/start", s.handleRouteStart)
	r.Post("/api/routes/{id}/finish", s.handleRouteFinish)
	r.Post("/api/stops/{id}/status", s.handleStopStatus)
	r.Post("/api/teams/{id}/position", s.handleTeamPosition)
	r.Get("/api/teams/{id}/route", s.handleTeamRoute)
}

func idempotencyKey(r *http.Request) string {
	return strings.TrimSpace(r.Header.Get(IdempotencyHeader))
}

// handleRouteStart serves POST /api/routes/{id}/start
// {present_volunteer_ids}: 200 with the started route; a retry with the
// same Idempotency-Key gets the same answer.
func (s *Server) handleRouteStart(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireFieldWork(actor); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathID(r, "id", "route")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in dispatch.StartInput
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	in.IdempotencyKey = idempotencyKey(r)
	out, err := s.Execute.StartRoute(r.Context(), actor, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleRouteFinish serves POST /api/routes/{id}/finish {force}: 409 while
// stops are pending unless force.
func (s *Server) handleRouteFinish(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireFieldWork(actor); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathID(r, "id", "route")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// The body is optional: an empty POST finishes without force.
	var in dispatch.FinishInput
	if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
		if err := decodeJSON(r, &in); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	in.IdempotencyKey = idempotencyKey(r)
	out, err := s.Execute.FinishRoute(r.Context(), actor, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleStopStatus serves POST /api/stops/{id}/status {status, note}.
func (s *Server) handleStopStatus(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireFieldWork(actor); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathID(r, "id", "stop")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in dispatch.StopUpdateInput
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	in.IdempotencyKey = idempotencyKey(r)
	out, err := s.Execute.UpdateStop(r.Context(), actor, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleTeamPosition serves POST /api/teams/{id}/position {lat, lon,
// accuracy_m}: 200 with stored (false when rate-limited) and the new ETAs.
func (s *Server) handleTeamPosition(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	id, err := pathID(r, "id", "team")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := dispatch.RequireTeamWork(actor, id); err != nil {
		s.Error(w, r, err)
		return
	}
	var in dispatch.PositionInput
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := in.Normalize(s.Area); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := s.Execute.UpdateTeamPosition(r.Context(), actor, id, in, s.travel())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// travel is the travel model for ETAs: the planner's when wired, else the
// straight-line fallback.
func (s *Server) travel() dispatch.Travel {
	if s.Plan.Travel != nil {
		if t := s.Plan.Travel(); t != nil {
			return t
		}
	}
	return dispatch.HaversineTravel{}
}

// handleTeamRoute serves GET /api/teams/{id}/route?day=YYYY-MM-DD (default
// today in Astana): the team's live route with stops and what the team may
// see of each pensioner.
func (s *Server) handleTeamRoute(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	id, err := pathID(r, "id", "team")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := dispatch.RequireTeamView(actor, id); err != nil {
		s.Error(w, r, err)
		return
	}
	day := r.URL.Query().Get("day")
	if day != "" {
		if _, err := dispatch.ParseLocalDate("day", day); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	out, err := s.Execute.FindTeamRoute(r.Context(), actor, id, day)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
