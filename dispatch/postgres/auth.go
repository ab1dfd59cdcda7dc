package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
	"golang.org/x/crypto/bcrypt"
)

var _ dispatch.AuthStore = (*DB)(nil)

// dummyHash is compared against when the user does not exist, so a login for
// an unknown name costs as much as one with a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("qamqor-dummy-password"), bcrypt.DefaultCost)

const userColumns = `id, username, full_name, role, organisation_id, team_id, active, version`

func scanUser(row pgx.Row) (*dispatch.User, error) {
	var u dispatch.User
	err := row.Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active, &u.Version)
	return &u, err
}

// Authenticate implements dispatch.AuthStore.
func (db *DB) Authenticate(ctx context.Context, username, password string) (*dispatch.User, error) {
	var hash string
	row := db.pool.QueryRow(ctx, `SELECT password_hash, `+userColumns+` FROM users WHERE username = $1 AND active`, username)
	var u dispatch.User
	err := row.Scan(&hash, &u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active, &u.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong username or password.")
	} else if err != nil {
		return nil, fmt.Errorf("find user username=%s: %w", username, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong username or password.")
	}
	return &u, nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateSession implements dispatch.AuthStore. Only the token's hash is stored.
func (db *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, *dispatch.Session, error) {
	token, csrf := randomToken(), randomToken()
	expires := db.Now().Add(ttl)
	var s dispatch.Session
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND active`, userID))
		if err != nil {
			return translate(err, "User")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at < $2`, userID, db.Now()); err != nil {
			return fmt.Errorf("purge sessions user=%d: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`,
			tokenHash(token), userID, csrf, expires); err != nil {
			return fmt.Errorf("insert session user=%d: %w", userID, err)
		}
		s = dispatch.Session{User: u, CSRFToken: csrf, ExpiresAt: expires}
		return recordAudit(ctx, tx, u, "login", "user", u.ID, "")
	})
	if err != nil {
		return "", nil, err
	}
	return token, &s, nil
}

// FindSession implements dispatch.AuthStore.
func (db *DB) FindSession(ctx context.Context, token string) (*dispatch.Session, error) {
	var s dispatch.Session
	var u dispatch.User
	err := db.pool.QueryRow(ctx, `
		SELECT s.csrf_token, s.expires_at, u.id, u.username, u.full_name, u.role, u.organisation_id, u.team_id, u.active
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active`, tokenHash(token), db.Now()).
		Scan(&s.CSRFToken, &s.ExpiresAt, &u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Your session has expired; please log in again.")
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	s.User = &u
	return &s, nil
}

// DeleteSession implements dispatch.AuthStore.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		var uid int64
		err := tx.QueryRow(ctx, `DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id`, tokenHash(token)).Scan(&uid)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return recordAudit(ctx, tx, &dispatch.User{ID: uid}, "logout", "user", uid, "")
	})
}

// LiveSessions implements dispatch.AuthStore with one query for all tokens.
func (db *DB) LiveSessions(ctx context.Context, tokens []string) (map[string]*dispatch.User, error) {
	live := make(map[string]*dispatch.User, len(tokens))
	if len(tokens) == 0 {
		return live, nil
	}
	byHash := make(map[string]string, len(tokens))
	hashes := make([][]byte, 0, len(tokens))
	for _, t := range tokens {
		h := tokenHash(t)
		byHash[string(h)] = t
		hashes = append(hashes, h)
	}
	rows, err := db.pool.Query(ctx, `
		SELECT s.token_hash, u.id, u.username, u.full_name, u.role, u.organisation_id, u.team_id, u.active
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ANY($1) AND s.expires_at > $2 AND u.active`, hashes, db.Now())
	if err != nil {
		return nil, fmt.Errorf("check sessions n=%d: %w", len(tokens), err)
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		var u dispatch.User
		if err := rows.Scan(&h, &u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active); err != nil {
			return nil, fmt.Errorf("check sessions: %w", err)
		}
		live[byHash[string(h)]] = &u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	return live, nil
}

// CreateUser implements dispatch.AuthStore; the password is hashed with bcrypt.
func (db *DB) CreateUser(ctx context.Context, u *dispatch.User, password string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if err := dispatch.CheckPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return dispatch.Invalid("password", "The password cannot be used (at most 72 bytes).")
	}
	u.Active = true
	err = db.pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, full_name, organisation_id, team_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, version`,
		u.Username, string(hash), u.Role, u.FullName, u.OrganisationID, u.TeamID).Scan(&u.ID, &u.Version)
	return translate(err, "User")
}
