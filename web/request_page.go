package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web/locale"
)

// registerRequestPageRoutes adds the read-only page of one request, which
// the hotline's duplicate warning links to (the API's JSON is no page for
// an operator on a call).
func (s *Server) registerRequestPageRoutes(r chi.Router) {
	r.Get("/requests/{id}", s.handleRequestPage)
}

// requestPage is one request as words: every value already in the page's
// language, times on the 24-hour clock in Astana.
type requestPage struct {
	ID                                     int64
	Kind, KindKey, Status, StatusKey       string
	Priority, PriorityKey, Address, Window string
	Created, Notes                         string
	ServiceMinutes, Packages               int
}

func (s *Server) handleRequestPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActViewRequests); !ok {
		return
	}
	id, err := pathID(r, "id", "request")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	req, err := s.Requests.FindRequestByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := langOf(r)
	p := requestPage{
		ID:   req.ID,
		Kind: locale.Word(lang, "RequestKind", string(req.Kind)), KindKey: "kind." + string(req.Kind),
		Status: locale.Word(lang, "RequestStatus", string(req.Status)), StatusKey: "status." + string(req.Status),
		Priority: locale.Word(lang, "Priority", string(req.Priority)), PriorityKey: "priority." + string(req.Priority),
		Address: req.AddressText, Notes: req.Notes, ServiceMinutes: req.ServiceMinutes, Packages: req.Packages,
		Created: astanaTime(req.CreatedAt),
	}
	if req.WindowStart != nil && req.WindowEnd != nil {
		p.Window = astanaTime(*req.WindowStart) + " – " + astanaTime(*req.WindowEnd)
	}
	s.render(w, r, http.StatusOK, "request", p)
}

// astanaTime formats t as "2026-12-06 14:05" in Astana: the 24-hour clock
// in the city's zone, whatever the server's.
func astanaTime(t time.Time) string {
	return t.In(dispatch.CityZone()).Format("2006-01-02 15:04")
}
