-- 0051_telegram: Telegram links and the durable outbox of notifications.

-- One link per user: a one-time code (its sha-256) until the user sends
-- "/start CODE" to the bot, then the chat. lang is the language the user
-- had on the page when linking; messages are written in it.
CREATE TABLE telegram_links (
    user_id          bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    chat_id          bigint,
    code_hash        bytea UNIQUE,
    code_expires_at  timestamptz,
    lang             text NOT NULL DEFAULT 'kk' CHECK (lang IN ('kk', 'ru', 'en')),
    linked_at        timestamptz
);
CREATE INDEX telegram_links_chat_idx ON telegram_links (chat_id) WHERE chat_id IS NOT NULL;

-- telegram_outbox: every message to send. dedup_key makes enqueueing
-- idempotent (an event processed twice adds nothing); a row is sent by
-- the instance holding its row lock and marked sent in the same
-- transaction, so it goes out once even across restarts.
CREATE TABLE telegram_outbox (
    id          bigserial PRIMARY KEY,
    dedup_key   text NOT NULL UNIQUE,
    chat_id     bigint NOT NULL,
    text        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    attempts    int NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL DEFAULT now(),
    last_error  text NOT NULL DEFAULT '',
    sent_at     timestamptz,
    failed_at   timestamptz,
    message_id  bigint
);
CREATE INDEX telegram_outbox_due_idx ON telegram_outbox (next_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;

-- Where each consumer of the events table has got to.
CREATE TABLE event_cursors (
    name           text PRIMARY KEY,
    last_event_id  bigint NOT NULL DEFAULT 0
);

-- The getUpdates offset of the bot (updates before it are confirmed).
CREATE TABLE telegram_state (
    id             int PRIMARY KEY CHECK (id = 1),
    update_offset  bigint NOT NULL DEFAULT 0
);
INSERT INTO telegram_state (id) VALUES (1);
