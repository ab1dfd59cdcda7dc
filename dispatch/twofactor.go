package dispatch

import (
	"context"
	"slices"
	"time"
)

// Two-factor login (TOTP, RFC 6238): admins may require it for the roles
// that see or change the most, admins and dispatchers. A user with TOTP
// enabled always needs a code (or a recovery code), whatever the setting.

// TwoFactorRoles are the roles an admin may require a second factor for.
var TwoFactorRoles = []Role{RoleAdmin, RoleDispatcher}

// SecuritySettings are the admins' security switches.
type SecuritySettings struct {
	// Require2FA lists the roles that must log in with a second factor.
	Require2FA []Role `json:"require_2fa"`
}

// Validate accepts only roles of TwoFactorRoles, each once.
func (s *SecuritySettings) Validate() error {
	seen := map[Role]bool{}
	out := []Role{}
	for _, r := range s.Require2FA {
		if !slices.Contains(TwoFactorRoles, r) {
			return Invalid("require_2fa", "Two-factor login can be required for admins and dispatchers only, not %s.", r)
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	s.Require2FA = out
	return nil
}

// SecondFactor is what a login still needs after the password.
type SecondFactor string

// Second factors.
const (
	// NoSecondFactor: the password was enough.
	NoSecondFactor SecondFactor = ""
	// SecondFactorTOTP: a code from the user's authenticator app (or a
	// recovery code).
	SecondFactorTOTP SecondFactor = "totp"
	// SecondFactorEnrol: the role requires a second factor the user has
	// not set up; the login continues with enrolment.
	SecondFactorEnrol SecondFactor = "enrol"
)

// NeedsSecondFactor is the one rule of who must give a second factor.
func NeedsSecondFactor(u *User, totpEnabled bool, s SecuritySettings) SecondFactor {
	switch {
	case totpEnabled:
		return SecondFactorTOTP
	case u != nil && slices.Contains(s.Require2FA, u.Role):
		return SecondFactorEnrol
	}
	return NoSecondFactor
}

// MaxSecondFactorTries is how many codes one login ticket may try.
const MaxSecondFactorTries = 5

// LoginTicketTTL is how long a login may wait for its second factor.
const LoginTicketTTL = 5 * time.Minute

// TwoFactorStore keeps TOTP secrets, recovery codes, login tickets and the
// security settings.
type TwoFactorStore interface {
	// SecuritySettings returns the current settings.
	SecuritySettings(ctx context.Context) (SecuritySettings, error)
	// SaveSecuritySettings stores s; EFORBIDDEN for non-admins, EINVALID.
	SaveSecuritySettings(ctx context.Context, actor *User, s SecuritySettings) error
	// TOTPEnabled reports whether the user has confirmed a TOTP secret.
	TOTPEnabled(ctx context.Context, userID int64) (bool, error)
	// CreateLoginTicket remembers a login that passed the password and
	// returns its secret token.
	CreateLoginTicket(ctx context.Context, userID int64) (string, error)
	// UseLoginTicket counts one try of the ticket and returns its active
	// user; EUNAUTHORIZED when unknown, expired or out of tries.
	UseLoginTicket(ctx context.Context, token string) (*User, error)
	// DeleteLoginTicket ends a ticket (after success).
	DeleteLoginTicket(ctx context.Context, token string) error
	// BeginTOTP returns the user's pending (unconfirmed) secret, storing
	// newSecret as it when there is none; ECONFLICT when TOTP is enabled.
	BeginTOTP(ctx context.Context, userID int64, newSecret string) (string, error)
	// TOTPSecret returns the user's secret (pending or enabled).
	TOTPSecret(ctx context.Context, userID int64) (string, error)
	// UseTOTPStep accepts the 30-second step a code matched if it is later
	// than the last one accepted (no replay); false otherwise.
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// EnableTOTP confirms the pending secret and replaces the recovery
	// codes by these hashes.
	EnableTOTP(ctx context.Context, userID int64, recoveryHashes [][]byte) error
	// UseRecoveryCode marks the unused code with this hash as used;
	// false when there is none.
	UseRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error)
	// DisableTOTP removes the user's secret and recovery codes (admins,
	// for a user who lost the device); EFORBIDDEN for non-admins.
	DisableTOTP(ctx context.Context, actor *User, userID int64) error
}
