import type { Candidate } from '../fusion.js';
import type { RankedHit } from '../pipeline.js';
import type { RerankCandidate, Reranker } from './reranker.js';

/** What the pipeline calls to rerank: the guard (GuardedReranker: time budget, circuit breaker, metrics) fits it. */
export interface RerankRunner {
  /** False when it never reranks (disabled): the pipeline then decrypts only the top k. */
  readonly enabled?: boolean;
  /** Reranker.maxLift of the reranker behind it. */
  readonly maxLift?: number;
  /** Reranker.relevance of the reranker behind it. */
  readonly relevance?: (score: number) => number;
  rerank(query: string, candidates: readonly RerankCandidate[]): Promise<{ reranked: true; scores: number[] } | { reranked: false }>;
}

/** A reranker called directly, without budget or breaker (tests, tools): a failure reads as not reranked. */
export function unguarded(reranker: Reranker): RerankRunner {
  return {
    maxLift: reranker.maxLift,
    relevance: reranker.relevance?.bind(reranker),
    async rerank(query, candidates) {
      try {
        return { reranked: true, scores: await reranker.rerank(query, candidates, new AbortController().signal) };
      } catch {
        return { reranked: false };
      }
    },
  };
}

/**
 * The candidates (in fused order) that can still be among the top k after a reranker that lifts a
 * score by at most `maxLift`: the first k, and after them those whose fused score plus maxLift reaches
 * the k-th fused score. Any other candidate ends below at least k others, whatever the reranker says,
 * so it need not be decrypted or reranked; the answer is the same.
 */
export function reachable(candidates: readonly Candidate[], k: number, maxLift: number | undefined): readonly Candidate[] {
  if (maxLift === undefined || !(maxLift >= 0) || candidates.length <= k) return candidates;
  const kth = candidates[k - 1]!.scores.retrieval;
  let end = k;
  while (end < candidates.length && candidates[end]!.scores.retrieval + maxLift >= kth) end++;
  return candidates.slice(0, end);
}

/**
 * The rerank stage: hands the decrypted candidates to the reranker and orders them by its scores, which
 * become each hit's `score`. Without a reranker, or when it is skipped, fails or answers a wrong number
 * of scores, the fused order and scores stand and `reranked` is false: a query never fails because its
 * reranker did.
 */
export async function rerankStage(
  query: string,
  candidates: readonly Candidate[],
  texts: readonly string[],
  runner: RerankRunner | undefined,
): Promise<{ hits: RankedHit[]; reranked: boolean }> {
  const plain = (): RankedHit[] =>
    candidates.map((c, i) => ({
      hit: c.hit,
      text: texts[i]!,
      score: c.scores.retrieval,
      scores: { vector: c.scores.vector, keyword: c.scores.keyword, fused: c.scores.fused, context: c.scores.context, rerank: null },
      contextFrom: c.contextFrom,
    }));
  if (!runner || runner.enabled === false || candidates.length === 0) return { hits: plain(), reranked: false };
  const result = await runner.rerank(
    query,
    candidates.map((c, i) => ({
      id: c.hit.chunkId,
      memoryId: c.hit.memoryId,
      text: texts[i]!,
      createdAt: c.hit.createdAt,
      metadata: c.hit.metadata,
      scores: { ...c.scores },
    })),
  );
  if (!result.reranked) return { hits: plain(), reranked: false };
  const { scores } = result;
  if (scores.length !== candidates.length || !scores.every(Number.isFinite)) return { hits: plain(), reranked: false };
  const hits = candidates.map((c, i) => ({
    hit: c.hit,
    text: texts[i]!,
    score: scores[i]!,
    scores: { vector: c.scores.vector, keyword: c.scores.keyword, fused: c.scores.fused, context: c.scores.context, rerank: scores[i]! },
    contextFrom: c.contextFrom,
  }));
  hits.sort((a, b) => b.score - a.score || (a.hit.chunkId < b.hit.chunkId ? -1 : 1));
  return { hits, reranked: true };
}
