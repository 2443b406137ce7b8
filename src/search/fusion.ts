import type { ChunkHit } from '../store/memory-repository.js';

/**
 * Fusion of the vector and keyword candidates into one list with one score, on an absolute scale so
 * that a score threshold (`min_score`) means the same for every query:
 *   vector  = cosine similarity of the chunk to the query (about -1..1, in practice 0..1);
 *   keyword = BM25 of the chunk divided by the most BM25 the query could score (every query term,
 *             with its idf, at saturation): the idf-weighted share of the query found, 0..1. Query terms
 *             no memory contains count in the denominator, so an unrelated query scores near 0;
 *   fused   = (1 - keywordWeight) · vector + keywordWeight · keyword, a part that is absent counting 0.
 * The weight and the BM25 parameters were tuned on the LoCoMo dev split (docs/BENCHMARKS.md).
 */
export interface FusionParams {
  keywordWeight: number;
}

export const FUSION_DEFAULTS: FusionParams = { keywordWeight: 0.7 };

/**
 * A candidate's scores: the parts, their fusion, the conversation-context lift (context.ts; 0 before
 * that stage) and `retrieval` = fused + context, the score that orders candidates before reranking.
 */
export interface CandidateScores {
  vector: number | null;
  keyword: number | null;
  fused: number;
  context: number;
  retrieval: number;
}

/** A chunk named by its id and its memory's. */
export interface ChunkRef {
  chunkId: string;
  memoryId: string;
}

export interface Candidate {
  hit: ChunkHit;
  scores: CandidateScores;
  /** The neighbouring candidate whose lead gave this one its context (context.ts); absent when none did. */
  contextFrom?: ChunkRef;
}

export interface KeywordSide {
  hits: readonly (ChunkHit & { bm25: number; cosine: number | null })[];
  /** The most BM25 the query could score (> 0), see bm25Ceiling. */
  ceiling: number;
}

/** Σ over distinct query terms of idf(term) · (k1 + 1); df 0 for a term no memory contains. */
export function bm25Ceiling(docCount: number, df: ReadonlyMap<string, number>, queryTerms: readonly string[], k1: number): number {
  let sum = 0;
  for (const term of new Set(queryTerms)) {
    const n = df.get(term) ?? 0;
    sum += Math.log(1 + (docCount - n + 0.5) / (n + 0.5)) * (k1 + 1);
  }
  return sum;
}

export function fuse(vectorHits: readonly ChunkHit[], keyword: KeywordSide | null, params: FusionParams = FUSION_DEFAULTS): Candidate[] {
  const w = keyword ? params.keywordWeight : 0;
  const byId = new Map<string, Candidate>();
  for (const hit of vectorHits) {
    byId.set(hit.chunkId, { hit, scores: { vector: hit.score, keyword: null, fused: 0, context: 0, retrieval: 0 } });
  }
  if (keyword && keyword.ceiling > 0) {
    for (const hit of keyword.hits) {
      const share = Math.min(1, hit.bm25 / keyword.ceiling);
      const known = byId.get(hit.chunkId);
      if (known) known.scores.keyword = share;
      else byId.set(hit.chunkId, { hit, scores: { vector: hit.cosine, keyword: share, fused: 0, context: 0, retrieval: 0 } });
    }
  }
  const out = [...byId.values()];
  for (const c of out) {
    c.scores.fused = (1 - w) * (c.scores.vector ?? 0) + w * (c.scores.keyword ?? 0);
    c.scores.retrieval = c.scores.fused;
  }
  return out.sort(byRetrieval);
}

export function byRetrieval(a: Candidate, b: Candidate): number {
  return b.scores.retrieval - a.scores.retrieval || (a.hit.chunkId < b.hit.chunkId ? -1 : 1);
}
