-- 0021_audit: the complete, append-only audit trail.
--
-- Every transaction of a logged-in request carries its actor and source
-- address in two transaction-local settings (qamqor.actor_id, qamqor.source;
-- set by the store from the request). Events take their actor from them, and
-- every event also writes an audit row, so no state change can forget to be
-- audited. Reads of personal data and changes that emit no event (users,
-- settings, erasure) write audit rows directly.

CREATE FUNCTION qamqor_actor() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('qamqor.actor_id', true), '')::bigint
$$;
CREATE FUNCTION qamqor_source() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('qamqor.source', true), '')
$$;

ALTER TABLE events ADD COLUMN actor_id bigint DEFAULT qamqor_actor();

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ALTER COLUMN user_id SET DEFAULT qamqor_actor();
ALTER TABLE audit_log ADD COLUMN object_type text NOT NULL DEFAULT 'care_address';
ALTER TABLE audit_log ADD COLUMN object_id bigint;
ALTER TABLE audit_log ADD COLUMN source text NOT NULL DEFAULT qamqor_source();
UPDATE audit_log SET object_id = care_address_id;
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);

-- Rows written the old way (care_address_id only) name their object too.
CREATE FUNCTION audit_log_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.object_id IS NULL AND NEW.object_type = 'care_address' THEN
        NEW.object_id := NEW.care_address_id;
    END IF;
    IF NEW.user_id IS NULL THEN
        NEW.user_id := qamqor_actor();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_fill BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_fill();

-- Append-only: no UPDATE, no TRUNCATE; DELETE only by the retention purge,
-- which announces itself in its own transaction (qamqor.retention = on).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('qamqor.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Every event is a state change: audit it (plan progress ticks excepted,
-- they are the planner's, not a person's).
CREATE FUNCTION events_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type <> 'plan.progress' THEN
        INSERT INTO audit_log (user_id, action, object_type, object_id, care_address_id)
        VALUES (NEW.actor_id, NEW.type, NEW.entity, NEW.entity_id, NULL);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_audit AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_audit();

-- Events stay append-only, with two exceptions that announce themselves:
-- erasure may rewrite a payload (qamqor.erasure = on) and the retention
-- purge may delete old rows (qamqor.retention = on).
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('qamqor.erasure', true) = 'on'
       AND (OLD.id, OLD.type, OLD.entity, OLD.entity_id, OLD.created_at) = (NEW.id, NEW.type, NEW.entity, NEW.entity_id, NEW.created_at) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('qamqor.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'events is append-only';
END $$;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
