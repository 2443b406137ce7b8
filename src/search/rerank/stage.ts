import type { Candidate } from '../fusion.js';
import type { SearchHit } from '../pipeline.js';
import type { Reranker } from './reranker.js';

/**
 * The rerank stage: hands the decrypted candidates to a reranker and orders them by its scores, which
 * become each hit's `score`. Without a reranker, or when it fails, the fused order and scores stand and
 * `reranked` is false: a query never fails because its reranker did.
 */
export async function rerankStage(
  query: string,
  candidates: readonly Candidate[],
  texts: readonly string[],
  reranker: Reranker | undefined,
  signal: AbortSignal = new AbortController().signal,
): Promise<{ hits: SearchHit[]; reranked: boolean }> {
  const plain = (): SearchHit[] =>
    candidates.map((c, i) => ({
      hit: c.hit,
      text: texts[i]!,
      score: c.scores.fused,
      scores: { vector: c.scores.vector, keyword: c.scores.keyword, rerank: null },
    }));
  if (!reranker || candidates.length === 0) return { hits: plain(), reranked: false };
  let scores: number[];
  try {
    scores = await reranker.rerank(
      query,
      candidates.map((c, i) => ({
        id: c.hit.chunkId,
        memoryId: c.hit.memoryId,
        text: texts[i]!,
        createdAt: c.hit.createdAt,
        metadata: c.hit.metadata,
        scores: { ...c.scores },
      })),
      signal,
    );
  } catch {
    return { hits: plain(), reranked: false };
  }
  if (scores.length !== candidates.length || !scores.every(Number.isFinite)) return { hits: plain(), reranked: false };
  const hits = candidates.map((c, i) => ({
    hit: c.hit,
    text: texts[i]!,
    score: scores[i]!,
    scores: { vector: c.scores.vector, keyword: c.scores.keyword, rerank: scores[i]! },
  }));
  hits.sort((a, b) => b.score - a.score || (a.hit.chunkId < b.hit.chunkId ? -1 : 1));
  return { hits, reranked: true };
}
