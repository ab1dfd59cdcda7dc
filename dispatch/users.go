package dispatch

import (
	"context"
	"regexp"
	"strings"
)

// User management for admins (ActManageUsers): create users with a role,
// change the role or team, deactivate and reset passwords.

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

// Validate checks a user before saving; the username is lower-cased.
func (u *User) Validate() error {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.FullName = strings.TrimSpace(u.FullName)
	if !usernameRE.MatchString(u.Username) {
		return Invalid("username", "Username: 2–40 characters of a–z, 0–9, dot, dash or underscore.")
	}
	if len(u.FullName) > 200 {
		return Invalid("full_name", "Name is too long (200 characters at most).")
	}
	if !u.Role.Valid() {
		return Invalid("role", "Unknown role %q.", u.Role)
	}
	if u.Role == RoleTeamLead && u.TeamID == nil {
		return Invalid("team_id", "A team lead needs a team.")
	}
	if u.Role != RoleTeamLead {
		u.TeamID = nil
	}
	if u.Role == RoleCoordinator && (u.OrganisationID == nil || *u.OrganisationID <= 0) {
		return Invalid("organisation_id", "A coordinator needs an organisation.")
	}
	return nil
}

// CheckPassword returns EINVALID for a password that is too short or too
// long for bcrypt.
func CheckPassword(p string) error {
	if len(p) < MinPasswordLen || len(p) > 72 {
		return Invalid("password", "The password must have %d to 72 characters.", MinPasswordLen)
	}
	return nil
}

// UserAdmin lists and changes users for admins.
type UserAdmin interface {
	// FindUsers searches username and full name; EFORBIDDEN for non-admins.
	FindUsers(ctx context.Context, actor *User, p Page) ([]*User, int, error)
	// SaveUser creates u when its ID is 0 (password required) or updates
	// its name, role, team, organisation and active flag; a non-empty
	// password resets it. Deactivating or changing a role ends the user's
	// sessions. An admin may not deactivate or demote themself (EINVALID).
	// EINVALID, ENOTFOUND, ECONFLICT (username taken), EFORBIDDEN.
	SaveUser(ctx context.Context, actor *User, u *User, password string) error
}
