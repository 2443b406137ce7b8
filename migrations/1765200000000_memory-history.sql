-- Up Migration

-- A per-memory history (issue 18, the mem0-compatible API's `history`): one row per UPDATE of a
-- memory's text (the old and the new text, each sealed under the user's data key with an AAD bound to
-- user, table, row and column) and one per DELETE (no text: a delete also clears the texts of that
-- memory's earlier rows). The ADD event is the memory row itself (its created_at), or, once the
-- memory is deleted, the DELETE row's added_at. Expired memories take their history with them (the
-- sweeper deletes both); erasing a user deletes all of it.
CREATE TABLE memory_history (
  user_hash       text        NOT NULL,
  id              uuid        NOT NULL,
  memory_id       uuid        NOT NULL,
  event           text        NOT NULL CHECK (event IN ('UPDATE', 'DELETE')),
  old_ciphertext  bytea,
  new_ciphertext  bytea,
  added_at        timestamptz,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (user_hash, id)
);
CREATE INDEX memory_history_memory_idx ON memory_history (user_hash, memory_id, created_at);

ALTER TABLE memory_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory_history FORCE ROW LEVEL SECURITY;
CREATE POLICY memory_history_select ON memory_history FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memory_history_insert ON memory_history FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memory_history_update ON memory_history FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY memory_history_delete ON memory_history FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
GRANT SELECT, INSERT, UPDATE, DELETE ON memory_history TO engram_app;

-- On a Citus coordinator (see 1765000000001): sharded by user_hash beside the other tenant tables.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    PERFORM create_distributed_table('memory_history', 'user_hash', colocate_with => 'user_keys');
  END IF;
END
$$;

-- Down Migration

DROP TABLE IF EXISTS memory_history;
