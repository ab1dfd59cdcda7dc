-- 0052_webhooks: outbound webhook subscriptions, their deliveries (the
-- durable outbox) and the log of every attempt.

-- secret is "whsec_" + base64 key. It is kept in clear because every
-- delivery is signed with it (unlike API keys, which are only checked).
CREATE TABLE webhooks (
    id           bigserial PRIMARY KEY,
    url          text NOT NULL,
    events       text[] NOT NULL,
    secret       text NOT NULL,
    -- only a trusted subscription (an admin's decision) gets personal data
    trusted      boolean NOT NULL DEFAULT false,
    active       boolean NOT NULL DEFAULT true,
    description  text NOT NULL DEFAULT '',
    created_by   bigint REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One delivery per subscription and event (msg_id = webhook-id header,
-- the same on every retry so receivers can de-duplicate).
CREATE TABLE webhook_deliveries (
    id            bigserial PRIMARY KEY,
    webhook_id    bigint NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    msg_id        text NOT NULL,
    event_type    text NOT NULL,
    -- the exact bytes that are signed and sent
    body          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempts      int NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL DEFAULT now(),
    last_status   int,
    last_error    text NOT NULL DEFAULT '',
    delivered_at  timestamptz,
    failed_at     timestamptz,
    UNIQUE (webhook_id, msg_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_at, id) WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at            timestamptz NOT NULL DEFAULT now(),
    status        int,
    error         text NOT NULL DEFAULT '',
    duration_ms   int NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, at);
