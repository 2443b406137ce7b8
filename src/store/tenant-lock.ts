import type { Queryable } from './database.js';

/**
 * One lock per user, taken first in every transaction that reads or writes the user's rows, so
 * that all of them agree on one order (lock, then key row, then memories, then chunks):
 *
 * - `shared`    reads and writes: they run side by side;
 * - `exclusive` erase and update: waits for every read and write in flight for the user, and they
 *   wait for it (an update swaps a memory's chunks: a query sees all the old or all the new ones).
 *
 * An erase therefore sees the rows of every write that started before it (including a user's first
 * write, which creates the key), and a read is wholly before or wholly after it: never rows whose
 * key has just gone. Transaction-level advisory locks end with the transaction (no leaks into
 * pooled connections) and exist on PGlite too. The 64-bit lock id is the first 16 hex digits of
 * user_hash (a keyed HMAC, so ids are uniform and a collision only serialises two users).
 */
const LOCK_ID = `('x' || substr($1::text, 1, 16))::bit(64)::bigint`;

export type TenantLockMode = 'shared' | 'exclusive';

export async function lockTenant(tx: Queryable, userHash: string, mode: TenantLockMode): Promise<void> {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await tx.query(`SELECT ${fn}(${LOCK_ID})`, [userHash]);
}
