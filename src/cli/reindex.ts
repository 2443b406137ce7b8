import type { Config } from '../config/schema.js';
import { DataKeys } from '../crypto/data-keys.js';
import { createUserHasher } from '../crypto/user-hash.js';
import { createEmbedder } from '../embed/create-embedder.js';
import { KeywordIndex } from '../search/keyword/keyword-index.js';
import { reindexUser } from '../search/keyword/reindex.js';
import type { Queryable } from '../store/database.js';
import { keyRepository } from '../store/key-repository.js';
import { openDatabase } from '../store/open.js';
import { connectOwner } from '../store/postgres.js';
import { openPGlite } from '../store/pglite.js';

/**
 * `engram reindex`: builds the blind keyword index of existing memories (written before the index
 * existed, or while KEYWORD_INDEX_ENABLED was off). Users come from --user, or else every user with
 * a data key, listed through the owner connection (which must bypass RLS: a superuser or BYPASSRLS).
 */
export async function reindexCommand(cfg: Config, userIds: string[], print: (line: string) => void): Promise<number> {
  if (!cfg.search.keywordIndex) throw new Error('KEYWORD_INDEX_ENABLED is off: nothing to reindex');
  const hashUser = createUserHasher(cfg.keys.hashKey);
  const embedder = createEmbedder(cfg.embeddings);
  await embedder.init();
  try {
    // PGlite allows one connection: list the users before opening the service database.
    const users = userIds.length > 0 ? userIds.map(hashUser) : await listUsers(cfg);
    if (users.length === 0) print('no users found (an owner login that cannot bypass RLS sees none: use --user)');
    const db = await openDatabase(cfg.database, {
      migrate: cfg.migrateOnStart,
      embedding: { model: embedder.model, dimensions: embedder.dimensions },
      strictRoles: false,
      log: () => {},
      warn: () => {},
    });
    try {
      const deps = { db, dataKeys: new DataKeys<Queryable>(cfg.keys.kek, keyRepository), keywordIndex: new KeywordIndex(true) };
      let chunks = 0;
      for (const [i, userHash] of users.entries()) {
        const n = await reindexUser(deps, userHash);
        chunks += n;
        print(`[${i + 1}/${users.length}] user ${userHash.slice(0, 12)}…: ${n} chunks indexed`);
      }
      print(`reindexed ${users.length} users, ${chunks} chunks`);
      return chunks;
    } finally {
      await db.close();
    }
  } finally {
    await embedder.close();
  }
}

async function listUsers(cfg: Config): Promise<string[]> {
  const sql = `SELECT user_hash FROM user_keys ORDER BY user_hash`;
  if (cfg.database.kind === 'pglite') {
    const db = await openPGlite(cfg.database.dataDir);
    try {
      return (await db.pglite.query<{ user_hash: string }>(sql)).rows.map((r) => r.user_hash);
    } finally {
      await db.close();
    }
  }
  const owner = await connectOwner(cfg.database.ownerUrl);
  try {
    return (await owner.query<{ user_hash: string }>(sql)).rows.map((r) => r.user_hash);
  } finally {
    await owner.end();
  }
}
