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
  rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]>;
}
