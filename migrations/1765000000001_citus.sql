-- Up Migration

-- Citus (issue 16): acts only in a database that has the citus extension, i.e. the coordinator of a
-- Citus cluster whose workers were added before `engram migrate` (docs/OPERATIONS.md, "Citus").
-- Everywhere else (one PostgreSQL, PGlite) it does nothing.
--
-- Every tenant table is distributed by user_hash and co-located with user_keys: a tenant's rows of
-- every table live in one shard group on one worker, so each statement (which names its user_hash)
-- runs on one shard, and the foreign keys and cascades (all of which lead with user_hash since
-- 1765000000000) hold inside it. The one global table, the embedding space, is a reference table
-- (a copy on every node). The forced RLS policies, grants and indexes of each table are created on
-- every shard by Citus; the HNSW index (store/embedding-space.ts) likewise, per shard.
--
-- Citus opens its connections to the workers as the current role, and the service runs as
-- engram_app (maintenance as engram_maintenance): both must be allowed to log in, which this does.
-- pg_hba.conf decides from where: on the workers only from the coordinator, on the coordinator not
-- at all (docs/SECURITY.md, "Citus"). The roles' settings stay NOSUPERUSER NOBYPASSRLS.
DO $$
DECLARE
  t text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0) THEN
    RAISE EXCEPTION 'this Citus coordinator has no workers: add them (SELECT citus_add_node(host, port)) before engram migrate';
  END IF;
  -- One connection per worker for the DDL of this transaction (foreign keys between the new shards).
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

  PERFORM create_reference_table('engram_embedding_space');
  PERFORM create_distributed_table('user_keys', 'user_hash');
  -- Referenced tables before the tables that reference them.
  FOREACH t IN ARRAY ARRAY['memories', 'memory_chunks', 'keyword_docs', 'keyword_postings',
                           'entities', 'entity_aliases', 'entity_mentions', 'entity_relationships'] LOOP
    PERFORM create_distributed_table(t, 'user_hash', colocate_with => 'user_keys');
  END LOOP;

  -- Citus sends ALTER ROLE to every worker, so they all end up alike. Only when needed: the roles are
  -- shared by every database of the cluster, and another one may already have done it.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN ('engram_app', 'engram_maintenance') AND NOT rolcanlogin) THEN
    BEGIN
      ALTER ROLE engram_app LOGIN;
      ALTER ROLE engram_maintenance LOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'Citus connects to the workers as engram_app and engram_maintenance, so they must be allowed to log in: give the migrating role CREATEROLE, or have a superuser run ALTER ROLE engram_app LOGIN; ALTER ROLE engram_maintenance LOGIN';
    END;
  END IF;
END
$$;

-- Down Migration

DO $$ BEGIN RAISE EXCEPTION 'migration 1765000000001_citus cannot be reverted: undistribute by hand (undistribute_table) or restore a backup'; END $$;
