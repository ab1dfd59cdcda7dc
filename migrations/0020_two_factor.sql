-- 0020_two_factor: TOTP second factor, recovery codes and the admins'
-- setting of which roles must use it.

-- totp_secret is set when enrolment begins and kept once confirmed
-- (totp_enabled). totp_last_step is the last 30-second step accepted, so a
-- code cannot be replayed.
ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;

-- recovery_codes holds only the sha-256 of each code (80 random bits).
CREATE TABLE recovery_codes (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

-- login_tickets: a login that passed the password and waits for its second
-- factor; the cookie holds the token, the table its hash.
CREATE TABLE login_tickets (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    attempts    int NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL
);

-- security_settings: one row, changed by admins.
CREATE TABLE security_settings (
    id           int PRIMARY KEY CHECK (id = 1),
    require_2fa  text[] NOT NULL DEFAULT '{}',
    updated_by   bigint REFERENCES users(id),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO security_settings (id) VALUES (1);
