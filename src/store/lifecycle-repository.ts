import type { Queryable } from './database.js';
import { HISTORY_OF_GONE } from './history-repository.js';
import { mentionedEntities, pruneEntities } from './entity-prune.js';
import { live } from './memory-repository.js';

/** SQL of the memory lifecycle (src/lifecycle/): deduplication lookups and expiry deletes. */

export interface StoredByHash {
  id: string;
  chunkIds: string[];
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  /** false: expired (invisible) but not swept yet. */
  live: boolean;
}

export const lifecycleRepository = {
  /** The user's memory with this content hash, expired or not (the unique index allows one). */
  async byContentHash(tx: Queryable, userHash: string, contentHash: Buffer): Promise<StoredByHash | undefined> {
    const { rows } = await tx.query<{
      id: string;
      chunk_ids: string[];
      created_at: Date;
      updated_at: Date;
      expires_at: Date | null;
      live: boolean;
    }>(
      `SELECT m.id, m.created_at, m.updated_at, m.expires_at, ${live('m.')} AS live,
              ARRAY(SELECT c.id::text FROM memory_chunks c WHERE c.user_hash = $1 AND c.memory_id = m.id ORDER BY c.ordinal) AS chunk_ids
         FROM memories m WHERE m.user_hash = $1 AND m.content_hash = $2`,
      [userHash, contentHash],
    );
    const r = rows[0];
    return r && { id: r.id, chunkIds: r.chunk_ids, createdAt: r.created_at, updatedAt: r.updated_at, expiresAt: r.expires_at, live: r.live };
  },

  /**
   * Deletes the memory if it has expired (re-checked on the row as it is when locked: a memory whose
   * expiry was just pushed back stays). Chunks, keyword entries and entity mentions go by cascade.
   */
  async deleteIfExpired(tx: Queryable, userHash: string, id: string): Promise<boolean> {
    const { rows } = await tx.query<{ n: number; entities: string[] }>(
      `WITH gone AS (DELETE FROM memories WHERE user_hash = $1 AND id = $2 AND NOT ${live()} RETURNING id), ${HISTORY_OF_GONE}
       SELECT (SELECT count(*) FROM gone)::int AS n, ${mentionedEntities('SELECT id FROM gone')} AS entities`,
      [userHash, id],
    );
    await pruneEntities(tx, userHash, rows[0]!.entities);
    return rows[0]!.n > 0;
  },

  /**
   * Deletes up to `limit` of the user's expired memories and returns how many. Rows another
   * transaction holds (another node's sweeper, a user's delete) are skipped, not waited for, so
   * sweepers on several nodes share the work and each memory is deleted (and counted) once.
   */
  async deleteExpired(tx: Queryable, userHash: string, limit: number): Promise<number> {
    const { rows } = await tx.query<{ n: number; entities: string[] }>(
      `WITH gone AS (
         DELETE FROM memories WHERE user_hash = $1 AND id IN (
           SELECT id FROM memories
            WHERE user_hash = $1 AND expires_at <= now()
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id),
       ${HISTORY_OF_GONE}
       SELECT (SELECT count(*) FROM gone)::int AS n, ${mentionedEntities('SELECT id FROM gone')} AS entities`,
      [userHash, limit],
    );
    await pruneEntities(tx, userHash, rows[0]!.entities);
    return rows[0]!.n;
  },
};
