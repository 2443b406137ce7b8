import { stemmer } from 'stemmer';
import { eng } from 'stopword';

/**
 * Text → index terms, the one normalisation the keyword index and the plaintext reranker share:
 * Unicode NFKC, lower case, words of letters and digits (an apostrophe and what follows it is dropped:
 * "Caroline's" → "caroline"), English stop words removed (`stopword`), Porter stems (`stemmer`).
 */
const STOP_WORDS = new Set<string>(eng);
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
/** Longer "words" are base64, hashes and the like: not worth a term each. */
const MAX_WORD_CHARS = 40;

export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const word = match[0].replace(/['’].*$/u, '');
    if (word.length > MAX_WORD_CHARS || STOP_WORDS.has(word)) continue;
    if (word.length < 2 && !/\p{N}/u.test(word)) continue;
    out.push(stemmer(word));
  }
  return out;
}

/** Term → how often it occurs. */
export function termFrequencies(list: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of list) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
