-- 0006_one_route_per_request: a request is on at most one route at a time.
-- A stop to visit (pending), being visited (arrived) or visited (done)
-- excludes any other such stop of the same request; stops that ended
-- without service (not_home, no_access) or were removed do not, so a failed
-- visit can be planned again. It is an exclusion constraint rather than a
-- partial unique index because it must be DEFERRABLE: re-planning moves a
-- request from one route to another inside one transaction, and the rule
-- holds at commit.

-- Repair what the old planner could leave behind (a request pending on two
-- routes, or pending again after being done): keep the stop that counts
-- (done, then arrived, then the newest) and remove the other pending ones.
UPDATE stops s SET status = 'removed', seq = 0
FROM (SELECT id, row_number() OVER (PARTITION BY request_id
        ORDER BY status = 'done' DESC, status = 'arrived' DESC, id DESC) AS rn
      FROM stops WHERE status IN ('pending', 'arrived', 'done')) d
WHERE s.id = d.id AND d.rn > 1 AND s.status = 'pending';

ALTER TABLE stops ADD CONSTRAINT stops_one_live_stop_per_request
    EXCLUDE USING btree (request_id WITH =) WHERE (status IN ('pending', 'arrived', 'done'))
    DEFERRABLE INITIALLY DEFERRED;
