package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
	"golang.org/x/crypto/bcrypt"
)

var _ dispatch.UserAdmin = (*DB)(nil)

// FindUsers implements dispatch.UserAdmin.
func (db *DB) FindUsers(ctx context.Context, actor *dispatch.User, p dispatch.Page) ([]*dispatch.User, int, error) {
	if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
		return nil, 0, err
	}
	limit, offset := pageLimit(p)
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+`, count(*) OVER () FROM users
		WHERE $1 = '' OR username ILIKE '%' || $1 || '%' OR full_name ILIKE '%' || $1 || '%'
		ORDER BY username LIMIT $2 OFFSET $3`, p.Q, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	var out []*dispatch.User
	total := 0
	for rows.Next() {
		var u dispatch.User
		if err := rows.Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active, &u.Version, &total); err != nil {
			return nil, 0, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, &u)
	}
	return out, total, rows.Err()
}

// SaveUser implements dispatch.UserAdmin.
func (db *DB) SaveUser(ctx context.Context, actor *dispatch.User, u *dispatch.User, password string) error {
	if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if u.ID == 0 || password != "" {
		if err := dispatch.CheckPassword(password); err != nil {
			return err
		}
	}
	if u.ID == actor.ID && (!u.Active || u.Role != dispatch.RoleAdmin) {
		return dispatch.Invalid("active", "You cannot deactivate or demote yourself; ask another admin.")
	}
	var hash []byte
	if password != "" {
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost); err != nil {
			return dispatch.Invalid("password", "The password cannot be used.")
		}
	}
	if u.ID == 0 {
		return db.inTx(ctx, func(tx pgx.Tx) error {
			err := tx.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, full_name, organisation_id, team_id, active)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, version`,
				u.Username, string(hash), u.Role, u.FullName, u.OrganisationID, u.TeamID, u.Active).Scan(&u.ID, &u.Version)
			if err != nil {
				return translate(err, "User")
			}
			return recordAudit(ctx, tx, actor, "user.created", "user", u.ID, userAuditDetail(u, false))
		})
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockVersion(ctx, tx, actor, versionedUser, u.ID, u.Version); err != nil {
			return err
		}
		old := dispatch.User{ID: u.ID}
		err := tx.QueryRow(ctx, `SELECT role, team_id, active FROM users WHERE id = $1`, u.ID).Scan(&old.Role, &old.TeamID, &old.Active)
		if err != nil {
			return translate(err, "User")
		}
		// The username is the login and stays as created.
		err = tx.QueryRow(ctx, `UPDATE users SET full_name = $2, role = $3, organisation_id = $4, team_id = $5, active = $6,
				password_hash = COALESCE($7, password_hash)
			WHERE id = $1 RETURNING username, version`,
			u.ID, u.FullName, u.Role, u.OrganisationID, u.TeamID, u.Active, nilIfEmpty(hash)).Scan(&u.Username, &u.Version)
		if err != nil {
			return translate(err, "User")
		}
		if u.ID != actor.ID && (!old.SameGrant(u) || hash != nil) {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
				return fmt.Errorf("end sessions user=%d: %w", u.ID, err)
			}
		}
		action := "user.updated"
		switch {
		case old.Active && !u.Active:
			action = "user.deactivated"
		case old.Role != u.Role:
			action = "user.role_changed"
		case hash != nil:
			action = "user.password_reset"
		}
		return recordAudit(ctx, tx, actor, action, "user", u.ID, fmt.Sprintf("was role=%s team=%s active=%v; now %s", old.Role, teamText(old.TeamID), old.Active, userAuditDetail(u, hash != nil)))
	})
}

func nilIfEmpty(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

// userAuditDetail describes a user's grant for the audit trail (no
// personal data beyond the role and team).
func userAuditDetail(u *dispatch.User, passwordReset bool) string {
	d := fmt.Sprintf("role=%s team=%s active=%v", u.Role, teamText(u.TeamID), u.Active)
	if passwordReset {
		d += " password reset"
	}
	return d
}

func teamText(id *int64) string {
	if id == nil {
		return "-"
	}
	return fmt.Sprint(*id)
}
