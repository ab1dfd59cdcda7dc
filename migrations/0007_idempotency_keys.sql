-- 0007_idempotency_keys: Idempotency-Key like the payment APIs. A key is
-- scoped to the user who sent it (two operators' phones may pick the same
-- key), remembers a fingerprint of the request it was used with (the same
-- key with a different body is refused, 422, rather than silently answered
-- with the first result), and is forgotten after 7 days by the
-- purge_idempotency_keys job.
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL,          -- users.id; 0 when no user sent it
    key          text NOT NULL,
    scope        text NOT NULL,            -- what it created: 'request', 'campaign'
    fingerprint  text NOT NULL,            -- sha256 of the normalised body; '' for keys recorded before this migration
    ref_id       bigint,                   -- the record it created
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, ref_id, created_at)
SELECT coalesce(created_by, 0), idempotency_key, 'request', '', id, created_at FROM requests WHERE idempotency_key IS NOT NULL
ON CONFLICT DO NOTHING;
INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, ref_id, created_at)
SELECT coalesce(created_by, 0), idempotency_key, 'campaign', '', id, created_at FROM campaigns WHERE idempotency_key IS NOT NULL
ON CONFLICT DO NOTHING;

-- The old global uniqueness would make one user's key collide with another's.
ALTER TABLE requests DROP CONSTRAINT requests_idempotency_key_key;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_idempotency_key_key;

-- Field updates keep their stored answers in stop_updates, now per user and
-- with the fingerprint of the update.
ALTER TABLE stop_updates DROP CONSTRAINT stop_updates_pkey;
ALTER TABLE stop_updates ADD COLUMN fingerprint text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX stop_updates_user_key_idx ON stop_updates (coalesce(created_by, 0), idempotency_key);
CREATE INDEX stop_updates_created_idx ON stop_updates (created_at);
