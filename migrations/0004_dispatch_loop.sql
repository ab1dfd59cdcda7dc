-- 0004_dispatch_loop: campaigns, planning jobs, execution updates, team
-- positions, welfare alerts, recurring visits and route rosters.

CREATE TABLE campaigns (
    id                    bigserial PRIMARY KEY,
    kind                  text NOT NULL CHECK (kind IN ('snowfall', 'food')),
    title                 text NOT NULL DEFAULT '',
    day                   date NOT NULL,
    snowfall_cm           double precision,
    packages_per_address  int NOT NULL DEFAULT 0 CHECK (packages_per_address >= 0),
    district_ids          bigint[] NOT NULL DEFAULT '{}',
    requests_created      int NOT NULL DEFAULT 0,
    created_by            bigint REFERENCES users(id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    idempotency_key       text UNIQUE
);

ALTER TABLE requests ADD COLUMN campaign_id bigint REFERENCES campaigns(id);
-- the day a request is due; NULL means as soon as possible
ALTER TABLE requests ADD COLUMN due_day date;
-- a campaign creates at most one request per care address
CREATE UNIQUE INDEX requests_campaign_care_idx ON requests (campaign_id, care_address_id)
    WHERE campaign_id IS NOT NULL;
-- a recurring rule creates at most one visit per care address and day
CREATE UNIQUE INDEX requests_recurring_idx ON requests (care_address_id, due_day)
    WHERE source = 'recurring';

-- recurring visits: 'weekly' on visit_day 1..7 (ISO weekday) or 'monthly' on
-- day-of-month visit_day 1..28
ALTER TABLE care_addresses ADD COLUMN visit_rule text CHECK (visit_rule IN ('weekly', 'monthly'));
ALTER TABLE care_addresses ADD COLUMN visit_day int CHECK (visit_day BETWEEN 1 AND 28);
-- the team that visited last, preferred next time (continuity)
ALTER TABLE care_addresses ADD COLUMN last_team_id bigint REFERENCES teams(id);

ALTER TABLE teams ADD COLUMN last_position geography(Point, 4326);
ALTER TABLE teams ADD COLUMN last_position_at timestamptz;

ALTER TABLE routes ADD COLUMN plan_id bigint;
ALTER TABLE stops ADD COLUMN language_match boolean NOT NULL DEFAULT false;
ALTER TABLE stops ADD COLUMN travel_s double precision NOT NULL DEFAULT 0;
ALTER TABLE stops ADD COLUMN distance_m double precision NOT NULL DEFAULT 0;

-- planning_jobs: one background planning run. The partial unique index lets
-- only one job per scope be queued or running, across server instances.
CREATE TABLE planning_jobs (
    id           bigserial PRIMARY KEY,
    scope_key    text NOT NULL,
    scope        jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    progress     int NOT NULL DEFAULT 0,
    message      text NOT NULL DEFAULT '',
    result       jsonb,
    created_by   bigint REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE UNIQUE INDEX planning_jobs_one_running_idx ON planning_jobs (scope_key) WHERE status = 'running';

-- stop_updates remembers each idempotency key a phone sent, with the answer,
-- so a retry on a bad network never applies an update twice.
CREATE TABLE stop_updates (
    idempotency_key  text PRIMARY KEY,
    route_id         bigint NOT NULL REFERENCES routes(id),
    stop_id          bigint REFERENCES stops(id),
    action           text NOT NULL,
    response         jsonb NOT NULL,
    created_by       bigint REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_positions (
    id           bigserial PRIMARY KEY,
    team_id      bigint NOT NULL REFERENCES teams(id),
    location     geography(Point, 4326) NOT NULL,
    accuracy_m   double precision,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_positions_team_idx ON team_positions (team_id, recorded_at);

-- alerts: welfare concerns for the dispatcher (nobody answered at a lone
-- pensioner's door), kept until handled.
CREATE TABLE alerts (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('not_home', 'no_access')),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'handled')),
    stop_id          bigint REFERENCES stops(id),
    request_id       bigint REFERENCES requests(id),
    care_address_id  bigint REFERENCES care_addresses(id),
    team_id          bigint REFERENCES teams(id),
    note             text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    handled_by       bigint REFERENCES users(id),
    handled_at       timestamptz,
    handled_note     text NOT NULL DEFAULT ''
);
CREATE INDEX alerts_open_idx ON alerts (status, created_at);

-- route_members: who was present, ticked by the lead at the start of a route;
-- volunteer hours come from this roster and the route's start and finish.
CREATE TABLE route_members (
    route_id      bigint NOT NULL REFERENCES routes(id) ON DELETE CASCADE,
    volunteer_id  bigint NOT NULL REFERENCES volunteers(id),
    PRIMARY KEY (route_id, volunteer_id)
);
