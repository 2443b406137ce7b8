import type { Queryable } from './database.js';

/** SQL for re-sealing chunks stored under the version-1 AAD (memory/chunk-reseal.ts). Tenant transactions. */
export interface ChunkForReseal {
  id: string;
  ordinal: number;
  ciphertext: Uint8Array;
  aadVersion: number;
}

export const legacyChunkRepository = {
  /** Memories of the tenant that still have version-1 chunks, by id after `after`. */
  async memories(tx: Queryable, userHash: string, after: string | null, limit: number): Promise<string[]> {
    const { rows } = await tx.query<{ memory_id: string }>(
      `SELECT DISTINCT memory_id FROM memory_chunks
        WHERE user_hash = $1 AND aad_version = 1 AND ($2::uuid IS NULL OR memory_id > $2::uuid)
        ORDER BY memory_id LIMIT $3`,
      [userHash, after, limit],
    );
    return rows.map((r) => r.memory_id);
  },

  /** The memory's text and all its chunks in order, locked: memory row first, as a delete does. */
  async lockMemory(
    tx: Queryable,
    userHash: string,
    memoryId: string,
  ): Promise<{ textCiphertext: Uint8Array; chunks: ChunkForReseal[] } | undefined> {
    const memory = await tx.query<{ text_ciphertext: Uint8Array }>(
      `SELECT text_ciphertext FROM memories WHERE user_hash = $1 AND id = $2 FOR UPDATE`,
      [userHash, memoryId],
    );
    if (!memory.rows[0]) return undefined;
    const chunks = await tx.query<{ id: string; ordinal: number; ciphertext: Uint8Array; aad_version: number }>(
      `SELECT id, ordinal, ciphertext, aad_version FROM memory_chunks
        WHERE user_hash = $1 AND memory_id = $2 ORDER BY ordinal FOR UPDATE`,
      [userHash, memoryId],
    );
    return {
      textCiphertext: memory.rows[0].text_ciphertext,
      chunks: chunks.rows.map((c) => ({ id: c.id, ordinal: c.ordinal, ciphertext: c.ciphertext, aadVersion: c.aad_version })),
    };
  },

  async reseal(tx: Queryable, userHash: string, chunkId: string, ciphertext: Buffer, aadVersion: number): Promise<void> {
    await tx.query(`UPDATE memory_chunks SET ciphertext = $3, aad_version = $4 WHERE user_hash = $1 AND id = $2`, [
      userHash,
      chunkId,
      ciphertext,
      aadVersion,
    ]);
  },
};
