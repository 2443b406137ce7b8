-- Up Migration

-- Every key names its tenant (issue 16). Primary keys, unique constraints and foreign keys of the
-- tenant tables all lead with user_hash, on every backend, so that on Citus (where every tenant table
-- is distributed by user_hash: the next migration) each one holds inside one shard, and a row can
-- only ever reference a row of its own tenant. The statements name user_hash as well: each runs on
-- one shard.
--
-- The entity prune trigger goes too: Citus does not run triggers with transition tables on
-- distributed tables. The application prunes instead (store/entity-repository.ts `prune`), in the
-- same transaction as the delete that left an entity without a mention.

DROP TRIGGER IF EXISTS entity_mentions_prune ON entity_mentions;
DROP FUNCTION IF EXISTS entity_mentions_prune();

-- Foreign keys that point at a single-column key, then those keys.
ALTER TABLE memory_chunks DROP CONSTRAINT memory_chunks_memory_id_fkey;
ALTER TABLE keyword_docs DROP CONSTRAINT keyword_docs_chunk_id_fkey;
ALTER TABLE keyword_postings DROP CONSTRAINT keyword_postings_chunk_id_fkey;
ALTER TABLE entity_aliases DROP CONSTRAINT entity_aliases_entity_id_fkey;
ALTER TABLE entity_mentions
  DROP CONSTRAINT entity_mentions_entity_id_fkey,
  DROP CONSTRAINT entity_mentions_memory_id_fkey,
  DROP CONSTRAINT entity_mentions_chunk_id_fkey;
ALTER TABLE entity_relationships
  DROP CONSTRAINT entity_relationships_source_id_fkey,
  DROP CONSTRAINT entity_relationships_target_id_fkey,
  DROP CONSTRAINT entity_relationships_memory_id_fkey,
  DROP CONSTRAINT entity_relationships_chunk_id_fkey;

ALTER TABLE memories DROP CONSTRAINT memories_pkey, ADD PRIMARY KEY (user_hash, id);
ALTER TABLE memory_chunks
  DROP CONSTRAINT memory_chunks_pkey,
  DROP CONSTRAINT memory_chunks_memory_id_ordinal_key,
  ADD PRIMARY KEY (user_hash, id),
  ADD UNIQUE (user_hash, memory_id, ordinal);
ALTER TABLE keyword_docs DROP CONSTRAINT keyword_docs_pkey, ADD PRIMARY KEY (user_hash, chunk_id);
ALTER TABLE entities DROP CONSTRAINT entities_pkey, ADD PRIMARY KEY (user_hash, id);
ALTER TABLE entity_mentions DROP CONSTRAINT entity_mentions_pkey, ADD PRIMARY KEY (user_hash, id);
ALTER TABLE entity_relationships DROP CONSTRAINT entity_relationships_pkey, ADD PRIMARY KEY (user_hash, id);

DROP INDEX memory_chunks_memory_idx; -- the (user_hash, memory_id, ordinal) key serves it
DROP INDEX keyword_postings_chunk_idx;
CREATE INDEX keyword_postings_chunk_idx ON keyword_postings (user_hash, chunk_id);
DROP INDEX entities_user_idx; -- the primary key leads with user_hash
DROP INDEX entity_aliases_entity_idx;
CREATE INDEX entity_aliases_entity_idx ON entity_aliases (user_hash, entity_id);
DROP INDEX entity_mentions_entity_idx;
DROP INDEX entity_mentions_memory_idx;
DROP INDEX entity_mentions_chunk_uniq;
CREATE INDEX entity_mentions_entity_idx ON entity_mentions (user_hash, entity_id);
CREATE INDEX entity_mentions_memory_idx ON entity_mentions (user_hash, memory_id);
CREATE UNIQUE INDEX entity_mentions_chunk_uniq ON entity_mentions (user_hash, entity_id, chunk_id) WHERE chunk_id IS NOT NULL;
DROP INDEX entity_relationships_source_idx;
DROP INDEX entity_relationships_target_idx;
DROP INDEX entity_relationships_memory_idx;
CREATE INDEX entity_relationships_source_idx ON entity_relationships (user_hash, source_id);
CREATE INDEX entity_relationships_target_idx ON entity_relationships (user_hash, target_id);
CREATE INDEX entity_relationships_memory_idx ON entity_relationships (user_hash, memory_id);

-- The same references as before, each within one tenant.
ALTER TABLE memory_chunks ADD CONSTRAINT memory_chunks_memory_fkey
  FOREIGN KEY (user_hash, memory_id) REFERENCES memories (user_hash, id) ON DELETE CASCADE;
ALTER TABLE keyword_docs ADD CONSTRAINT keyword_docs_chunk_fkey
  FOREIGN KEY (user_hash, chunk_id) REFERENCES memory_chunks (user_hash, id) ON DELETE CASCADE;
ALTER TABLE keyword_postings ADD CONSTRAINT keyword_postings_chunk_fkey
  FOREIGN KEY (user_hash, chunk_id) REFERENCES keyword_docs (user_hash, chunk_id) ON DELETE CASCADE;
ALTER TABLE entity_aliases ADD CONSTRAINT entity_aliases_entity_fkey
  FOREIGN KEY (user_hash, entity_id) REFERENCES entities (user_hash, id) ON DELETE CASCADE;
ALTER TABLE entity_mentions
  ADD CONSTRAINT entity_mentions_entity_fkey
    FOREIGN KEY (user_hash, entity_id) REFERENCES entities (user_hash, id) ON DELETE CASCADE,
  ADD CONSTRAINT entity_mentions_memory_fkey
    FOREIGN KEY (user_hash, memory_id) REFERENCES memories (user_hash, id) ON DELETE CASCADE,
  ADD CONSTRAINT entity_mentions_chunk_fkey
    FOREIGN KEY (user_hash, chunk_id) REFERENCES memory_chunks (user_hash, id) ON DELETE CASCADE;
ALTER TABLE entity_relationships
  ADD CONSTRAINT entity_relationships_source_fkey
    FOREIGN KEY (user_hash, source_id) REFERENCES entities (user_hash, id) ON DELETE CASCADE,
  ADD CONSTRAINT entity_relationships_target_fkey
    FOREIGN KEY (user_hash, target_id) REFERENCES entities (user_hash, id) ON DELETE CASCADE,
  ADD CONSTRAINT entity_relationships_memory_fkey
    FOREIGN KEY (user_hash, memory_id) REFERENCES memories (user_hash, id) ON DELETE CASCADE,
  ADD CONSTRAINT entity_relationships_chunk_fkey
    FOREIGN KEY (user_hash, chunk_id) REFERENCES memory_chunks (user_hash, id) ON DELETE CASCADE;

-- Down Migration

-- Not reversible in place: the single-column keys allowed rows that reference another tenant's rows,
-- which this migration rules out. Restore a backup taken before it instead.
DO $$ BEGIN RAISE EXCEPTION 'migration 1765000000000_tenant-keys cannot be reverted: restore a backup'; END $$;
