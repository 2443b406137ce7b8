-- Up Migration

-- Blind keyword index (src/search/keyword/). No word is stored: a term is the first 8 bytes of
-- HMAC-SHA256(per-user keyword key, stemmed word), the key derived from the user's data key, so it
-- dies with the user's erase and equal words of two users do not match.

-- One row per indexed chunk: its length in terms (BM25 length normalisation; count and average give
-- the per-user statistics).
CREATE TABLE keyword_docs (
  chunk_id uuid PRIMARY KEY REFERENCES memory_chunks (id) ON DELETE CASCADE,
  user_hash text NOT NULL CHECK (user_hash ~ '^[0-9a-f]{64}$'),
  term_count integer NOT NULL CHECK (term_count >= 0)
);
CREATE INDEX keyword_docs_user_idx ON keyword_docs (user_hash) INCLUDE (term_count);

-- Postings: which chunk holds a keyed term, how often. The primary key serves the per-term lookup
-- (postings and document frequency) of one user.
CREATE TABLE keyword_postings (
  user_hash text NOT NULL CHECK (user_hash ~ '^[0-9a-f]{64}$'),
  term bigint NOT NULL,
  chunk_id uuid NOT NULL REFERENCES keyword_docs (chunk_id) ON DELETE CASCADE,
  tf integer NOT NULL CHECK (tf >= 1),
  PRIMARY KEY (user_hash, term, chunk_id)
);
CREATE INDEX keyword_postings_chunk_idx ON keyword_postings (chunk_id);

ALTER TABLE keyword_docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE keyword_docs FORCE ROW LEVEL SECURITY;
CREATE POLICY keyword_docs_select ON keyword_docs FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY keyword_docs_insert ON keyword_docs FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY keyword_docs_update ON keyword_docs FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY keyword_docs_delete ON keyword_docs FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

ALTER TABLE keyword_postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE keyword_postings FORCE ROW LEVEL SECURITY;
CREATE POLICY keyword_postings_select ON keyword_postings FOR SELECT
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY keyword_postings_insert ON keyword_postings FOR INSERT
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY keyword_postings_update ON keyword_postings FOR UPDATE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''))
  WITH CHECK (user_hash = COALESCE(current_setting('app.user_hash', true), ''));
CREATE POLICY keyword_postings_delete ON keyword_postings FOR DELETE
  USING (user_hash = COALESCE(current_setting('app.user_hash', true), ''));

GRANT SELECT, INSERT, UPDATE, DELETE ON keyword_docs, keyword_postings TO engram_app;

-- Down Migration

DROP TABLE IF EXISTS keyword_postings;
DROP TABLE IF EXISTS keyword_docs;
