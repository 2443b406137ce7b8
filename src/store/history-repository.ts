import type { Queryable } from './database.js';

/** A row of memory_history (migrations/1765200000000_memory-history.sql). */
export interface HistoryRow {
  id: string;
  memoryId: string;
  event: 'UPDATE' | 'DELETE';
  oldCiphertext: Buffer | null;
  newCiphertext: Buffer | null;
  addedAt: Date | null;
  createdAt: Date;
}

type DbHistory = {
  id: string;
  memory_id: string;
  event: 'UPDATE' | 'DELETE';
  old_ciphertext: Uint8Array | null;
  new_ciphertext: Uint8Array | null;
  added_at: Date | null;
  created_at: Date;
};

const buf = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b));

/** SQL of the per-memory history; every statement names user_hash (RLS and Citus routing). */
export const historyRepository = {
  async recordUpdate(tx: Queryable, userHash: string, row: { id: string; memoryId: string; oldCiphertext: Buffer; newCiphertext: Buffer }): Promise<void> {
    await tx.query(
      `INSERT INTO memory_history (user_hash, id, memory_id, event, old_ciphertext, new_ciphertext) VALUES ($1, $2, $3, 'UPDATE', $4, $5)`,
      [userHash, row.id, row.memoryId, row.oldCiphertext, row.newCiphertext],
    );
  },

  /** The DELETE event; the memory's earlier texts in its history go with it. */
  async recordDelete(tx: Queryable, userHash: string, row: { id: string; memoryId: string; addedAt: Date }): Promise<void> {
    await tx.query(
      `UPDATE memory_history SET old_ciphertext = NULL, new_ciphertext = NULL WHERE user_hash = $1 AND memory_id = $2`,
      [userHash, row.memoryId],
    );
    await tx.query(
      `INSERT INTO memory_history (user_hash, id, memory_id, event, added_at) VALUES ($1, $2, $3, 'DELETE', $4)`,
      [userHash, row.id, row.memoryId, row.addedAt],
    );
  },

  async forMemory(tx: Queryable, userHash: string, memoryId: string): Promise<HistoryRow[]> {
    const { rows } = await tx.query<DbHistory>(
      `SELECT id, memory_id, event, old_ciphertext, new_ciphertext, added_at, created_at
         FROM memory_history WHERE user_hash = $1 AND memory_id = $2 ORDER BY created_at, id`,
      [userHash, memoryId],
    );
    return rows.map((r) => ({
      id: r.id,
      memoryId: r.memory_id,
      event: r.event,
      oldCiphertext: buf(r.old_ciphertext),
      newCiphertext: buf(r.new_ciphertext),
      addedAt: r.added_at,
      createdAt: r.created_at,
    }));
  },

  async deleteAll(tx: Queryable, userHash: string): Promise<void> {
    await tx.query(`DELETE FROM memory_history WHERE user_hash = $1`, [userHash]);
  },
};

/**
 * A CTE step that deletes the history of the memories a preceding step `gone` (with an `id` column)
 * deleted: expired memories leave nothing behind. `$1` is the user_hash.
 */
export const HISTORY_OF_GONE = `history_gone AS (DELETE FROM memory_history WHERE user_hash = $1 AND memory_id IN (SELECT id FROM gone))`;
