/** One candidate handed to a reranker: decrypted text plus what retrieval knew about it. */
export interface RerankCandidate {
  id: string;
  memoryId: string;
  text: string;
  createdAt: Date;
  metadata: Record<string, unknown>;
  scores: { vector: number | null; keyword: number | null; fused: number };
}

/** Scores candidates for a query: one score per candidate, same order, higher is better. */
export interface Reranker {
  readonly name: string;
  /**
   * Set when the reranker only ever lifts: each score lies between the candidate's fused score and
   * that plus maxLift. The pipeline then decrypts and hands over only the candidates that can still
   * reach the top k (see reachable in stage.ts). Absent: any score is possible (an external model).
   */
  readonly maxLift?: number;
  rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]>;
}
