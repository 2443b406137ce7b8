-- Up Migration

-- Memory lifecycle (issue 9): corrections (updated_at), expiry (expires_at) and deduplication
-- (content_hash: an HMAC of the normalised text under a per-user key, never the plain hash).
ALTER TABLE memories ADD COLUMN updated_at timestamptz;
UPDATE memories SET updated_at = created_at;
ALTER TABLE memories
  ALTER COLUMN updated_at SET NOT NULL,
  ALTER COLUMN updated_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE memories ADD COLUMN expires_at timestamptz;
ALTER TABLE memories ADD COLUMN content_hash bytea;
-- One memory per text and user: concurrent identical writes meet here.
CREATE UNIQUE INDEX memories_user_content_idx ON memories (user_hash, content_hash) WHERE content_hash IS NOT NULL;
-- The sweeper's work list.
CREATE INDEX memories_expires_idx ON memories (expires_at) WHERE expires_at IS NOT NULL;
-- Chunks carry a copy, like created_at, so the expiry filter applies inside the vector scan.
ALTER TABLE memory_chunks ADD COLUMN expires_at timestamptz;

-- Down Migration

ALTER TABLE memory_chunks DROP COLUMN IF EXISTS expires_at;
DROP INDEX IF EXISTS memories_expires_idx;
DROP INDEX IF EXISTS memories_user_content_idx;
ALTER TABLE memories DROP COLUMN IF EXISTS content_hash;
ALTER TABLE memories DROP COLUMN IF EXISTS expires_at;
ALTER TABLE memories DROP COLUMN IF EXISTS updated_at;
