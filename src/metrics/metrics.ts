import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric Engram exports, on a registry of its own (several apps in one process — tests —
 * don't collide). Labels never carry user ids: only routes, outcomes, codes and reasons.
 * Histograms are in milliseconds, as the seed names them.
 */
const LATENCY_MS = [5, 10, 25, 50, 100, 200, 300, 400, 600, 800, 1000, 1500, 2500, 5000, 10000];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  let poolStats: (() => { total: number; idle: number; waiting: number }) | undefined;

  return {
    registry,
    /** Read the database pool's counts at each scrape. */
    watchPool(stats: () => { total: number; idle: number; waiting: number }) {
      poolStats = stats;
    },
    // --- the seed's twelve ---
    queryLatency: new Histogram({
      name: 'memory_query_latency_ms',
      help: 'Semantic query latency in the domain (embed, search, decrypt), ms',
      buckets: LATENCY_MS,
      registers: r,
    }),
    rerankLatency: new Histogram({
      name: 'memory_rerank_latency_ms',
      help: 'Reranking latency, ms',
      buckets: LATENCY_MS,
      registers: r,
    }),
    requestLatency: new Histogram({
      name: 'relay_memory_request_latency_ms',
      help: 'API request latency from receipt to response, ms',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_MS,
      registers: r,
    }),
    queries: new Counter({
      name: 'memory_queries_total',
      help: 'Semantic queries by outcome',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    requests: new Counter({
      name: 'relay_memory_requests_total',
      help: 'API requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: r,
    }),
    rlsBlocks: new Counter({
      name: 'memory_rls_blocks_total',
      help: 'Statements refused by a row-level security policy',
      registers: r,
    }),
    rerankSkipped: new Counter({
      name: 'memory_rerank_skipped_total',
      help: 'Queries answered without reranking, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    errors: new Counter({
      name: 'relay_memory_errors_total',
      help: 'API error responses by stable error code',
      labelNames: ['code'] as const,
      registers: r,
    }),
    crossTenantAttempts: new Counter({
      name: 'memory_cross_tenant_attempts_total',
      help: 'Requests whose token named another user without the relay scope',
      labelNames: ['route'] as const,
      registers: r,
    }),
    activeQueries: new Gauge({
      name: 'memory_active_queries',
      help: 'Semantic queries in progress',
      registers: r,
    }),
    rerankBreakerState: new Gauge({
      name: 'memory_rerank_circuit_breaker_state',
      help: 'Rerank circuit breaker: 0 closed, 1 half-open, 2 open',
      registers: r,
    }),
    activeConnections: new Gauge({
      name: 'relay_memory_active_connections',
      help: 'Open client connections to the API',
      registers: r,
    }),
    // --- what else an operator needs ---
    ingestLatency: new Histogram({
      name: 'memory_ingest_latency_ms',
      help: 'Ingest latency in the domain (chunk, embed, seal, store), ms',
      buckets: LATENCY_MS,
      registers: r,
    }),
    ingestChunks: new Histogram({
      name: 'memory_ingest_chunks',
      help: 'Chunks per ingested memory',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: r,
    }),
    memoriesIngested: new Counter({
      name: 'memory_ingested_total',
      help: 'Memories stored',
      registers: r,
    }),
    batchItems: new Counter({
      name: 'memory_batch_items_total',
      help: 'Items of batch index requests, by outcome (stored, deduplicated, failed)',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    ttfv: new Histogram({
      name: 'memory_ttfv_ms',
      help: 'Time to first value: from receiving an index request until its memory is queryable (committed), ms',
      buckets: LATENCY_MS,
      registers: r,
    }),
    embeddingLatency: new Histogram({
      name: 'memory_embedding_latency_ms',
      help: 'Embedding call latency, ms',
      labelNames: ['model'] as const,
      buckets: LATENCY_MS,
      registers: r,
    }),
    embeddingBatchSize: new Histogram({
      name: 'memory_embedding_batch_size',
      help: 'Texts per embedding call',
      labelNames: ['model'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: r,
    }),
    rateLimited: new Counter({
      name: 'memory_rate_limited_total',
      help: 'Requests refused with 429, by route class',
      labelNames: ['route_class'] as const,
      registers: r,
    }),
    rateLimitBackendErrors: new Counter({
      name: 'memory_rate_limit_backend_errors_total',
      help: 'Rate-limit store (Redis) failures, by the policy applied',
      labelNames: ['policy'] as const,
      registers: r,
    }),
    authFailures: new Counter({
      name: 'memory_auth_failures_total',
      help: 'Requests refused as unauthenticated, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    entityLatency: new Histogram({
      name: 'memory_entities_latency_ms',
      help: 'Knowledge-graph latency in the domain (read, extract, persist or look up), ms, by operation',
      labelNames: ['operation'] as const,
      buckets: LATENCY_MS,
      registers: r,
    }),
    entityOperations: new Counter({
      name: 'memory_entities_operations_total',
      help: 'Knowledge-graph operations (extract, lookup, ingest, graph) by outcome',
      labelNames: ['operation', 'outcome'] as const,
      registers: r,
    }),
    decryptFailures: new Counter({
      name: 'memory_decrypt_failures_total',
      help: 'Requests answered DECRYPT_FAILED: a stored ciphertext failed its integrity check, or its key is gone',
      registers: r,
    }),
    // --- summaries (src/summarize/) ---
    summarizeLatency: new Histogram({
      name: 'memory_summarize_latency_ms',
      help: 'Summarize latency in the domain (load, decrypt, embed or LLM, compose), ms, by the method that answered',
      labelNames: ['method'] as const,
      buckets: LATENCY_MS,
      registers: r,
    }),
    summaries: new Counter({
      name: 'memory_summaries_total',
      help: 'Summarize requests by the method that answered (extractive, llm) and outcome (ok, fallback, error)',
      labelNames: ['method', 'outcome'] as const,
      registers: r,
    }),
    summarizeLlmBreakerState: new Gauge({
      name: 'memory_summarize_llm_circuit_breaker_state',
      help: 'Summarizer LLM circuit breaker: 0 closed, 1 half-open, 2 open',
      registers: r,
    }),
    // --- lifecycle (src/lifecycle/) ---
    memoryUpdates: new Counter({
      name: 'memory_updates_total',
      help: 'Memory updates (PATCH) by outcome: ok, not_found, duplicate, invalid, error',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    memoriesDeduplicated: new Counter({
      name: 'memory_deduplicated_total',
      help: 'Index requests answered with a memory the user already had (same text): nothing stored',
      registers: r,
    }),
    expiredDeleted: new Counter({
      name: 'memory_expired_deleted_total',
      help: 'Expired memories deleted by the expiry sweeper',
      registers: r,
    }),
    expirySweeps: new Counter({
      name: 'memory_expiry_sweeps_total',
      help: 'Expiry sweeper passes by outcome (ok, error)',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    expirySweeperFailing: new Gauge({
      name: 'memory_expiry_sweeper_failing',
      help: 'Whether the last expiry sweeper pass failed (1); 0 after a pass that worked, before the first pass and while the sweeper is off',
      registers: r,
    }),
    dbPoolConnections: new Gauge({
      name: 'memory_db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting)',
      labelNames: ['state'] as const,
      registers: r,
      collect() {
        if (!poolStats) return;
        const { total, idle, waiting } = poolStats();
        this.set({ state: 'total' }, total);
        this.set({ state: 'idle' }, idle);
        this.set({ state: 'waiting' }, waiting);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
