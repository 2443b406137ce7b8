import type { Embedder } from '../embed/embedder.js';
import { toEmbeddingAppError } from '../embed/embedder-errors.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * Embeds texts for the domain services: the embedding metrics, and embedder failures mapped onto
 * what the client sees (503 OVERLOADED, 504 EMBEDDING_TIMEOUT, 502 EMBEDDING_FAILED).
 */
export async function embedTexts(embedder: Embedder, metrics: Metrics, texts: string[]): Promise<number[][]> {
  const started = performance.now();
  try {
    await embedder.init();
    return await embedder.embed(texts);
  } catch (err) {
    throw toEmbeddingAppError(err);
  } finally {
    metrics.embeddingLatency.observe({ model: embedder.model }, performance.now() - started);
    metrics.embeddingBatchSize.observe({ model: embedder.model }, texts.length);
  }
}
