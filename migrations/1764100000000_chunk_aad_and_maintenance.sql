-- Up Migration

-- Which AAD sealed a chunk: 1 = tenant and chunk id only (before this migration), 2 = tenant,
-- memory, chunk id and ordinal (src/memory/chunk-crypto.ts). Existing rows are 1 and are re-sealed
-- by the application (the database cannot decrypt): `engram migrate` and `engram serve` do it.
-- The default stays 1 so that a row written by an older build is found and re-sealed too; the
-- current build always writes 2. The serving path opens only version 2, whatever the column says.
ALTER TABLE memory_chunks ADD COLUMN aad_version smallint NOT NULL DEFAULT 1 CHECK (aad_version IN (1, 2));
CREATE INDEX memory_chunks_legacy_aad_idx ON memory_chunks (user_hash) WHERE aad_version = 1;

-- The maintenance role: lets `engram keys` and the chunk re-seal find WHICH tenants have work
-- (user_hash, kek_version, aad_version), never their wrapped keys or texts. RLS is forced even for
-- the owner, so without it no connection could list tenants. It logs in nowhere; the owner (who
-- runs migrations) is made a member and switches to it with SET LOCAL ROLE for one transaction.
-- The work itself (re-wrap, re-seal) runs per tenant as engram_app with app.user_hash set.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engram_maintenance') THEN
    CREATE ROLE engram_maintenance NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database on this cluster created it at the same moment
END
$$;

DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'engram_maintenance', 'MEMBER') THEN
    EXECUTE format('GRANT engram_maintenance TO %I', current_user);
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'could not grant engram_maintenance to %: grant it to the owner for engram keys', current_user;
END
$$;

GRANT USAGE ON SCHEMA public TO engram_maintenance;
-- Column privileges: the role cannot read wrapped_dek, ciphertext, embeddings or metadata.
GRANT SELECT (user_hash, kek_version) ON user_keys TO engram_maintenance;
GRANT SELECT (user_hash, aad_version) ON memory_chunks TO engram_maintenance;
-- SELECT only, and only for that role: engram_app is not a member, so its policies are unchanged.
CREATE POLICY user_keys_maintenance_select ON user_keys FOR SELECT TO engram_maintenance USING (true);
CREATE POLICY memory_chunks_maintenance_select ON memory_chunks FOR SELECT TO engram_maintenance USING (true);

-- Down Migration

DROP POLICY IF EXISTS memory_chunks_maintenance_select ON memory_chunks;
DROP POLICY IF EXISTS user_keys_maintenance_select ON user_keys;
REVOKE ALL ON user_keys, memory_chunks FROM engram_maintenance;
REVOKE USAGE ON SCHEMA public FROM engram_maintenance;
DROP INDEX IF EXISTS memory_chunks_legacy_aad_idx;
ALTER TABLE memory_chunks DROP COLUMN IF EXISTS aad_version;
