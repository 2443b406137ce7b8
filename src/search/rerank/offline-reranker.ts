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

export function exactWordShare(query: string, text: string): number {
  const wanted = new Set([...query.normalize('NFKC').toLowerCase().matchAll(WORD)].map((m) => m[0]).filter((w) => w.length >= MIN_WORD));
  if (wanted.size === 0) return 0;
  const have = new Set([...text.normalize('NFKC').toLowerCase().matchAll(WORD)].map((m) => m[0]));
  let found = 0;
  for (const w of wanted) if (have.has(w)) found++;
  return found / wanted.size;
}

export class OfflineReranker implements Reranker {
  readonly name = 'offline';

  constructor(private readonly params: OfflineRerankerParams = OFFLINE_RERANK_DEFAULTS) {}

  async rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]> {
    signal.throwIfAborted();
    return candidates.map((c) => c.scores.fused + this.params.exactWordWeight * exactWordShare(query, c.text));
  }
}
