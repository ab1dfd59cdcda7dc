package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerWebhookRoutes adds the admin API of outbound webhooks.
func (s *Server) registerWebhookRoutes(r chi.Router) {
	r.Get("/api/webhooks", s.handleWebhookList)
	r.Post("/api/webhooks", s.handleWebhookCreate)
	r.Post("/api/webhooks/{id}/active", s.handleWebhookActive)
	r.Get("/api/webhooks/{id}/deliveries", s.handleWebhookDeliveries)
}

// webhookActiveInput is the body of POST /api/webhooks/{id}/active.
type webhookActiveInput struct {
	Active bool `json:"active"`
}

// webhooksActor is the admin when webhooks are wired.
func (s *Server) webhooksActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageIntegrations)
	if ok && s.Webhooks == nil {
		s.Error(w, r, unavailable("Webhooks"))
		return nil, false
	}
	return actor, ok
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.webhooksActor(w, r)
	if !ok {
		return
	}
	hs, err := s.Webhooks.FindWebhooks(r.Context(), actor)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(w, hs, len(hs))
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.webhooksActor(w, r)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.WebhookInput](s, w, r)
	if !ok {
		return
	}
	h, err := s.Webhooks.CreateWebhook(r.Context(), actor, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

func (s *Server) handleWebhookActive(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.webhooksActor(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[webhookActiveInput](s, w, r)
	if !ok {
		return
	}
	h, err := s.Webhooks.SetWebhookActive(r.Context(), actor, id, in.Active)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.webhooksActor(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	limit, err := intParam(r.URL.Query(), "limit", 100, 1, 500)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ds, err := s.Webhooks.FindWebhookDeliveries(r.Context(), actor, id, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(w, ds, len(ds))
}

func init() {
	describe(
		apiOp{Method: "GET", Pattern: "/api/webhooks", Summary: "Webhook subscriptions (never their secrets)", Tag: "integrations", Roles: "admin", Resp: []dispatch.Webhook{}},
		apiOp{Method: "POST", Pattern: "/api/webhooks", Summary: "Subscribe a URL to event types; the answer holds the whsec_ signing secret, once", Tag: "integrations", Roles: "admin",
			Body: dispatch.WebhookInput{}, Resp: dispatch.Webhook{}, Status: 201},
		apiOp{Method: "POST", Pattern: "/api/webhooks/{id}/active", Summary: "Turn a subscription's deliveries on or off", Tag: "integrations", Roles: "admin", Body: webhookActiveInput{}, Resp: dispatch.Webhook{}},
		apiOp{Method: "GET", Pattern: "/api/webhooks/{id}/deliveries", Summary: "A subscription's delivery log", Tag: "integrations", Roles: "admin",
			Query: []apiParam{{Name: "limit", Type: "integer"}}, Resp: []dispatch.WebhookDelivery{}},
	)
}
