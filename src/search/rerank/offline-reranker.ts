import type { RerankCandidate, Reranker } from './reranker.js';

/**
 * The default reranker, offline and cheap: it works on the decrypted candidates only. Its score is the
 * retrieval score (fused, with conversation context) plus a small bonus for the query's exact words
 * (unstemmed, four letters or more) found verbatim in the text: stemming and the blind index cannot tell
 * "painting" from "painted", the plaintext can. On the LoCoMo dev split this lifts MRR by about 0.015;
 * other features tried (bigrams, length, a second cosine term) did not pay (docs/BENCHMARKS.md).
 */
export interface OfflineRerankerParams {
  exactWordWeight: number;
}

export const OFFLINE_RERANK_DEFAULTS: OfflineRerankerParams = { exactWordWeight: 0.05 };

const WORD = /[\p{L}\p{N}]+/gu;
const MIN_WORD = 4;

/** The query's words that count (four letters or more), once per query. */
function wantedWords(query: string): Set<string> {
  return new Set([...query.normalize('NFKC').toLowerCase().matchAll(WORD)].map((m) => m[0]).filter((w) => w.length >= MIN_WORD));
}

/** The share of `wanted` found verbatim among the words of `text`. */
function shareFound(wanted: ReadonlySet<string>, text: string): number {
  if (wanted.size === 0) return 0;
  const hay = text.normalize('NFKC').toLowerCase();
  let found = 0;
  for (const word of wanted) if (containsWord(hay, word)) found++;
  return found / wanted.size;
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;

/**
 * Whether `word` (letters and digits only) occurs in `hay` as a whole word: a run of letters and
 * digits equal to it, as WORD would split the text. A search for the few wanted words instead of
 * splitting every candidate into words: the Unicode word regex over 30 texts cost about 0.4 ms a query.
 */
function containsWord(hay: string, word: string): boolean {
  for (let at = hay.indexOf(word); at !== -1; at = hay.indexOf(word, at + 1)) {
    const end = at + word.length;
    const after = hay.codePointAt(end);
    if (after !== undefined && WORD_CHAR.test(String.fromCodePoint(after))) continue;
    if (at > 0) {
      // The code point ending just before `at` (a low surrogate belongs to the pair before it).
      const low = hay.charCodeAt(at - 1);
      const before = low >= 0xdc00 && low <= 0xdfff && at > 1 ? hay.codePointAt(at - 2)! : low;
      if (WORD_CHAR.test(String.fromCodePoint(before))) continue;
    }
    return true;
  }
  return false;
}

export function exactWordShare(query: string, text: string): number {
  return shareFound(wantedWords(query), text);
}

export class OfflineReranker implements Reranker {
  readonly name = 'offline';

  constructor(private readonly params: OfflineRerankerParams = OFFLINE_RERANK_DEFAULTS) {}

  /** The score is fused + weight · share, share in [0, 1]. */
  get maxLift(): number | undefined {
    return this.params.exactWordWeight >= 0 ? this.params.exactWordWeight : undefined;
  }

  async rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]> {
    signal.throwIfAborted();
    const wanted = wantedWords(query);
    return candidates.map((c) => c.scores.fused + this.params.exactWordWeight * shareFound(wanted, c.text));
  }
}
