import type { Config } from '../../config/schema.js';
import { GuardedReranker, type GuardOptions } from './guarded-reranker.js';
import { HttpReranker } from './http-reranker.js';
import type { Reranker } from './reranker.js';

export interface CreateRerankerDeps {
  metrics?: GuardOptions['metrics'];
  /** The offline reranker (the search pipeline's); used when no external endpoint is configured. */
  offline?: Reranker;
  log?: GuardOptions['log'];
  /** Injected fetch for the external reranker (tests). */
  fetch?: typeof fetch;
}

/**
 * The reranker a deployment runs with, always behind the guard: the external endpoint when
 * RERANK_PROVIDER is http (or RERANK_URL is set), the given offline reranker otherwise, and a
 * disabled guard when RERANK_ENABLED=false or there is no offline reranker to guard.
 * The caller owns the result: call close() on shutdown.
 */
export function createReranker(config: Config['rerank'], deps: CreateRerankerDeps = {}): GuardedReranker {
  if (!config.enabled) return GuardedReranker.disabled();
  const reranker: Reranker | undefined =
    config.provider === 'http'
      ? new HttpReranker({ url: config.url, model: config.model, apiKey: config.apiKey, format: config.format, scoreScale: config.scoreScale, fetch: deps.fetch })
      : deps.offline;
  if (!reranker) {
    deps.log?.warn({ event: 'rerank_disabled' }, 'reranking is enabled but no offline reranker was given: queries answer un-reranked');
    return GuardedReranker.disabled();
  }
  return new GuardedReranker(reranker, {
    timeoutMs: config.timeoutMs,
    breaker: config.breaker,
    metrics: deps.metrics,
    log: deps.log,
  });
}
