-- 0036_import_header: the header row of an imported file, so the rejects
-- download carries the file's own column names after the file is dropped.
ALTER TABLE imports ADD COLUMN header text[] NOT NULL DEFAULT '{}';
