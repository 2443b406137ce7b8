import { createHmac, hkdfSync } from 'node:crypto';
import { queryTerms, termFrequencies, terms } from './terms.js';

/**
 * Keyed terms of the blind keyword index. The per-user keyword key is derived from the user's data
 * key (HKDF-SHA256, its own info string), so destroying the data key (erase) destroys it too; a term
 * is the first 8 bytes of HMAC-SHA256(keyword key, stemmed word) read as a signed 64-bit integer
 * (a decimal string, for bigint columns). Collisions are negligible at the scale of one user.
 */
const INFO = 'engram:v1|keyword-index-key';

export function keywordKey(dek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dek, Buffer.alloc(0), INFO, 32));
}

export function blindTerm(key: Buffer, term: string): string {
  return createHmac('sha256', key).update(term, 'utf8').digest().readBigInt64BE(0).toString();
}

export interface BlindDoc {
  /** Number of terms in the text (BM25 document length). */
  length: number;
  /** Keyed term → term frequency. */
  tf: Map<string, number>;
}

export function blindDoc(key: Buffer, text: string): BlindDoc {
  const list = terms(text);
  const tf = new Map<string, number>();
  for (const [term, n] of termFrequencies(list)) tf.set(blindTerm(key, term), n);
  return { length: list.length, tf };
}

/** The distinct keyed terms of a query. */
export function blindQuery(key: Buffer, text: string): string[] {
  return queryTerms(text).map((t) => blindTerm(key, t));
}
