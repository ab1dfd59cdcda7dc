package dispatch

import (
	"context"
	"time"
)

// Role is what a user may do. Each user has exactly one.
type Role string

// Roles.
const (
	RoleAdmin      Role = "admin"
	RoleDispatcher Role = "dispatcher"
	RoleHotline    Role = "hotline"
	RoleTeamLead   Role = "team_lead"
	// RoleCoordinator manages one organisation (User.OrganisationID): its
	// volunteers, teams, sign-ups, attendance and certificates. See
	// coordinator.go for the rules.
	RoleCoordinator Role = "coordinator"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleDispatcher, RoleHotline, RoleTeamLead, RoleCoordinator}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// User is a person who logs in.
type User struct {
	ID             int64   `json:"id"`
	Version        Version `json:"version"`
	Username       string  `json:"username"`
	FullName       string  `json:"full_name"`
	Role           Role    `json:"role"`
	OrganisationID *int64  `json:"organisation_id,omitempty"`
	TeamID         *int64  `json:"team_id,omitempty"`
	Active         bool    `json:"active"`
}

// Action is something a role may be allowed to do.
type Action string

// Actions checked by Can.
const (
	ActCreateRequest   Action = "request.create"
	ActSearch          Action = "search"
	ActViewRequests    Action = "request.view"
	ActChangeRequests  Action = "request.change"
	ActViewPersonal    Action = "personal.view"
	ActEditCare        Action = "care.edit"
	ActPlan            Action = "plan"
	ActManageTeams     Action = "teams.manage"
	ActManageUsers     Action = "users.manage"
	ActManageOrgs      Action = "orgs.manage"
	ActViewTeamWork    Action = "teamwork.view"
	ActReportProgress  Action = "progress.report"
	ActViewReports     Action = "reports.view"
	ActViewDispatchMap Action = "map.view"
	// ActManageIntegrations: Open311 API keys and webhook subscriptions.
	ActManageIntegrations Action = "integrations.manage"
	// Organisation-scoped actions (coordinator.go): a coordinator may do
	// them only for User.OrganisationID; admins for every organisation.
	ActManageOrgPeople    Action = "orgpeople.manage"
	ActReviewApplications Action = "applications.review"
	ActIssueCertificates  Action = "certificates.issue"
	ActConfirmAttendance  Action = "attendance.confirm"
	ActViewOrgWork        Action = "orgwork.view"
	ActViewOrgReports     Action = "orgreports.view"
)

// permissions is the one table of who may do what. Hotline operators create
// and search requests; dispatchers see and change everything operational;
// team leads see only their team's work (scoped further by TeamID); admins
// manage users, organisations and teams.
var permissions = map[Role][]Action{
	RoleHotline:    {ActCreateRequest, ActSearch, ActViewRequests, ActViewPersonal},
	RoleDispatcher: {ActCreateRequest, ActSearch, ActViewRequests, ActChangeRequests, ActViewPersonal, ActEditCare, ActPlan, ActViewTeamWork, ActViewReports, ActViewDispatchMap, ActConfirmAttendance},
	RoleTeamLead:   {ActViewTeamWork, ActReportProgress},
	RoleAdmin:      {ActManageTeams, ActManageUsers, ActManageOrgs, ActViewPersonal, ActEditCare, ActSearch, ActViewReports, ActViewRequests, ActManageIntegrations, ActManageOrgPeople, ActReviewApplications, ActIssueCertificates, ActViewAudit, ActErase},
	// Coordinators get only organisation-scoped actions, never
	// ActViewPersonal: pensioners' data is not theirs to see.
	RoleCoordinator: {ActManageOrgPeople, ActReviewApplications, ActIssueCertificates, ActConfirmAttendance, ActViewOrgWork, ActViewOrgReports},
}

// Can reports whether the user's role allows the action.
func (u *User) Can(a Action) bool {
	if u == nil || !u.Active {
		return false
	}
	for _, x := range permissions[u.Role] {
		if x == a {
			return true
		}
	}
	return false
}

// Require returns EUNAUTHORIZED for no user and EFORBIDDEN when the role does
// not allow the action.
func Require(u *User, a Action) error {
	if u == nil {
		return Errorf(EUNAUTHORIZED, "Please log in.")
	}
	if !u.Can(a) {
		return Errorf(EFORBIDDEN, "Your role (%s) may not do this.", u.Role)
	}
	return nil
}

// SameGrant reports whether a session opened for u still carries the same
// rights now that the user is v: the same active user with the same role
// and team. Anything else (logout, deactivation, a role or team change)
// ends what the session had opened, such as live sockets.
func (u *User) SameGrant(v *User) bool {
	if u == nil || v == nil || !v.Active || u.ID != v.ID || u.Role != v.Role {
		return false
	}
	if (u.TeamID == nil) != (v.TeamID == nil) {
		return false
	}
	return u.TeamID == nil || *u.TeamID == *v.TeamID
}

// Session is a logged-in browser.
type Session struct {
	User      *User
	CSRFToken string
	ExpiresAt time.Time
}

// AuthStore keeps users and sessions.
type AuthStore interface {
	// Authenticate returns the active user with these credentials, or
	// EUNAUTHORIZED (the same for unknown users and wrong passwords).
	Authenticate(ctx context.Context, username, password string) (*User, error)
	// CreateSession stores a new session and returns its secret token.
	CreateSession(ctx context.Context, userID int64, ttl time.Duration) (token string, s *Session, err error)
	// FindSession returns the live session for token, or EUNAUTHORIZED.
	FindSession(ctx context.Context, token string) (*Session, error)
	// DeleteSession logs a session out.
	DeleteSession(ctx context.Context, token string) error
	// LiveSessions returns, for each of tokens that is still a live session
	// of an active user, that user as stored now. Tokens missing from the
	// map have ended.
	LiveSessions(ctx context.Context, tokens []string) (map[string]*User, error)
	// CreateUser adds a user with a hashed password.
	CreateUser(ctx context.Context, u *User, password string) error
}
