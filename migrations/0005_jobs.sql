-- 0005_jobs: planning runs on the River job queue (its own tables are
-- created by `qamqor migrate` through rivermigrate, see
-- dispatch/postgres/migrate.go). A planning_jobs row stays the record users
-- see (progress, result); river_job_id links it to the queue's job and
-- attempt is the queue attempt that owns it: only that attempt may save.
ALTER TABLE planning_jobs ADD COLUMN river_job_id bigint;
ALTER TABLE planning_jobs ADD COLUMN attempt int NOT NULL DEFAULT 0;
CREATE INDEX planning_jobs_running_idx ON planning_jobs (id) WHERE status = 'running';
