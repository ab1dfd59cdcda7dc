-- 0040_coordinators_hours: organisation coordinators, volunteer sign-up,
-- verified attendance and signed volunteer certificates (issue 12).

-- A coordinator manages one organisation's volunteers and teams.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'dispatcher', 'hotline', 'team_lead', 'coordinator'));
ALTER TABLE users ADD CONSTRAINT users_coordinator_org_check
    CHECK (role <> 'coordinator' OR organisation_id IS NOT NULL);

-- volunteer_applications: a person's request to join an organisation, from
-- the public sign-up page. Nothing reaches a team until a coordinator (or
-- an admin) approves; approval creates the volunteer row.
CREATE TABLE volunteer_applications (
    id                bigserial PRIMARY KEY,
    organisation_id   bigint NOT NULL REFERENCES organisations(id),
    full_name         text NOT NULL,
    birth_date        date NOT NULL,
    phone             text NOT NULL,
    phone_digits      text GENERATED ALWAYS AS (regexp_replace(phone, '\D', '', 'g')) STORED,
    languages         text[] NOT NULL DEFAULT '{}',
    motivation        text NOT NULL DEFAULT '',
    -- under 18: a parent's or guardian's name, phone and consent
    guardian_name     text NOT NULL DEFAULT '',
    guardian_phone    text NOT NULL DEFAULT '',
    guardian_consent  boolean NOT NULL DEFAULT false,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    volunteer_id      bigint REFERENCES volunteers(id),
    decided_by        bigint REFERENCES users(id),
    decided_at        timestamptz,
    decision_note     text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now()
);
-- one open application per phone and organisation: a repeated sign-up is
-- answered exactly like the first and stores nothing new
CREATE UNIQUE INDEX volunteer_applications_pending_idx
    ON volunteer_applications (organisation_id, phone_digits) WHERE status = 'pending';
CREATE INDEX volunteer_applications_org_idx ON volunteer_applications (organisation_id, status, created_at);

-- attendance: when each volunteer of a route's roster was there. Check-in
-- is written at the route's start, check-out at its finish or when the
-- volunteer leaves early; the lead edits both on the phone until a
-- dispatcher or coordinator confirms the route's attendance.
CREATE TABLE attendance (
    route_id      bigint NOT NULL REFERENCES routes(id) ON DELETE CASCADE,
    volunteer_id  bigint NOT NULL REFERENCES volunteers(id),
    check_in      timestamptz NOT NULL,
    check_out     timestamptz,
    updated_by    bigint REFERENCES users(id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (route_id, volunteer_id),
    CHECK (check_out IS NULL OR check_out >= check_in)
);
CREATE INDEX attendance_volunteer_idx ON attendance (volunteer_id, check_in);

-- only confirmed routes count towards a volunteer's hours
ALTER TABLE routes ADD COLUMN attendance_confirmed_at timestamptz;
ALTER TABLE routes ADD COLUMN attendance_confirmed_by bigint REFERENCES users(id);

-- signing_keys: the Ed25519 key certificates are signed with, generated on
-- first use unless QAMQOR_SIGNING_KEY supplies one. Older keys stay so the
-- certificates they signed still verify.
CREATE TABLE signing_keys (
    id           bigserial PRIMARY KEY,
    public_key   bytea NOT NULL UNIQUE,
    -- the 32-byte seed; NULL for a key supplied from the environment
    seed         bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- certificates: a signed statement of a volunteer's verified hours over a
-- period. The signed payload is rebuilt from these columns, so a changed
-- figure no longer matches its signature.
CREATE TABLE certificates (
    id                 bigserial PRIMARY KEY,
    code               text NOT NULL UNIQUE,
    volunteer_id       bigint NOT NULL REFERENCES volunteers(id),
    organisation_id    bigint NOT NULL REFERENCES organisations(id),
    volunteer_name     text NOT NULL,
    organisation_name  text NOT NULL,
    from_day           date NOT NULL,
    to_day             date NOT NULL,
    seconds            bigint NOT NULL CHECK (seconds >= 0),
    visits             int NOT NULL CHECK (visits >= 0),
    language           text NOT NULL DEFAULT 'ru',
    issued_at          timestamptz NOT NULL,
    issued_by          bigint REFERENCES users(id),
    key_id             bigint NOT NULL REFERENCES signing_keys(id),
    signature          bytea NOT NULL,
    revoked_at         timestamptz,
    revoked_by         bigint REFERENCES users(id),
    revoke_reason      text NOT NULL DEFAULT '',
    CHECK (to_day >= from_day)
);
CREATE INDEX certificates_volunteer_idx ON certificates (volunteer_id);
