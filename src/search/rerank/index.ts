export { createReranker, type CreateRerankerDeps } from './create-reranker.js';
export {
  GuardedReranker,
  RerankTimeoutError,
  type BreakerOptions,
  type BreakerState,
  type GuardedRerankResult,
  type GuardOptions,
  type RerankSkipReason,
} from './guarded-reranker.js';
export { HttpReranker, type HttpRerankerOptions, type RerankApiFormat } from './http-reranker.js';
export type { RerankCandidate, Reranker } from './reranker.js';
