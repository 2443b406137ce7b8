-- Up Migration

-- The per-user knowledge graph (src/entities/). Names, predicates and evidence are sealed with the
-- user's data key; a name is found only through its blind index (HMAC under a key derived from
-- the data key). Every row references the user's key row: erasing the user (deleting the key)
-- removes the whole graph by cascade, and deleting a memory removes what it alone supported.

CREATE TABLE entities (
  id uuid PRIMARY KEY,
  user_hash text NOT NULL REFERENCES user_keys (user_hash) ON DELETE CASCADE,
  type text NOT NULL CHECK (type IN ('person', 'organization', 'place', 'date', 'money', 'quantity', 'email', 'url', 'event', 'product')),
  name_ciphertext bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX entities_user_idx ON entities (user_hash);

-- Every normalised surface form of an entity ("caroline", "caroline smith") as a blind index.
CREATE TABLE entity_aliases (
  user_hash text NOT NULL REFERENCES user_keys (user_hash) ON DELETE CASCADE,
  name_index bytea NOT NULL CHECK (octet_length(name_index) = 32),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
  PRIMARY KEY (user_hash, name_index)
);
CREATE INDEX entity_aliases_entity_idx ON entity_aliases (entity_id);

-- Where an entity was found: a chunk of a memory, or (memory_id NULL) text sent with persist=true.
CREATE TABLE entity_mentions (
  id uuid PRIMARY KEY,
  user_hash text NOT NULL REFERENCES user_keys (user_hash) ON DELETE CASCADE,
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
  memory_id uuid REFERENCES memories (id) ON DELETE CASCADE,
  chunk_id uuid REFERENCES memory_chunks (id) ON DELETE CASCADE,
  count integer NOT NULL CHECK (count >= 1),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CHECK ((memory_id IS NULL) = (chunk_id IS NULL))
);
CREATE INDEX entity_mentions_entity_idx ON entity_mentions (entity_id);
CREATE INDEX entity_mentions_memory_idx ON entity_mentions (memory_id);
CREATE UNIQUE INDEX entity_mentions_chunk_uniq ON entity_mentions (entity_id, chunk_id) WHERE chunk_id IS NOT NULL;

CREATE TABLE entity_relationships (
  id uuid PRIMARY KEY,
  user_hash text NOT NULL REFERENCES user_keys (user_hash) ON DELETE CASCADE,
  source_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
  target_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
  predicate_ciphertext bytea NOT NULL,
  evidence_ciphertext bytea NOT NULL,
  memory_id uuid REFERENCES memories (id) ON DELETE CASCADE,
  chunk_id uuid REFERENCES memory_chunks (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CHECK ((memory_id IS NULL) = (chunk_id IS NULL))
);
CREATE INDEX entity_relationships_source_idx ON entity_relationships (source_id);
CREATE INDEX entity_relationships_target_idx ON entity_relationships (target_id);
CREATE INDEX entity_relationships_memory_idx ON entity_relationships (memory_id);

-- An entity no mention supports any more (its last memory was deleted) goes too, with its aliases
-- and relationships. Runs as the caller, under the caller's RLS: it only ever sees one tenant.
CREATE FUNCTION entity_mentions_prune() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM entities e
   WHERE e.id IN (SELECT DISTINCT entity_id FROM gone)
     AND NOT EXISTS (SELECT 1 FROM entity_mentions m WHERE m.entity_id = e.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER entity_mentions_prune AFTER DELETE ON entity_mentions
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION entity_mentions_prune();

ALTER TABLE entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE entities FORCE ROW LEVEL SECURITY;
CREATE POLICY entities_select ON entities FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entities_insert ON entities FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entities_update ON entities FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entities_delete ON entities FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

ALTER TABLE entity_aliases ENABLE ROW LEVEL SECURITY;
ALTER TABLE entity_aliases FORCE ROW LEVEL SECURITY;
CREATE POLICY entity_aliases_select ON entity_aliases FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_aliases_insert ON entity_aliases FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_aliases_update ON entity_aliases FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_aliases_delete ON entity_aliases FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

ALTER TABLE entity_mentions ENABLE ROW LEVEL SECURITY;
ALTER TABLE entity_mentions FORCE ROW LEVEL SECURITY;
CREATE POLICY entity_mentions_select ON entity_mentions FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_mentions_insert ON entity_mentions FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_mentions_update ON entity_mentions FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_mentions_delete ON entity_mentions FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

ALTER TABLE entity_relationships ENABLE ROW LEVEL SECURITY;
ALTER TABLE entity_relationships FORCE ROW LEVEL SECURITY;
CREATE POLICY entity_relationships_select ON entity_relationships FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_relationships_insert ON entity_relationships FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_relationships_update ON entity_relationships FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY entity_relationships_delete ON entity_relationships FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

GRANT SELECT, INSERT, UPDATE, DELETE ON entities, entity_aliases, entity_mentions, entity_relationships TO engram_app;
GRANT EXECUTE ON FUNCTION entity_mentions_prune() TO engram_app;

-- Down Migration

DROP TABLE IF EXISTS entity_relationships;
DROP TABLE IF EXISTS entity_mentions;
DROP TABLE IF EXISTS entity_aliases;
DROP TABLE IF EXISTS entities;
DROP FUNCTION IF EXISTS entity_mentions_prune();
