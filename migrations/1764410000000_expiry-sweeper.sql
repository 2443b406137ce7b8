-- Up Migration

-- The expiry sweeper (src/lifecycle/sweeper.ts) finds WHICH tenants have expired memories as
-- engram_maintenance (see 1764100000000): it may read user_hash and expires_at of memories, never
-- their texts, metadata or content hashes. The deletes run per tenant as engram_app.
GRANT SELECT (user_hash, expires_at) ON memories TO engram_maintenance;
CREATE POLICY memories_maintenance_select ON memories FOR SELECT TO engram_maintenance USING (true);

-- Down Migration

DROP POLICY IF EXISTS memories_maintenance_select ON memories;
REVOKE ALL ON memories FROM engram_maintenance;
