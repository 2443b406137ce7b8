import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Exact-name lookup without storing names: a keyed blind index, HMAC-SHA256 of the normalised name
 * (normalize.ts) under a per-user key derived from the user's data key with HKDF. The key exists
 * only while the data key does, so erasing the user leaves indexes nobody can test a guess against.
 * Per-user keys make the same name in two tenants two unrelated values. What still leaks within one
 * tenant is equality: rows with the same name share an index (see docs/SECURITY.md).
 */
const INFO = Buffer.from('engram:v1|entity-name-index', 'utf8');

export type NameIndexer = (key: string) => Buffer;

export function nameIndexer(dek: Buffer): NameIndexer {
  const key = Buffer.from(hkdfSync('sha256', dek, Buffer.alloc(0), INFO, 32));
  return (normalised) => createHmac('sha256', key).update(normalised, 'utf8').digest();
}
