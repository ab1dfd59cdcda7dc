-- 0001_init: the dispatch core. PostGIS and pg_trgm are created by `make db`
-- (as a superuser, in schema public); tables here land in the first schema of
-- the search_path so tests can run each in a schema of its own.

CREATE TABLE organisations (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    -- headquarters, volunteer organisation, initiative group, NGO
    kind        text NOT NULL CHECK (kind IN ('headquarters', 'volunteer_org', 'initiative_group', 'ngo')),
    phone       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE districts (
    id       bigserial PRIMARY KEY,
    name_ru  text NOT NULL UNIQUE,
    name_kk  text NOT NULL,
    kato     text NOT NULL DEFAULT '',
    geom     geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX districts_geom_idx ON districts USING gist (geom);

CREATE TABLE volunteers (
    id               bigserial PRIMARY KEY,
    full_name        text NOT NULL,
    -- minors (under 18 in the current year) are flagged by dispatch.Volunteer.Minor
    birth_year       int NOT NULL CHECK (birth_year BETWEEN 1900 AND 2100),
    languages        text[] NOT NULL DEFAULT '{}',
    phone            text NOT NULL DEFAULT '',
    organisation_id  bigint NOT NULL REFERENCES organisations(id),
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volunteers_org_idx ON volunteers (organisation_id);

CREATE TABLE teams (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL UNIQUE,
    organisation_id    bigint NOT NULL REFERENCES organisations(id),
    lead_volunteer_id  bigint REFERENCES volunteers(id),
    base               geography(Point, 4326) NOT NULL,
    has_vehicle        boolean NOT NULL DEFAULT false,
    capacity_packages  int NOT NULL DEFAULT 0 CHECK (capacity_packages >= 0),
    skills             text[] NOT NULL DEFAULT '{}',
    languages          text[] NOT NULL DEFAULT '{}',
    -- daily shift, local time of Astana
    shift_start        time NOT NULL DEFAULT '09:00',
    shift_end          time NOT NULL DEFAULT '18:00',
    color              text NOT NULL DEFAULT '#3366cc',
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (shift_end > shift_start)
);
CREATE INDEX teams_base_idx ON teams USING gist (base);

CREATE TABLE team_members (
    team_id       bigint NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    volunteer_id  bigint NOT NULL REFERENCES volunteers(id),
    PRIMARY KEY (team_id, volunteer_id)
);
CREATE INDEX team_members_volunteer_idx ON team_members (volunteer_id);

CREATE TABLE users (
    id               bigserial PRIMARY KEY,
    username         text NOT NULL UNIQUE,
    password_hash    text NOT NULL,
    role             text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'hotline', 'team_lead')),
    full_name        text NOT NULL DEFAULT '',
    organisation_id  bigint REFERENCES organisations(id),
    -- a team lead sees only this team's work
    team_id          bigint REFERENCES teams(id),
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'team_lead' OR team_id IS NOT NULL)
);

