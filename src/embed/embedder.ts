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
  close(): Promise<void>;
}
