-- Up Migration

-- Created here when missing (by an owner allowed to); a superuser may have created it already. Checked
-- first rather than IF NOT EXISTS: on Citus that statement is sent on to the workers, where only the
-- extension's owner may run it (edited after release; the effect is the same on every backend).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    CREATE EXTENSION vector;
  END IF;
END
$$;

-- The role the service runs its queries as. Not a superuser, does not bypass RLS, owns nothing.
-- Created only when missing, so an owner without CREATEROLE can migrate once an admin made it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engram_app') THEN
    CREATE ROLE engram_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database on this cluster created it at the same moment
END
$$;

-- Which model made the stored vectors; one row. Vectors of another model or length are refused.
CREATE TABLE engram_embedding_space (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  model text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One wrapped data key per tenant. Deleting the row crypto-shreds the tenant.
CREATE TABLE user_keys (
  user_hash text PRIMARY KEY CHECK (user_hash ~ '^[0-9a-f]{64}$'),
  kek_version integer NOT NULL CHECK (kek_version >= 1),
  wrapped_dek bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memories (
  id uuid PRIMARY KEY,
  user_hash text NOT NULL CHECK (user_hash ~ '^[0-9a-f]{64}$'),
  source text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  text_ciphertext bytea NOT NULL,
  chunk_count integer NOT NULL CHECK (chunk_count >= 1),
  -- Millisecond precision: list cursors carry JavaScript dates.
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX memories_user_created_idx ON memories (user_hash, created_at DESC, id DESC);

-- Chunks carry copies of source/metadata/created_at so filters apply inside the vector scan.
CREATE TABLE memory_chunks (
  id uuid PRIMARY KEY,
  user_hash text NOT NULL CHECK (user_hash ~ '^[0-9a-f]{64}$'),
  memory_id uuid NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
  ordinal integer NOT NULL CHECK (ordinal >= 0),
  ciphertext bytea NOT NULL,
  embedding vector NOT NULL,
  embedding_model text NOT NULL,
  source text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL,
  UNIQUE (memory_id, ordinal)
);
CREATE INDEX memory_chunks_user_created_idx ON memory_chunks (user_hash, created_at);
CREATE INDEX memory_chunks_memory_idx ON memory_chunks (memory_id);

-- Row-level security: enabled AND forced (the owner is bound too), four policies per table.
-- A missing app.user_hash reads as '' and matches no row.
ALTER TABLE user_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY user_keys_select ON user_keys FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY user_keys_insert ON user_keys FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY user_keys_update ON user_keys FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY user_keys_delete ON user_keys FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

ALTER TABLE memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE memories FORCE ROW LEVEL SECURITY;
CREATE POLICY memories_select ON memories FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memories_insert ON memories FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memories_update ON memories FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memories_delete ON memories FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

ALTER TABLE memory_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY memory_chunks_select ON memory_chunks FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memory_chunks_insert ON memory_chunks FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memory_chunks_update ON memory_chunks FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memory_chunks_delete ON memory_chunks FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

GRANT USAGE ON SCHEMA public TO engram_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON user_keys, memories, memory_chunks TO engram_app;
GRANT SELECT ON engram_embedding_space TO engram_app;

-- Down Migration

DROP TABLE IF EXISTS memory_chunks;
DROP TABLE IF EXISTS memories;
DROP TABLE IF EXISTS user_keys;
DROP TABLE IF EXISTS engram_embedding_space;
