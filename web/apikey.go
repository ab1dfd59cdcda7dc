package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerAPIKeyRoutes adds the admin API for Open311 keys. The key's
// secret is in the answer to its creation only.
func (s *Server) registerAPIKeyRoutes(r chi.Router) {
	r.Get("/api/api-keys", s.handleAPIKeyList)
	r.Post("/api/api-keys", s.handleAPIKeyCreate)
	r.Post("/api/api-keys/{id}/revoke", s.handleAPIKeyRevoke)
}

// apiKeyCreated is the answer to POST /api/api-keys: the key and, this
// once, its secret.
type apiKeyCreated struct {
	*dispatch.APIKey
	Secret string `json:"secret"`
}

// integrationsActor is the admin when APIKeys is wired.
func (s *Server) integrationsActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageIntegrations)
	if ok && s.APIKeys == nil {
		s.Error(w, r, unavailable("Open311 API keys"))
		return nil, false
	}
	return actor, ok
}

func (s *Server) handleAPIKeyList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.integrationsActor(w, r); !ok {
		return
	}
	keys, err := s.APIKeys.FindAPIKeys(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(w, keys, len(keys))
}

func (s *Server) handleAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.integrationsActor(w, r); !ok {
		return
	}
	in, ok := decodeBody[dispatch.APIKeyInput](s, w, r)
	if !ok {
		return
	}
	k, secret, err := s.APIKeys.CreateAPIKey(r.Context(), in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiKeyCreated{APIKey: k, Secret: secret})
}

func (s *Server) handleAPIKeyRevoke(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.integrationsActor(w, r); !ok {
		return
	}
	id, err := pathID(r, "id", "API key")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	k, err := s.APIKeys.RevokeAPIKey(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}
