/** One candidate handed to a reranker: decrypted text plus what retrieval knew about it. */
export interface RerankCandidate {
  id: string;
  memoryId: string;
  text: string;
  createdAt: Date;
  metadata: Record<string, unknown>;
  /** retrieval = fused + context: the score the candidates were ordered by (search/fusion.ts). */
  scores: { vector: number | null; keyword: number | null; fused: number; context: number; retrieval: number };
}

/** Scores candidates for a query: one score per candidate, same order, higher is better. */
export interface Reranker {
  readonly name: string;
  /**
   * Set when the reranker only ever lifts: each score lies between the candidate's retrieval score and
   * that plus maxLift. The pipeline then decrypts and hands over only the candidates that can still
   * reach the top k (see reachable in stage.ts). Absent: any score is possible (an external model).
   */
  readonly maxLift?: number;
  /**
   * Set by a reranker whose own score is a relevance (an external model): maps it to [0, 1]. Absent:
   * the pipeline's fitted model gives the relevance (search/relevance.ts).
   */
  relevance?(score: number): number;
  rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]>;
}
