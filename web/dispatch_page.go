package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// The dispatcher's live map: requests, teams, routes, districts and alerts
// on a Leaflet map, with the unassigned queue, route progress and alerts in
// a side panel. The page is static; dispatch.js loads the snapshot from the
// map and planning APIs and then applies the events of /ws?topic=dispatch.

// registerDispatchRoutes adds the dispatcher's map page and its data.
func (s *Server) registerDispatchRoutes(r chi.Router) {
	r.Get("/dispatch", s.handleDispatchPage)
	s.addPage(page{Path: "/dispatch", TitleKey: "nav.dispatch", Title: "Dispatch map", Action: dispatch.ActViewDispatchMap})
	s.registerMapRoutes(r)
}

// dispatchPage is the data of templates/dispatch.html.
type dispatchPage struct {
	TileURL string
	// Today is the local date in Astana, the default day of the map.
	Today    string
	Kinds    []dispatch.RequestKind
	Statuses []dispatch.RequestStatus
}

func (s *Server) handleDispatchPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActViewDispatchMap); !ok {
		return
	}
	s.render(w, r, http.StatusOK, "dispatch", dispatchPage{
		TileURL: s.tileURL(),
		Today:   dispatch.LocalDate(s.now()),
		Kinds:   []dispatch.RequestKind{dispatch.SnowClearing, dispatch.FoodDelivery, dispatch.OtherKind},
		Statuses: []dispatch.RequestStatus{dispatch.StatusNew, dispatch.StatusPlanned, dispatch.StatusAssigned,
			dispatch.StatusInProgress, dispatch.StatusDone, dispatch.StatusFailed, dispatch.StatusCancelled},
	})
}
