-- 0023_privacy: erasure of a pensioner keeps the row (for anonymous
-- counts in reports) but marks it erased; see dispatch.EraseCareAddress.
ALTER TABLE care_addresses ADD COLUMN erased_at timestamptz;
