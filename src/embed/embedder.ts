/**
 * An embedding provider. Implementations: the offline USE-lite model run in worker threads
 * (use-lite.ts) and an OpenAI-compatible HTTP endpoint (openai.ts).
 */
export interface Embedder {
  /** Stable name of the model that makes the vectors, stored beside every vector. */
  readonly model: string;
  /** Vector length. Known after init() resolves. */
  readonly dimensions: number;
  /** Loads the model / probes the endpoint. Idempotent. Rejects if the provider cannot be used. */
  init(): Promise<void>;
  /** True once init() has succeeded and until close(). */
  isReady(): boolean;
  /** One vector per input text, in order; unit length is not guaranteed by every provider. */
  embed(texts: string[]): Promise<number[][]>;
  /**
   * Texts admitted and not finished (waiting or being embedded); 0 means a call made now starts at
   * once. Optional: a provider that cannot tell (a remote endpoint, whose latency is not ours) omits
   * it, and callers treat it as busy (the query path then never overlaps its transaction with it).
   */
  pending?(): number;
  close(): Promise<void>;
}
