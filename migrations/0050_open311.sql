-- 0050_open311: API keys for the Open311 GeoReport v2 intake. A key belongs
-- to an organisation (the city's 109 service, an e-government portal); only
-- its sha-256 is stored, so a stolen table gives no working keys. The prefix
-- is the key's first characters, shown to admins to tell keys apart.
CREATE TABLE api_keys (
    id               bigserial PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisations(id),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix           text NOT NULL,
    key_hash         bytea NOT NULL UNIQUE,
    -- requests per minute this key may make; 0 would lock the key out, so
    -- at least 1
    rate_per_minute  int NOT NULL DEFAULT 60 CHECK (rate_per_minute BETWEEN 1 AND 100000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    revoked_at       timestamptz
);
CREATE INDEX api_keys_org_idx ON api_keys (organisation_id);

-- the key a request came in with (source 'api'); contact details the
-- submitter gave stay in notes, which the public API never shows
ALTER TABLE requests ADD COLUMN api_key_id bigint REFERENCES api_keys(id);
CREATE INDEX requests_created_idx ON requests (created_at);
