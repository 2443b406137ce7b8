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
  const byId = new Map(candidates.map((c) => [c.hit.chunkId, c]));
  const out = candidates.map((c): Candidate => {
    let best: Candidate | undefined;
    for (const id of neighbours.get(c.hit.chunkId) ?? []) {
      const n = byId.get(id);
      if (n && (!best || n.scores.fused > best.scores.fused)) best = n;
    }
    const context = best ? params.weight * Math.max(0, best.scores.fused - c.scores.fused) : 0;
    const scores = { ...c.scores, context, retrieval: c.scores.fused + context };
    return context > 0 ? { hit: c.hit, scores, contextFrom: { chunkId: best!.hit.chunkId, memoryId: best!.hit.memoryId } } : { hit: c.hit, scores };
  });
  return out.sort(byRetrieval);
}
