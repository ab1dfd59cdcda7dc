-- 0045_signup_throttle: the sign-up rate limit, counted in the database so
-- every server instance shares it (fixed windows per client address).
-- Rows live one window at most: each take deletes the stale ones.
CREATE TABLE signup_throttle (
    client        text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    posts         integer NOT NULL
);
CREATE INDEX signup_throttle_window_idx ON signup_throttle (window_start);
