import { byRetrieval, type Candidate } from './fusion.js';

/**
 * Conversation context: a memory written next to a strong match is often part of the answer (the
 * question's evidence spans neighbouring turns). Each candidate gains a share of the lead of its best
 * neighbouring candidate: context = weight · max(0, best neighbour's fused − own fused), retrieval =
 * fused + context. A candidate never rises above its best neighbour, so an unrelated query stays low.
 */
export interface ContextParams {
  /** Memories written before and after a candidate that count as its neighbours. */
  span: number;
  weight: number;
}

export const CONTEXT_DEFAULTS: ContextParams = { span: 2, weight: 0.6 };

/** `neighbours`: chunk id → ids of its neighbouring chunks (any; only candidates among them count). */
export function spreadContext(
  candidates: readonly Candidate[],
  neighbours: ReadonlyMap<string, readonly string[]>,
  params: ContextParams = CONTEXT_DEFAULTS,
): Candidate[] {
  const own = new Map(candidates.map((c) => [c.hit.chunkId, c.scores.fused]));
  const out = candidates.map((c) => {
    let best = Number.NEGATIVE_INFINITY;
    for (const id of neighbours.get(c.hit.chunkId) ?? []) best = Math.max(best, own.get(id) ?? Number.NEGATIVE_INFINITY);
    const context = params.weight * Math.max(0, best - c.scores.fused);
    return { hit: c.hit, scores: { ...c.scores, context, retrieval: c.scores.fused + context } };
  });
  return out.sort(byRetrieval);
}
