package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.TwoFactorStore = (*DB)(nil)

// SecuritySettings implements dispatch.TwoFactorStore.
func (db *DB) SecuritySettings(ctx context.Context) (dispatch.SecuritySettings, error) {
	var s dispatch.SecuritySettings
	var roles []string
	if err := db.pool.QueryRow(ctx, `SELECT require_2fa FROM security_settings WHERE id = 1`).Scan(&roles); err != nil {
		return s, fmt.Errorf("read security settings: %w", err)
	}
	s.Require2FA = []dispatch.Role{}
	for _, r := range roles {
		s.Require2FA = append(s.Require2FA, dispatch.Role(r))
	}
	return s, nil
}

// SaveSecuritySettings implements dispatch.TwoFactorStore; the change is
// audited.
func (db *DB) SaveSecuritySettings(ctx context.Context, actor *dispatch.User, s dispatch.SecuritySettings) error {
	if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	roles := make([]string, len(s.Require2FA))
	for i, r := range s.Require2FA {
		roles[i] = string(r)
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE security_settings SET require_2fa = $1, updated_by = $2, updated_at = now() WHERE id = 1`, roles, actor.ID); err != nil {
			return fmt.Errorf("save security settings: %w", err)
		}
		return recordAudit(ctx, tx, actor, "security.settings", "security_settings", 1, fmt.Sprintf("require_2fa=%v", roles))
	})
}

// TOTPEnabled implements dispatch.TwoFactorStore.
func (db *DB) TOTPEnabled(ctx context.Context, userID int64) (bool, error) {
	var on bool
	err := db.pool.QueryRow(ctx, `SELECT totp_enabled FROM users WHERE id = $1`, userID).Scan(&on)
	return on, translate(err, "User")
}

// CreateLoginTicket implements dispatch.TwoFactorStore.
func (db *DB) CreateLoginTicket(ctx context.Context, userID int64) (string, error) {
	token := randomToken()
	now := db.Now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_tickets WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("purge login tickets: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO login_tickets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
			tokenHash(token), userID, now.Add(dispatch.LoginTicketTTL))
		if err != nil {
			return fmt.Errorf("insert login ticket user=%d: %w", userID, err)
		}
		return nil
	})
	return token, err
}

// UseLoginTicket implements dispatch.TwoFactorStore.
func (db *DB) UseLoginTicket(ctx context.Context, token string) (*dispatch.User, error) {
	var u dispatch.User
	err := db.pool.QueryRow(ctx, `
		WITH t AS (
			UPDATE login_tickets SET attempts = attempts + 1
			WHERE token_hash = $1 AND expires_at > $2 AND attempts < $3
			RETURNING user_id)
		SELECT u.id, u.username, u.full_name, u.role, u.organisation_id, u.team_id, u.active
		FROM t JOIN users u ON u.id = t.user_id WHERE u.active`,
		tokenHash(token), db.Now(), dispatch.MaxSecondFactorTries).
		Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "This login has expired or had too many wrong codes; log in again.")
	} else if err != nil {
		return nil, fmt.Errorf("use login ticket: %w", err)
	}
	return &u, nil
}

// DeleteLoginTicket implements dispatch.TwoFactorStore.
func (db *DB) DeleteLoginTicket(ctx context.Context, token string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM login_tickets WHERE token_hash = $1`, tokenHash(token)); err != nil {
		return fmt.Errorf("delete login ticket: %w", err)
	}
	return nil
}

// BeginTOTP implements dispatch.TwoFactorStore.
func (db *DB) BeginTOTP(ctx context.Context, userID int64, newSecret string) (string, error) {
	var secret string
	var enabled bool
	err := db.pool.QueryRow(ctx, `UPDATE users SET totp_secret = COALESCE(totp_secret, $2) WHERE id = $1
		RETURNING totp_secret, totp_enabled`, userID, newSecret).Scan(&secret, &enabled)
	if err != nil {
		return "", translate(err, "User")
	}
	if enabled {
		return "", dispatch.Errorf(dispatch.ECONFLICT, "Two-factor login is already set up.")
	}
	return secret, nil
}

// TOTPSecret implements dispatch.TwoFactorStore.
func (db *DB) TOTPSecret(ctx context.Context, userID int64) (string, error) {
	var secret *string
	if err := db.pool.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = $1`, userID).Scan(&secret); err != nil {
		return "", translate(err, "User")
	}
	if secret == nil {
		return "", dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not set up.")
	}
	return *secret, nil
}

// UseTOTPStep implements dispatch.TwoFactorStore with a compare-and-set, so
// two logins racing with one code cannot both pass.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
	if err != nil {
		return false, fmt.Errorf("use totp step user=%d: %w", userID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// EnableTOTP implements dispatch.TwoFactorStore.
func (db *DB) EnableTOTP(ctx context.Context, userID int64, recoveryHashes [][]byte) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_enabled = true WHERE id = $1 AND totp_secret IS NOT NULL`, userID); err != nil {
			return fmt.Errorf("enable totp user=%d: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("replace recovery codes user=%d: %w", userID, err)
		}
		for _, h := range recoveryHashes {
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return fmt.Errorf("insert recovery code user=%d: %w", userID, err)
			}
		}
		return recordAudit(ctx, tx, &dispatch.User{ID: userID}, "user.2fa_enabled", "user", userID, "")
	})
}

// UseRecoveryCode implements dispatch.TwoFactorStore.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE recovery_codes SET used_at = now()
		WHERE id = (SELECT id FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL LIMIT 1)`, userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code user=%d: %w", userID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DisableTOTP implements dispatch.TwoFactorStore; it ends the user's
// sessions, and is audited.
func (db *DB) DisableTOTP(ctx context.Context, actor *dispatch.User, userID int64) error {
	if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_enabled = false, totp_last_step = 0 WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("disable totp user=%d: %w", userID, err)
		}
		if tag.RowsAffected() == 0 {
			return dispatch.Errorf(dispatch.ENOTFOUND, "User %d not found.", userID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("delete recovery codes user=%d: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("end sessions user=%d: %w", userID, err)
		}
		return recordAudit(ctx, tx, actor, "user.2fa_reset", "user", userID, "")
	})
}
