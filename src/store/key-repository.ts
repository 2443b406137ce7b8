import type { WrappedKeyStore } from '../crypto/data-keys.js';
import type { Queryable } from './database.js';

type Row = { kek_version: number; wrapped_dek: Uint8Array };
const toKey = (row: Row) => ({ kekVersion: row.kek_version, wrapped: row.wrapped_dek });

export const keyRepository: WrappedKeyStore<Queryable> & {
  destroy(tx: Queryable, userHash: string): Promise<boolean>;
} = {
  async find(tx, userHash, forWrite) {
    const { rows } = await tx.query<Row>(
      `SELECT kek_version, wrapped_dek FROM user_keys WHERE user_hash = $1${forWrite ? ' FOR SHARE' : ''}`,
      [userHash],
    );
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
  async destroy(tx, userHash) {
    const { rows } = await tx.query(`DELETE FROM user_keys WHERE user_hash = $1 RETURNING 1`, [userHash]);
    return rows.length > 0;
  },
};
