-- 0022_visit_approval: a pensioner without recorded consent is visited only
-- when a dispatcher approves the visit (dispatch.VisitAllowed); the planner
-- leaves other such requests unassigned with the reason.
ALTER TABLE requests ADD COLUMN visit_approved_by bigint REFERENCES users(id);
ALTER TABLE requests ADD COLUMN visit_approved_at timestamptz;
