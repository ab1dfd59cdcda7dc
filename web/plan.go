package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// PlanServices are what the planning and route-editing API needs.
type PlanServices struct {
	Planner *dispatch.Planner
	Routes  dispatch.RouteStore
	// Travel gives the travel model in use (road graph or fallback).
	Travel func() dispatch.Travel
	// Now is the clock for ETAs; nil means time.Now.
	Now func() time.Time
}

// registerPlanRoutes adds planning, route review and editing for
// dispatchers.
func (s *Server) registerPlanRoutes(r chi.Router) {
	r.Post("/api/plans", s.handlePlanStart)
	r.Get("/api/plans/{id}", s.handlePlanView)
	r.Get("/api/routes", s.handleRouteList)
	r.Get("/api/routes/{id}", s.handleRouteView)
	r.Post("/api/routes/publish", s.handleRoutePublish)
	r.Post("/api/stops/{id}/move", s.handleStopMove)
	r.Post("/api/stops/{id}/lock", s.handleStopLock)
	r.Post("/api/stops/{id}/remove", s.handleStopRemove)
}

func (s *Server) now() time.Time {
	if s.Plan.Now != nil {
		return s.Plan.Now()
	}
	return time.Now()
}

// handlePlanStart starts planning a scope in the background: 202 with the
// job id; progress arrives as plan.* events and at GET /api/plans/{id}.
func (s *Server) handlePlanStart(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActPlan)
	if !ok {
		return
	}
	scope, ok := decodeBody[dispatch.PlanScope](s, w, r)
	if !ok {
		return
	}
	id, err := s.startPlanFor(r, actor, scope)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job_id": id, "url": "/api/plans/" + strconv.FormatInt(id, 10), "travel": s.Plan.Travel().Kind()})
}

func (s *Server) handlePlanView(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActPlan); !ok {
		return
	}
	id, err := pathID(r, "id", "planning job")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	job, err := s.Plan.Planner.Store.FindPlanningJob(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, localisedJob(langOf(r), job))
}

// routeJSON is a route with its geometry as [lat, lon] pairs for Leaflet
// and its ETag (dispatch.RouteETag), also in lists.
type routeJSON struct {
	*dispatch.Route
	Path [][2]float64 `json:"path"`
	ETag string       `json:"etag"`
}

func newRouteJSON(rt *dispatch.Route) routeJSON {
	path := make([][2]float64, len(rt.Geometry))
	for i, p := range rt.Geometry {
		path[i] = [2]float64{p.Lat(), p.Lon()}
	}
	return routeJSON{Route: rt, Path: path, ETag: dispatch.RouteETag(rt)}
}