CREATE TABLE sessions (
    -- sha-256 of the cookie token: a stolen table does not give working cookies
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE care_addresses (
    id                  bigserial PRIMARY KEY,
    full_name           text NOT NULL,
    phone               text NOT NULL DEFAULT '',
    -- digits only, for search by phone in any formatting
    phone_digits        text GENERATED ALWAYS AS (regexp_replace(phone, '\D', '', 'g')) STORED,
    address_text        text NOT NULL,
    entrance            text NOT NULL DEFAULT '',
    floor               text NOT NULL DEFAULT '',
    flat                text NOT NULL DEFAULT '',
    location            geography(Point, 4326) NOT NULL,
    district_id         bigint REFERENCES districts(id),
    preferred_language  text NOT NULL DEFAULT 'ru',
    needs               text[] NOT NULL DEFAULT '{}',
    immobile            boolean NOT NULL DEFAULT false,
    mobility_notes      text NOT NULL DEFAULT '',
    access_notes        text NOT NULL DEFAULT '',
    consent             boolean NOT NULL DEFAULT false,
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX care_addresses_location_idx ON care_addresses USING gist (location);
CREATE INDEX care_addresses_name_trgm_idx ON care_addresses USING gin (lower(full_name) gin_trgm_ops);
CREATE INDEX care_addresses_address_trgm_idx ON care_addresses USING gin (lower(address_text) gin_trgm_ops);
CREATE INDEX care_addresses_phone_idx ON care_addresses (phone_digits);

CREATE TABLE requests (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('snow_clearing', 'food_delivery', 'other')),
    care_address_id  bigint REFERENCES care_addresses(id),
    address_text     text NOT NULL,
    location         geography(Point, 4326) NOT NULL,
    district_id      bigint REFERENCES districts(id),
    source           text NOT NULL CHECK (source IN ('hotline', 'campaign', 'recurring', 'api')),
    priority         text NOT NULL CHECK (priority IN ('normal', 'high', 'urgent')),
    window_start     timestamptz,
    window_end       timestamptz,
    service_minutes  int NOT NULL CHECK (service_minutes BETWEEN 1 AND 480),
    packages         int NOT NULL DEFAULT 0 CHECK (packages >= 0),
    notes            text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'planned', 'assigned', 'in_progress', 'done', 'failed', 'cancelled')),
    -- why the planner could not place it, shown to the dispatcher
    unassigned_reason text NOT NULL DEFAULT '',
    created_by       bigint REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    idempotency_key  text UNIQUE,
    CHECK (window_end IS NULL OR window_start IS NULL OR window_end > window_start)
);
CREATE INDEX requests_location_idx ON requests USING gist (location);
CREATE INDEX requests_status_idx ON requests (status, kind);
CREATE INDEX requests_care_address_idx ON requests (care_address_id) WHERE care_address_id IS NOT NULL;

CREATE TABLE routes (
    id            bigserial PRIMARY KEY,
    team_id       bigint NOT NULL REFERENCES teams(id),
    day           date NOT NULL,
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'published', 'in_progress', 'finished', 'cancelled')),
    distance_m    double precision NOT NULL DEFAULT 0,
    duration_s    double precision NOT NULL DEFAULT 0,
    geom          geometry(LineString, 4326),
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX routes_team_idx ON routes (team_id, day);

CREATE TABLE stops (
    id          bigserial PRIMARY KEY,
    route_id    bigint NOT NULL REFERENCES routes(id) ON DELETE CASCADE,
    request_id  bigint NOT NULL REFERENCES requests(id),
    seq         int NOT NULL,
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'arrived', 'done', 'not_home', 'no_access', 'removed')),
    locked      boolean NOT NULL DEFAULT false,
    eta         timestamptz,
    arrived_at  timestamptz,
    done_at     timestamptz,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX stops_route_idx ON stops (route_id, seq);
CREATE INDEX stops_request_idx ON stops (request_id);

-- events is append-only: every state change writes one row in the same
-- transaction; the live hub reads them by id after commit.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    type        text NOT NULL,
    entity      text NOT NULL,
    entity_id   bigint NOT NULL,
    -- the team whose topic also receives this event, if any
    team_id     bigint,
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only';
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- audit_log records who read or changed a pensioner's personal data.
CREATE TABLE audit_log (
    id               bigserial PRIMARY KEY,
    user_id          bigint REFERENCES users(id),
    action           text NOT NULL CHECK (action IN ('read', 'create', 'update', 'delete')),
    care_address_id  bigint REFERENCES care_addresses(id),
    detail           text NOT NULL DEFAULT '',
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_care_address_idx ON audit_log (care_address_id, at);

-- gazetteer: streets, crossings and house addresses for address search.
CREATE TABLE gazetteer (
    id        bigserial PRIMARY KEY,
    kind      text NOT NULL CHECK (kind IN ('street', 'house', 'crossing')),
    street    text NOT NULL,
    house     text NOT NULL DEFAULT '',
    -- display name, e.g. "улица Кенесары, 40"
    name      text NOT NULL,
    -- normalised search key: lower case, street-type words removed
    norm      text NOT NULL,
    location  geography(Point, 4326) NOT NULL,
    source    text NOT NULL
);
CREATE INDEX gazetteer_norm_trgm_idx ON gazetteer USING gin (norm gin_trgm_ops);
CREATE INDEX gazetteer_location_idx ON gazetteer USING gist (location);
CREATE UNIQUE INDEX gazetteer_unique_idx ON gazetteer (kind, norm, source);
