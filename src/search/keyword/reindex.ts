import type { DataKeys } from '../../crypto/data-keys.js';
import { openChunk } from '../../memory/chunk-crypto.js';
import type { Database, Queryable } from '../../store/database.js';
import { keywordRepository } from '../../store/keyword-repository.js';
import { KEYWORD_TERMS_VERSION } from './terms.js';
import type { KeywordIndex } from './keyword-index.js';

export interface ReindexDeps {
  db: Database;
  dataKeys: DataKeys<Queryable>;
  keywordIndex: KeywordIndex;
}

const PAGE = 500;

/**
 * Rebuilds one user's keyword index from their encrypted chunks with the current term rules (and
 * records their version, KEYWORD_TERMS_VERSION, on the user's key row) (chunks still under the legacy AAD,
 * re-sealed by serve at start, are skipped), in one tenant transaction (the key
 * row locked against a concurrent erase): clear, then decrypt and index a page of chunks at a time.
 * Returns the chunks indexed (0 for a user without a key: erased, nothing readable).
 */
export async function reindexUser(deps: ReindexDeps, userHash: string): Promise<number> {
  return deps.db.withTenant(userHash, async (tx) => {
    const dek = await deps.dataKeys.find(tx, userHash);
    await tx.query(`SELECT 1 FROM user_keys WHERE user_hash = $1 FOR SHARE`, [userHash]);
    if (!dek) return 0;
    await keywordRepository.clear(tx, userHash);
    let after = '00000000-0000-0000-0000-000000000000';
    let total = 0;
    for (;;) {
      const { rows } = await tx.query<{ id: string; memory_id: string; ordinal: number; ciphertext: Uint8Array }>(
        `SELECT id, memory_id, ordinal, ciphertext FROM memory_chunks WHERE user_hash = $1 AND aad_version = 2 AND id > $2 ORDER BY id LIMIT $3`,
        [userHash, after, PAGE],
      );
      if (rows.length === 0) {
        await tx.query(`UPDATE user_keys SET keyword_terms = $2 WHERE user_hash = $1`, [userHash, KEYWORD_TERMS_VERSION]);
        return total;
      }
      const chunks = rows.map((r) => ({
        id: r.id,
        text: openChunk(dek, { userHash, memoryId: r.memory_id, chunkId: r.id, ordinal: r.ordinal }, r.ciphertext),
      }));
      await deps.keywordIndex.write(tx, userHash, dek, chunks);
      total += rows.length;
      after = rows.at(-1)!.id;
    }
  });
}
