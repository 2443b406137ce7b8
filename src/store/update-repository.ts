import type { Queryable } from './database.js';
import { mentionedEntities, pruneEntities } from './entity-prune.js';
import { insertChunkRows, live, MEMORY_COLUMNS, toMemory, type ChunkInsert, type DbMemory, type MemoryRow } from './memory-repository.js';

/**
 * SQL of a memory update (src/lifecycle/update.ts), run in one tenant transaction that holds the
 * user's lock exclusive. Every statement also filters on user_hash, like memory-repository.ts.
 */

/** The values a memory has after an update; chunks carry copies of source, metadata and expires_at. */
export interface MemoryChange {
  source: string | null;
  metadata: Record<string, unknown>;
  expiresAt: Date | null;
  /** A new text: its ciphertext, chunk count and content hash. Absent: the text stays. */
  text?: { ciphertext: Buffer; chunkCount: number; contentHash: Buffer };
}

export const updateRepository = {
  /** The live memory, row-locked for the rest of the transaction; undefined when missing or expired. */
  async lockLive(tx: Queryable, userHash: string, id: string): Promise<MemoryRow | undefined> {
    const { rows } = await tx.query<DbMemory>(
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE user_hash = $1 AND id = $2 AND ${live()} FOR UPDATE`,
      [userHash, id],
    );
    return rows[0] && toMemory(rows[0]);
  },

  /**
   * Deletes the memory's chunks; their keyword entries and entity mentions go by the cascade, and the
   * entities only they supported with them.
   */
  async deleteChunks(tx: Queryable, userHash: string, memoryId: string): Promise<void> {
    const { rows } = await tx.query<{ entities: string[] }>(
      `WITH gone AS (DELETE FROM memory_chunks WHERE user_hash = $1 AND memory_id = $2)
       SELECT ${mentionedEntities('SELECT $2::uuid')} AS entities`,
      [userHash, memoryId],
    );
    await pruneEntities(tx, userHash, rows[0]!.entities);
  },

  /** New chunks of an existing memory: created_at stays the memory's, so date filters and context are unchanged. */
  async insertChunks(
    tx: Queryable,
    userHash: string,
    memory: { id: string; createdAt: Date },
    change: MemoryChange,
    chunks: ChunkInsert[],
    embeddingModel: string,
  ): Promise<void> {
    const { source, metadata, expiresAt } = change;
    await insertChunkRows(tx, userHash, { id: memory.id, source, metadata, createdAt: memory.createdAt, expiresAt }, chunks, embeddingModel);
  },

  /** Writes the new values to the memory (updated_at = now) and to the copies its existing chunks hold. */
  async update(tx: Queryable, userHash: string, id: string, change: MemoryChange): Promise<MemoryRow> {
    const params: unknown[] = [userHash, id, change.source, JSON.stringify(change.metadata), change.expiresAt];
    let text = '';
    if (change.text) {
      params.push(change.text.ciphertext, change.text.chunkCount, change.text.contentHash);
      text = ', text_ciphertext = $6, chunk_count = $7, content_hash = $8';
    }
    const { rows } = await tx.query<DbMemory>(
      `UPDATE memories
          SET source = $3, metadata = $4::jsonb, expires_at = $5,
              updated_at = date_trunc('milliseconds', now())${text}
        WHERE user_hash = $1 AND id = $2
        RETURNING ${MEMORY_COLUMNS}`,
      params,
    );
    // New chunks (a text change) were inserted with these values already.
    if (!change.text) {
      await tx.query(
      `UPDATE memory_chunks SET source = $3, metadata = $4::jsonb, expires_at = $5 WHERE user_hash = $1 AND memory_id = $2`,
      params.slice(0, 5),
      );
    }
    return toMemory(rows[0]!);
  },

  async chunkIds(tx: Queryable, userHash: string, memoryId: string): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM memory_chunks WHERE user_hash = $1 AND memory_id = $2 ORDER BY ordinal`,
      [userHash, memoryId],
    );
    return rows.map((r) => r.id);
  },
};
