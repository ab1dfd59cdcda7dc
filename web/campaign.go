package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerCampaignRoutes adds campaigns (snowfall, food), the recurring
// visit run and visit rules, for dispatchers and API clients logged in as
// one.
func (s *Server) registerCampaignRoutes(r chi.Router) {
	r.Post("/api/campaigns", s.handleCampaignCreate)
	r.Get("/api/campaigns/{id}", s.handleCampaignView)
	r.Post("/api/campaigns/{id}/run", s.handleCampaignRun)
	r.Post("/api/recurring/run", s.handleRecurringRun)
	r.Put("/api/care-addresses/{id}/visit-rule", s.handleVisitRule)
}

func campaignURL(id int64) string { return "/api/campaigns/" + strconv.FormatInt(id, 10) }

// handleCampaignCreate serves POST /api/campaigns: 201 with Location and
// the campaign (its "created" counts the requests made); 200 with the first
// campaign when the Idempotency-Key was seen before.
func (s *Server) handleCampaignCreate(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActPlan)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.CampaignInput](s, w, r)
	if !ok {
		return
	}
	in.IdempotencyKey = idempotencyKey(r)
	c, created, err := s.Campaigns.CreateCampaign(r.Context(), actor, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	st := http.StatusOK
	if created {
		w.Header().Set("Location", campaignURL(c.ID))
		st = http.StatusCreated
	}
	writeJSON(w, st, c)
}

func (s *Server) handleCampaignView(w http.ResponseWriter, r *http.Request) {
	s.serveCampaign(w, r, dispatch.CampaignStore.FindCampaignByID)
}

// handleCampaignRun serves POST /api/campaigns/{id}/run: creates only what
// is missing ("created" is 0 on a plain re-run).
func (s *Server) handleCampaignRun(w http.ResponseWriter, r *http.Request) {
	s.serveCampaign(w, r, dispatch.CampaignStore.RunCampaign)
}

// serveCampaign calls call with the campaign of the path id and writes the
// campaign it returns with 200.
func (s *Server) serveCampaign(w http.ResponseWriter, r *http.Request,
	call func(dispatch.CampaignStore, context.Context, *dispatch.User, int64) (*dispatch.Campaign, error)) {
	actor, ok := s.actorFor(w, r, dispatch.ActPlan)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "campaign")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := call(s.Campaigns, r.Context(), actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// recurringInput is the body of POST /api/recurring/run.
type recurringInput struct {
	Day string `json:"day"`
}

// handleRecurringRun serves POST /api/recurring/run {day}: creates the
// visits due that day, at most one per address; 200 {day, created}.
func (s *Server) handleRecurringRun(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActPlan)
	if !ok {
		return
	}
	in, ok := decodeBody[recurringInput](s, w, r)
	if !ok {
		return
	}
	day, err := dispatch.ParseLocalDate("day", in.Day)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	n, err := s.Campaigns.CreateDueVisits(r.Context(), actor, day)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"day": in.Day, "created": n})
}

// handleVisitRule serves PUT /api/care-addresses/{id}/visit-rule {rule,
// day}; rule "none" clears it.
func (s *Server) handleVisitRule(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActEditCare)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "care address")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	expect, err := ifMatch(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[dispatch.VisitRuleInput](s, w, r)
	if !ok {
		return
	}
	if err := in.Normalize(); err != nil {
		s.Error(w, r, err)
		return
	}
	in.Expect = expect
	if err := s.Campaigns.SetVisitRule(r.Context(), actor, id, in); err != nil {
		s.Error(w, r, err)
		return
	}
	rule := string(in.Rule)
	if rule == "" {
		rule = "none"
	}
	writeJSON(w, http.StatusOK, map[string]any{"care_address_id": id, "rule": rule, "day": in.Day})
}
