import type { Queryable } from './database.js';
import { live } from './memory-repository.js';

/**
 * Chunks read whole (not by vector): the summarizer's inputs. Like memory-repository, every
 * statement filters on user_hash too; RLS is the guarantee, the predicate lets the planner use the
 * tenant indexes. Rows come in reading order: memory time, then memory id, then chunk ordinal.
 */

export interface ChunkRow {
  chunkId: string;
  memoryId: string;
  ordinal: number;
  ciphertext: Uint8Array;
  createdAt: Date;
}

type DbChunk = { id: string; memory_id: string; ordinal: number; ciphertext: Uint8Array; created_at: Date };
const toChunk = (r: DbChunk): ChunkRow => ({
  chunkId: r.id,
  memoryId: r.memory_id,
  ordinal: r.ordinal,
  ciphertext: r.ciphertext,
  createdAt: r.created_at,
});

export const chunkRepository = {
  /** Every chunk of the given memories that belong to the tenant (another tenant's ids match nothing). */
  async ofMemories(tx: Queryable, userHash: string, memoryIds: string[]): Promise<ChunkRow[]> {
    const { rows } = await tx.query<DbChunk>(
      `SELECT id, memory_id, ordinal, ciphertext, created_at FROM memory_chunks
        WHERE user_hash = $1 AND memory_id = ANY($2::uuid[]) AND ${live()}
        ORDER BY created_at, memory_id, ordinal`,
      [userHash, memoryIds],
    );
    return rows.map(toChunk);
  },

  /**
   * The chunks of the newest `limit` memories created in [after, before) (either bound optional),
   * and whether more memories matched than `limit`.
   */
  async inTimeRange(
    tx: Queryable,
    userHash: string,
    range: { after?: Date; before?: Date },
    limit: number,
  ): Promise<{ chunks: ChunkRow[]; truncated: boolean }> {
    const params: unknown[] = [userHash, limit + 1];
    const where = ['user_hash = $1', live()];
    if (range.after) {
      params.push(range.after);
      where.push(`created_at >= $${params.length}`);
    }
    if (range.before) {
      params.push(range.before);
      where.push(`created_at < $${params.length}`);
    }
    const { rows: ids } = await tx.query<{ id: string }>(
      `SELECT id FROM memories WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    const truncated = ids.length > limit;
    const memoryIds = ids.slice(0, limit).map((r) => r.id);
    if (memoryIds.length === 0) return { chunks: [], truncated: false };
    return { chunks: await chunkRepository.ofMemories(tx, userHash, memoryIds), truncated };
  },
};
