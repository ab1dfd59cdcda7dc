-- 0035_imports: bulk import of care addresses, volunteers and teams from the
-- HQ's spreadsheets (`qamqor import`, the registry's import page).

-- An id from the HQ's own list. When a file has an external id column, rows
-- match on it, so a re-import updates instead of duplicating. Empty means
-- none; uniqueness holds only among the non-empty ones.
ALTER TABLE care_addresses ADD COLUMN external_id text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX care_addresses_external_id_idx ON care_addresses (external_id) WHERE external_id <> '';
ALTER TABLE volunteers ADD COLUMN external_id text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX volunteers_external_id_idx ON volunteers (organisation_id, external_id) WHERE external_id <> '';
ALTER TABLE teams ADD COLUMN external_id text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX teams_external_id_idx ON teams (organisation_id, external_id) WHERE external_id <> '';

-- Volunteers match on phone within their organisation when there is no
-- external id.
CREATE INDEX volunteers_phone_digits_idx ON volunteers (organisation_id, (regexp_replace(phone, '\D', '', 'g')));

-- imports: one uploaded file and what became of it. The file stays until the
-- import is applied or dropped, so the preview and the apply read the same
-- bytes; rows are staged in import_rows batch by batch (one transaction per
-- batch, with progress) and applied together in one transaction, so a failure
-- leaves the registry exactly as it was.
CREATE TABLE imports (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('care-addresses', 'volunteers', 'teams')),
    organisation_id  bigint REFERENCES organisations(id),
    filename         text NOT NULL DEFAULT '',
    format           text NOT NULL CHECK (format IN ('csv', 'xlsx')),
    content          bytea,
    -- the column mapping used: header text -> field name
    mapping          jsonb NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'staging', 'staged', 'applying', 'applied', 'failed')),
    rows_total       int NOT NULL DEFAULT 0,
    rows_done        int NOT NULL DEFAULT 0,
    created          int NOT NULL DEFAULT 0,
    updated          int NOT NULL DEFAULT 0,
    unchanged        int NOT NULL DEFAULT 0,
    rejected         int NOT NULL DEFAULT 0,
    error            text NOT NULL DEFAULT '',
    created_by       bigint REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    applied_at       timestamptz
);
CREATE INDEX imports_created_idx ON imports (created_at DESC);

-- import_rows: the fate of each data row of an import. data holds the
-- normalised record (jsonb keys are the table's column names) for create
-- and update; reason and reason_arg say why a row is rejected.
CREATE TABLE import_rows (
    import_id   bigint NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    line        int NOT NULL,
    fate        text NOT NULL CHECK (fate IN ('create', 'update', 'unchanged', 'reject')),
    target_id   bigint,
    label       text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    reason_arg  text NOT NULL DEFAULT '',
    data        jsonb,
    PRIMARY KEY (import_id, line)
);
