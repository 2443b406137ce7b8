-- Up Migration

-- Which tokeniser built each user's keyword index (issue 17: words in every script). Version 1 is
-- the first one (English words only); version 2 segments every script, folds case and accents, and
-- keeps names with apostrophes and hyphens (src/search/keyword/terms.ts, KEYWORD_TERMS_VERSION).
-- Users who exist now keep 1 until `engram reindex` rebuilds their index; a user whose first memory
-- comes later starts at 2. `engram verify` fails while any user is behind.
--
-- One statement a string: on Citus the coordinator forwards a DDL statement's text to the workers, and
-- a text holding two statements is refused there ("cannot insert multiple commands into a prepared
-- statement"), so the two run as separate EXECUTEs.
DO $$
BEGIN
  EXECUTE 'ALTER TABLE user_keys ADD COLUMN keyword_terms smallint NOT NULL DEFAULT 1';
  EXECUTE 'ALTER TABLE user_keys ALTER COLUMN keyword_terms SET DEFAULT 2';
END $$;

-- Down Migration

ALTER TABLE user_keys DROP COLUMN keyword_terms;
