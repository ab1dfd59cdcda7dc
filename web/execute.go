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

// serveFieldUpdate serves the POSTs a team sends about its route or a stop:
// field work is required, the path id names what, decode reads the body
// into an I and call gets it with the Idempotency-Key; 200 with its answer.
func serveFieldUpdate[I, O any](s *Server, w http.ResponseWriter, r *http.Request, what string,
	decode func(*http.Request, any) error, call func(actor *dispatch.User, id int64, in I, key string) (O, error)) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireFieldWork(actor); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathID(r, "id", what)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in I
	if err := decode(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := call(actor, id, in, idempotencyKey(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty POST without a Content-Type leaves v as it is.
func decodeOptionalJSON(r *http.Request, v any) error {
	if r.ContentLength <= 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return decodeJSON(r, v)
}

// handleRouteStart serves POST /api/routes/{id}/start
// {present_volunteer_ids}: 200 with the started route; a retry with the
// same Idempotency-Key gets the same answer.
func (s *Server) handleRouteStart(w http.ResponseWriter, r *http.Request) {
	serveFieldUpdate(s, w, r, "route", decodeJSON,
		func(actor *dispatch.User, id int64, in dispatch.StartInput, key string) (*dispatch.RouteStart, error) {
			in.IdempotencyKey = key
			return s.Execute.StartRoute(r.Context(), actor, id, in)
		})
}

// handleRouteFinish serves POST /api/routes/{id}/finish {force}: 409 while
// stops are pending unless force. The body is optional: an empty POST
// finishes without force.
func (s *Server) handleRouteFinish(w http.ResponseWriter, r *http.Request) {
	serveFieldUpdate(s, w, r, "route", decodeOptionalJSON,
		func(actor *dispatch.User, id int64, in dispatch.FinishInput, key string) (*dispatch.RouteFinish, error) {
			in.IdempotencyKey = key
			return s.Execute.FinishRoute(r.Context(), actor, id, in)
		})
}

// handleStopStatus serves POST /api/stops/{id}/status {status, note}.
func (s *Server) handleStopStatus(w http.ResponseWriter, r *http.Request) {
	serveFieldUpdate(s, w, r, "stop", decodeJSON,
		func(actor *dispatch.User, id int64, in dispatch.StopUpdateInput, key string) (*dispatch.StopUpdate, error) {
			in.IdempotencyKey = key
			return s.Execute.UpdateStop(r.Context(), actor, id, in)
		})
}

// handleTeamPosition serves POST /api/teams/{id}/position {lat, lon,
// accuracy_m}: 200 with stored (false when rate-limited) and the new ETAs.
func (s *Server) handleTeamPosition(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := s.teamActor(w, r, dispatch.RequireTeamWork)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.PositionInput](s, w, r)
	if !ok {
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

// teamActor is the user and the team of the path id when require lets the
// user at that team; otherwise it writes the problem and returns false.
func (s *Server) teamActor(w http.ResponseWriter, r *http.Request, require func(*dispatch.User, int64) error) (*dispatch.User, int64, bool) {
	actor := userFrom(r.Context())
	id, err := pathID(r, "id", "team")
	if err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	if err := require(actor, id); err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	return actor, id, true
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
	actor, id, ok := s.teamActor(w, r, dispatch.RequireTeamView)
	if !ok {
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
