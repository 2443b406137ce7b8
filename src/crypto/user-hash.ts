import { createHmac } from 'node:crypto';

/**
 * The database never sees a raw user_id: every tenant row carries HMAC-SHA256(ENGRAM_HASH_KEY, user_id).
 * Keyed, so the ids cannot be recovered by hashing guesses without the key.
 */
export type UserHasher = (userId: string) => string;

export function createUserHasher(hashKey: Buffer): UserHasher {
  return (userId) => createHmac('sha256', hashKey).update(userId, 'utf8').digest('hex');
}
