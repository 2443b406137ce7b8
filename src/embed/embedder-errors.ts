import { AppError, Errors } from '../errors/app-error.js';

/** The embedder's bounded queue is full: the caller is refused at once rather than left waiting. */
export class EmbedderOverloadedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbedderOverloadedError';
  }
}

/** An embedding did not finish within its time bound (EMBEDDING_TIMEOUT_MS). */
export class EmbedderTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbedderTimeoutError';
  }
}

/** Maps an embedder failure onto what the client sees: 503 OVERLOADED, 504 EMBEDDING_TIMEOUT or 502. */
export function toEmbeddingAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof EmbedderOverloadedError) return Errors.overloaded('the embedding queue is full; retry shortly', err);
  if (err instanceof EmbedderTimeoutError) return Errors.embeddingTimeout(err);
  return Errors.embeddingFailed(err);
}
