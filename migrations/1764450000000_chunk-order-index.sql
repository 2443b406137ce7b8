-- Up Migration

-- The user's chunks in write order, (created_at, id), the order of a conversation stored one memory
-- per turn. The conversation-context step of a query (keyword-repository.ts `neighbours`) asks, for
-- each candidate, for the 2 chunks just before and after it: with id in the index each of those is a
-- short index scan that stops after 2 entries, instead of reading and sorting every earlier (or
-- later) chunk of the user. The new index also serves everything the (user_hash, created_at) index
-- served (tenant scans, the bounded count, created_at filters), so that one goes.
CREATE INDEX memory_chunks_user_order_idx ON memory_chunks (user_hash, created_at, id);
DROP INDEX IF EXISTS memory_chunks_user_created_idx;

-- Down Migration

CREATE INDEX IF NOT EXISTS memory_chunks_user_created_idx ON memory_chunks (user_hash, created_at);
DROP INDEX IF EXISTS memory_chunks_user_order_idx;