// handleRouteList lists a day's routes: every route for dispatchers, only
// their own team's published or live routes for team leads.
func (s *Server) handleRouteList(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireAny(actor, dispatch.ActViewTeamWork, dispatch.ActViewOrgWork); err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := dispatch.RouteFilter{Day: q.Get("day")}
	if f.Day != "" {
		if _, err := time.Parse(time.DateOnly, f.Day); err != nil {
			s.Error(w, r, dispatch.Invalid("day", "day must be a date like 2026-12-01."))
			return
		}
	}
	for _, st := range listParam(q, "status") {
		f.Statuses = append(f.Statuses, dispatch.RouteStatus(st))
	}
	f, err := dispatch.ScopeRouteFilter(actor, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	routes, err := s.Plan.Routes.FindRoutes(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := make([]routeJSON, len(routes))
	for i, rt := range routes {
		out[i] = newRouteJSON(rt)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRouteView(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireAny(actor, dispatch.ActViewTeamWork, dispatch.ActViewOrgWork); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathID(r, "id", "route")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if scope, ok := dispatch.CanSeeRoutesOf(actor); ok && scope != nil {
		s.serveOrgRoute(w, r, actor, id)
		return
	}
	if _, err := dispatch.ScopeRouteFilter(actor, dispatch.RouteFilter{}); err != nil {
		s.Error(w, r, err)
		return
	}
	rt, err := s.Plan.Routes.FindRouteByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := dispatch.CanSeeRoute(actor, rt); err != nil {
		s.Error(w, r, err)
		return
	}
	setETag(w, dispatch.RouteETag(rt))
	writeJSON(w, http.StatusOK, newRouteJSON(rt))
}

// serveOrgRoute shows a coordinator a route of their organisation's team;
// drafts and other organisations' routes are not found.
func (s *Server) serveOrgRoute(w http.ResponseWriter, r *http.Request, actor *dispatch.User, id int64) {
	rt, err := s.Plan.Routes.FindRouteByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.Registry == nil {
		s.Error(w, r, unavailable("The registry"))
		return
	}
	t, err := s.Registry.FindTeamByID(r.Context(), rt.TeamID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if dispatch.RequireOrgTeamView(actor, t.ID, t.OrganisationID) != nil || rt.Status == dispatch.RouteDraft {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no route %d for your organisation.", id))
		return
	}
	writeJSON(w, http.StatusOK, newRouteJSON(rt))
}

// publishInput is the body of POST /api/routes/publish. ETags maps route
// ids to the ETag (routeJSON.etag) of the draft the dispatcher reviewed;
// a draft that changed since is not published (412).
type publishInput struct {
	RouteIDs []int64          `json:"route_ids"`
	ETags    map[int64]string `json:"etags"`
}

func (s *Server) handleRoutePublish(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	in, ok := decodeBody[publishInput](s, w, r)
	if !ok {
		return
	}
	ids, err := s.Plan.Routes.PublishRoutes(r.Context(), actor, in.RouteIDs, in.ETags)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"published": ids})
}

type moveInput struct {
	RouteID  int64 `json:"route_id"`
	Position int   `json:"position"`
	// DryRun previews the move: nothing changes; the answer holds the
	// impacts of the routes it would change, before and after.
	DryRun bool `json:"dry_run"`
}

// scheduling is what the stores need to recompute ETAs inside an edit's
// transaction; nil when no travel model is wired.
func (s *Server) scheduling() *dispatch.Scheduling {
	if s.Plan.Travel == nil {
		return nil
	}
	sched := &dispatch.Scheduling{Travel: s.Plan.Travel(), Now: s.now(), Location: dispatch.DefaultPlanRules().Location}
	if s.Plan.Planner != nil && s.Plan.Planner.Rules.Location != nil {
		sched.Location = s.Plan.Planner.Rules.Location
	}
	return sched
}

// stopEdit reads If-Match (the stop's ETag, optional) into a StopEdit that
// also recomputes ETAs in the edit's transaction.
func (s *Server) stopEdit(r *http.Request) (dispatch.StopEdit, error) {
	v, err := ifMatch(r)
	return dispatch.StopEdit{Expect: v, Schedule: s.scheduling()}, err
}

// writeStopEdit answers a stop edit: the changed routes and, with its ETag,
// the stop as it is now, so the client can edit it again without a reload.
func (s *Server) writeStopEdit(w http.ResponseWriter, r *http.Request, stopID int64, changed []int64, extra map[string]any) {
	out := map[string]any{"changed_routes": changed}
	for k, v := range extra {
		out[k] = v
	}
	if routes, err := s.Plan.Routes.FindRoutes(r.Context(), dispatch.RouteFilter{IDs: changed}); err == nil {
		for _, rt := range routes {
			for _, st := range rt.Stops {
				if st.ID == stopID {
					st := st
					out["stop"] = &st
					setETag(w, dispatch.ETag(st.Version))
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleStopMove(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	id, err := pathID(r, "id", "stop")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	edit, err := s.stopEdit(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[moveInput](s, w, r)
	if !ok {
		return
	}
	if in.RouteID <= 0 {
		s.Error(w, r, dispatch.Invalid("route_id", "route_id is required."))
		return
	}
	impacter, canImpact := s.Plan.Routes.(dispatch.RouteImpacter)
	if in.DryRun {
		if !canImpact {
			s.Error(w, r, dispatch.Errorf(codeUnavailable, "Move previews are not available on this server."))
			return
		}
		before, after, err := impacter.PreviewMoveStop(r.Context(), actor, id, in.RouteID, in.Position, edit)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"preview": true, "before": before, "after": after})
		return
	}
	changed, err := s.Plan.Routes.MoveStop(r.Context(), actor, id, in.RouteID, in.Position, edit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var extra map[string]any
	if canImpact {
		// The consequence of the move, as it now stands.
		if im, err := impacter.RouteImpacts(r.Context(), changed); err == nil {
			extra = map[string]any{"impacts": im}
		}
	}
	s.writeStopEdit(w, r, id, changed, extra)
}

type lockInput struct {
	Locked bool `json:"locked"`
}

func (s *Server) handleStopLock(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	id, err := pathID(r, "id", "stop")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	edit, err := s.stopEdit(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[lockInput](s, w, r)
	if !ok {
		return
	}
	route, err := s.Plan.Routes.SetStopLocked(r.Context(), actor, id, in.Locked, edit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeStopEdit(w, r, id, []int64{route}, map[string]any{"route_id": route, "locked": in.Locked})
}

func (s *Server) handleStopRemove(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	id, err := pathID(r, "id", "stop")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	edit, err := s.stopEdit(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	route, err := s.Plan.Routes.RemoveStop(r.Context(), actor, id, edit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"changed_routes": []int64{route}})
}

// sessionPlans remembers the planning jobs each session started on this
// instance, for the per-session cap (the per-user cap is the store's, over
// every instance).
type sessionPlans struct {
	mu   sync.Mutex
	jobs map[string][]int64
}

// startPlanFor starts a planning job unless the session already has
// dispatch.MaxRunningPlansPerSession running.
func (s *Server) startPlanFor(r *http.Request, actor *dispatch.User, scope dispatch.PlanScope) (int64, error) {
	token := sessionFrom(r.Context()).Token
	p := &s.plans
	p.mu.Lock()
	defer p.mu.Unlock()
	var running []int64
	for _, id := range p.jobs[token] {
		job, err := s.Plan.Planner.Store.FindPlanningJob(r.Context(), id)
		if err != nil && dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
			return 0, err
		}
		if err == nil && job.Status == "running" {
			running = append(running, id)
		}
	}
	if err := dispatch.CheckRunningPlans(len(running), dispatch.MaxRunningPlansPerSession); err != nil {
		return 0, err
	}
	id, err := s.Plan.Planner.Start(r.Context(), actor, scope)
	if err != nil {
		return 0, err
	}
	if p.jobs == nil {
		p.jobs = map[string][]int64{}
	}
	p.jobs[token] = append(running, id)
	return id, nil
}
