package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerIntegrationsRoutes adds the admin page for what connects Qamqor
// to other systems: Open311 API keys and webhook subscriptions. The page
// is static; integrations.js reads and changes them through the JSON API.
func (s *Server) registerIntegrationsRoutes(r chi.Router) {
	r.Get("/integrations", s.handleIntegrationsPage)
	s.addPage(page{Path: "/integrations", TitleKey: "nav.integrations", Title: "Integrations", Action: dispatch.ActManageIntegrations})
}

func (s *Server) handleIntegrationsPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActManageIntegrations); !ok {
		return
	}
	s.render(w, r, http.StatusOK, "integrations", integrationsPage{Types: dispatch.WebhookTypes})
}

// integrationsPage is the data of templates/integrations.html.
type integrationsPage struct {
	Types []string
}
