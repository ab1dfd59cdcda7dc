package dispatch

// Organisation coordinators. A coordinator (RoleCoordinator) is bound to one
// organisation (User.OrganisationID) and manages its volunteers and teams,
// reviews its sign-ups, confirms its teams' attendance, sees its teams'
// routes and reports and issues its volunteers' certificates. Nothing
// personal of another organisation reaches a coordinator: lists are scoped
// with OrgScope and single records are checked with RequireOrg.
//
// Admins do the same for every organisation; dispatchers confirm attendance
// for every team (they run the day). These functions are the one home of
// those rules: stores and handlers call them.

// OrgScope returns the organisation a user's organisation-scoped lists are
// limited to: the coordinator's own, or nil (no limit) for every other
// role that may see the list at all.
func OrgScope(u *User) *int64 {
	if u != nil && u.Role == RoleCoordinator {
		if u.OrganisationID == nil {
			// A coordinator without an organisation sees nothing: scope to
			// an id no organisation has.
			none := int64(-1)
			return &none
		}
		id := *u.OrganisationID
		return &id
	}
	return nil
}

// InOrgScope reports whether a record of organisation orgID is inside u's
// scope (always true for roles without a scope).
func InOrgScope(u *User, orgID int64) bool {
	s := OrgScope(u)
	return s == nil || *s == orgID
}

// RequireOrg checks that u may do act for a record of organisation orgID:
// the role must allow act, and a coordinator must belong to orgID.
// EUNAUTHORIZED, EFORBIDDEN.
func RequireOrg(u *User, act Action, orgID int64) error {
	if err := Require(u, act); err != nil {
		return err
	}
	if !InOrgScope(u, orgID) {
		return Errorf(EFORBIDDEN, "This belongs to another organisation; you coordinate organisation %d only.", *OrgScope(u))
	}
	return nil
}

// RequireAny returns nil when u may do at least one of acts, else the
// error Require gives for the first.
func RequireAny(u *User, acts ...Action) error {
	for _, a := range acts {
		if u.Can(a) {
			return nil
		}
	}
	return Require(u, acts[0])
}

// RequireRegistryPeople is the coarse check of the volunteer and team
// registry: admins (ActManageTeams) and coordinators (ActManageOrgPeople,
// then scoped with OrgScope and RequireOrgPeople).
func RequireRegistryPeople(u *User) error {
	return RequireAny(u, ActManageTeams, ActManageOrgPeople)
}

// RequireOrgPeople checks that u may create or change a volunteer or team
// of organisation orgID: admins for any, coordinators for their own.
func RequireOrgPeople(u *User, orgID int64) error {
	if u.Can(ActManageTeams) {
		return nil
	}
	return RequireOrg(u, ActManageOrgPeople, orgID)
}

// RequireOrgTeamView allows a coordinator to see the routes of a team of
// their own organisation (teamOrgID); other roles follow RequireTeamView.
func RequireOrgTeamView(u *User, teamID, teamOrgID int64) error {
	if u != nil && u.Role == RoleCoordinator {
		return RequireOrg(u, ActViewOrgWork, teamOrgID)
	}
	return RequireTeamView(u, teamID)
}

// CanSeeRoutesOf reports whether u may list routes: planners see all
// (scope nil), coordinators those of their organisation's teams.
func CanSeeRoutesOf(u *User) (scope *int64, ok bool) {
	if u.Can(ActPlan) {
		return nil, true
	}
	if u.Can(ActViewOrgWork) {
		return OrgScope(u), true
	}
	return nil, false
}

// MapScope decides who sees the live dispatch map's data (requests and
// teams) and how much: dispatchers (ActViewDispatchMap) the whole city
// (scope nil); a coordinator (ActViewOrgWork) only their organisation's
// teams and the requests on those teams' published or running routes, as
// addresses (VisibleStopFields gives a coordinator FieldAddress only; the
// map carries no names, phones or door details). Everyone else EFORBIDDEN.
func MapScope(u *User) (scope *int64, err error) {
	if u.Can(ActViewDispatchMap) {
		return nil, nil
	}
	if u.Can(ActViewOrgWork) {
		return OrgScope(u), nil
	}
	return nil, Require(u, ActViewDispatchMap)
}

// RequireAttendanceConfirm allows dispatchers (any team) and the
// coordinator of the team's organisation to confirm a route's attendance.
func RequireAttendanceConfirm(u *User, teamOrgID int64) error {
	return RequireOrg(u, ActConfirmAttendance, teamOrgID)
}

// RequireAttendanceEdit allows the team's lead, dispatchers and the
// coordinator of the team's organisation to edit a route's attendance.
func RequireAttendanceEdit(u *User, teamID, teamOrgID int64) error {
	if u != nil && u.Role == RoleCoordinator {
		return RequireOrg(u, ActConfirmAttendance, teamOrgID)
	}
	return RequireTeamWork(u, teamID)
}

// RequireAttendanceView allows whoever may edit the attendance and anyone
// who sees the team's work.
func RequireAttendanceView(u *User, teamID, teamOrgID int64) error {
	return RequireOrgTeamView(u, teamID, teamOrgID)
}

// RequireReports is the coarse check of the reports: city-wide
// (ActViewReports) or organisation-scoped (ActViewOrgReports, with
// ReportScope).
func RequireReports(u *User) error {
	return RequireAny(u, ActViewReports, ActViewOrgReports)
}

// ReportScope is the organisation a user's reports are limited to, nil for
// city-wide reports.
func ReportScope(u *User) *int64 {
	if u.Can(ActViewReports) {
		return nil
	}
	return OrgScope(u)
}
