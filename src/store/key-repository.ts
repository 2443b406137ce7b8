import type { WrappedKey, WrappedKeyStore } from '../crypto/data-keys.js';
import type { Queryable } from './database.js';
import { lockTenant } from './tenant-lock.js';

type Row = { kek_version: number; wrapped_dek: Uint8Array };
const toKey = (row: Row) => ({ kekVersion: row.kek_version, wrapped: row.wrapped_dek });

export const keyRepository: WrappedKeyStore<Queryable> & {
  destroy(tx: Queryable, userHash: string): Promise<boolean>;
  /** The key row locked FOR UPDATE (rotation): writes and reads go on, an erase waits. */
  lockForRewrap(tx: Queryable, userHash: string): Promise<WrappedKey | undefined>;
  replace(tx: Queryable, userHash: string, kekVersion: number, wrapped: Buffer): Promise<void>;
} = {
  async find(tx, userHash, forWrite) {
    // A write holds the tenant lock (shared) from before it looks for the key until it commits, so
    // an erase (exclusive) waits for it, even for a first write whose key row is not committed yet.
    if (forWrite) await lockTenant(tx, userHash, 'shared');
    const { rows } = await tx.query<Row>(`SELECT kek_version, wrapped_dek FROM user_keys WHERE user_hash = $1`, [userHash]);
    return rows[0] ? toKey(rows[0]) : undefined;
  },
  async insert(tx, userHash, kekVersion, wrapped) {
    // Two first writes of one tenant may race; the loser adopts the winner's key.
    await tx.query(
      `INSERT INTO user_keys (user_hash, kek_version, wrapped_dek) VALUES ($1, $2, $3) ON CONFLICT (user_hash) DO NOTHING`,
      [userHash, kekVersion, wrapped],
    );
    const stored = await keyRepository.find(tx, userHash, true);
    if (!stored) throw new Error('data key vanished after insert');
    return stored;
  },
  async lockForRewrap(tx, userHash) {
    const { rows } = await tx.query<Row>(`SELECT kek_version, wrapped_dek FROM user_keys WHERE user_hash = $1 FOR UPDATE`, [userHash]);
    return rows[0] ? toKey(rows[0]) : undefined;
  },
  async replace(tx, userHash, kekVersion, wrapped) {
    await tx.query(`UPDATE user_keys SET kek_version = $2, wrapped_dek = $3, updated_at = now() WHERE user_hash = $1`, [
      userHash,
      kekVersion,
      wrapped,
    ]);
  },
  async destroy(tx, userHash) {
    const { rows } = await tx.query(`DELETE FROM user_keys WHERE user_hash = $1 RETURNING 1`, [userHash]);
    return rows.length > 0;
  },
};
