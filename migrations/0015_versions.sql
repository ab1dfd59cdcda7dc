-- 0015_versions: optimistic concurrency. Every editable row carries a
-- version that a BEFORE UPDATE trigger raises by one whenever a column a
-- user sees or edits changes. Clients send the version they read (If-Match)
-- and the store refuses the write when it moved on (412). The triggers fire
-- for every writer (planner, field phones, registry), so no code path can
-- forget to bump it.
--
-- Columns that change on their own, without anybody editing the row, are left
-- out on purpose, so that a dispatcher's open form does not go stale every few
-- seconds: ETAs and travel figures of stops, route geometry and totals, team
-- positions, a care address's last team and the updated_at stamps. A stop's
-- seq is left out too: a stop keeps its version when others move around it;
-- the order is part of its route's ETag (dispatch.RouteETag) instead.

CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

ALTER TABLE organisations ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER organisations_version BEFORE UPDATE ON organisations FOR EACH ROW
    WHEN ((OLD.name, OLD.kind, OLD.phone) IS DISTINCT FROM (NEW.name, NEW.kind, NEW.phone))
    EXECUTE FUNCTION bump_version();

ALTER TABLE volunteers ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER volunteers_version BEFORE UPDATE ON volunteers FOR EACH ROW
    WHEN ((OLD.full_name, OLD.birth_year, OLD.languages, OLD.phone, OLD.organisation_id, OLD.active)
          IS DISTINCT FROM (NEW.full_name, NEW.birth_year, NEW.languages, NEW.phone, NEW.organisation_id, NEW.active))
    EXECUTE FUNCTION bump_version();

-- Team members live in team_members; SaveTeam raises the team's version
-- itself when only the members change.
ALTER TABLE teams ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER teams_version BEFORE UPDATE ON teams FOR EACH ROW
    WHEN ((OLD.name, OLD.organisation_id, OLD.lead_volunteer_id, OLD.base::text, OLD.has_vehicle, OLD.capacity_packages,
           OLD.skills, OLD.languages, OLD.shift_start, OLD.shift_end, OLD.color, OLD.active)
          IS DISTINCT FROM (NEW.name, NEW.organisation_id, NEW.lead_volunteer_id, NEW.base::text, NEW.has_vehicle, NEW.capacity_packages,
           NEW.skills, NEW.languages, NEW.shift_start, NEW.shift_end, NEW.color, NEW.active))
    EXECUTE FUNCTION bump_version();

ALTER TABLE users ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER users_version BEFORE UPDATE ON users FOR EACH ROW
    WHEN ((OLD.username, OLD.role, OLD.full_name, OLD.organisation_id, OLD.team_id, OLD.active)
          IS DISTINCT FROM (NEW.username, NEW.role, NEW.full_name, NEW.organisation_id, NEW.team_id, NEW.active))
    EXECUTE FUNCTION bump_version();

ALTER TABLE care_addresses ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER care_addresses_version BEFORE UPDATE ON care_addresses FOR EACH ROW
    WHEN ((OLD.full_name, OLD.phone, OLD.address_text, OLD.entrance, OLD.floor, OLD.flat, OLD.location::text,
           OLD.district_id, OLD.preferred_language, OLD.needs, OLD.immobile, OLD.mobility_notes, OLD.access_notes,
           OLD.consent, OLD.active, OLD.visit_rule, OLD.visit_day)
          IS DISTINCT FROM (NEW.full_name, NEW.phone, NEW.address_text, NEW.entrance, NEW.floor, NEW.flat, NEW.location::text,
           NEW.district_id, NEW.preferred_language, NEW.needs, NEW.immobile, NEW.mobility_notes, NEW.access_notes,
           NEW.consent, NEW.active, NEW.visit_rule, NEW.visit_day))
    EXECUTE FUNCTION bump_version();

ALTER TABLE requests ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER requests_version BEFORE UPDATE ON requests FOR EACH ROW
    WHEN ((OLD.kind, OLD.care_address_id, OLD.address_text, OLD.location::text, OLD.priority, OLD.window_start,
           OLD.window_end, OLD.service_minutes, OLD.packages, OLD.notes, OLD.status, OLD.due_day)
          IS DISTINCT FROM (NEW.kind, NEW.care_address_id, NEW.address_text, NEW.location::text, NEW.priority, NEW.window_start,
           NEW.window_end, NEW.service_minutes, NEW.packages, NEW.notes, NEW.status, NEW.due_day))
    EXECUTE FUNCTION bump_version();

ALTER TABLE routes ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER routes_version BEFORE UPDATE ON routes FOR EACH ROW
    WHEN ((OLD.team_id, OLD.day, OLD.status) IS DISTINCT FROM (NEW.team_id, NEW.day, NEW.status))
    EXECUTE FUNCTION bump_version();

ALTER TABLE stops ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TRIGGER stops_version BEFORE UPDATE ON stops FOR EACH ROW
    WHEN ((OLD.route_id, OLD.request_id, OLD.status, OLD.locked, OLD.note)
          IS DISTINCT FROM (NEW.route_id, NEW.request_id, NEW.status, NEW.locked, NEW.note))
    EXECUTE FUNCTION bump_version();
