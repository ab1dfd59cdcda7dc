package dispatch

import "slices"

// Who may see which routes. Planners (ActPlan) see every route of every
// team, drafts included. A team lead sees only their own team's routes once
// published: drafts are the dispatcher's working copy and may still change
// hands. Other roles see none.

// leadRouteStatuses are the statuses of the routes a team lead may see.
var leadRouteStatuses = []RouteStatus{RoutePublished, RouteInProgress, RouteFinished}

// TeamRouteStatuses are the statuses of the routes a team sees as its own:
// published, started and finished (never drafts or cancelled routes).
func TeamRouteStatuses() []RouteStatus { return slices.Clone(leadRouteStatuses) }

// ScopeRouteFilter returns f narrowed to the routes u may see: unchanged for
// planners; for a team lead, the lead's team and the published, started and
// finished routes only. EUNAUTHORIZED without a user, EFORBIDDEN for roles
// that see no routes and for a lead without a team.
func ScopeRouteFilter(u *User, f RouteFilter) (RouteFilter, error) {
	if scope, ok := CanSeeRoutesOf(u); ok && scope != nil {
		// A coordinator: the organisation's teams' routes, never drafts
		// (coordinator.go).
		f.OrganisationID = scope
		f.Statuses = leadRouteStatuses
		return f, nil
	}
	if err := Require(u, ActViewTeamWork); err != nil {
		return f, err
	}
	if u.Can(ActPlan) {
		return f, nil
	}
	if u.TeamID == nil {
		return f, Errorf(EFORBIDDEN, "You do not lead a team.")
	}
	team := *u.TeamID
	f.TeamID = &team
	f.Statuses = TeamRouteStatuses()
	return f, nil
}

// CanSeeRoute returns nil when u may see r. A route u may not see is
// ENOTFOUND rather than EFORBIDDEN, so a lead cannot probe which ids
// belong to other teams.
func CanSeeRoute(u *User, r *Route) error {
	if err := Require(u, ActViewTeamWork); err != nil {
		return err
	}
	if u.Can(ActPlan) {
		return nil
	}
	if u.TeamID == nil {
		return Errorf(EFORBIDDEN, "You do not lead a team.")
	}
	if *u.TeamID != r.TeamID || r.Status == RouteDraft || r.Status == RouteCancelled {
		return Errorf(ENOTFOUND, "There is no route %d for your team.", r.ID)
	}
	return nil
}
