import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The deduplication key of a memory's text: HMAC-SHA256 under a per-user key derived from the user's
 * data key (HKDF, its own info string), so the database never holds a plain hash that could be tested
 * against guessed texts, equal texts of two users do not match, and an erase (which destroys the data
 * key) makes the stored hashes meaningless. The text is compared after Unicode NFC normalisation and
 * trimming of surrounding white space; nothing else is folded (case and inner spacing count).
 */
const INFO = 'engram:v1|content-hash-key';

export function contentHashKey(dek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dek, Buffer.alloc(0), INFO, 32));
}

export function normaliseForDedup(text: string): string {
  return text.normalize('NFC').trim();
}

export function contentHash(dek: Buffer, text: string): Buffer {
  return createHmac('sha256', contentHashKey(dek)).update(normaliseForDedup(text), 'utf8').digest();
}
