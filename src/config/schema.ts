import { z } from 'zod';

/**
 * The one description of Engram's configuration. `Config` is derived from it, so the type and the
 * validation cannot drift apart. Input is the process environment (strings); *_FILE variables are
 * resolved into their plain names before parsing (see load.ts).
 */

const base64Key = (name: string) =>
  z
    .string()
    .trim()
    .transform((value, ctx) => {
      const key = Buffer.from(value, 'base64');
      if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
        ctx.addIssue({ code: 'custom', message: `${name} must be 32 bytes, base64-encoded` });
        return z.NEVER;
      }
      return key;
    });

/** `ENGRAM_KEK` is `key` (version 1) or a list `version:key`, separated by commas or newlines. */
const keyEncryptionKeys = z
  .string()
  .trim()
  .min(1)
  .transform((value, ctx) => {
    const keys = new Map<number, Buffer>();
    for (const entry of value.split(/[,\n]/).map((s) => s.trim()).filter(Boolean)) {
      const match = /^(?:(\d{1,6}):)?(.+)$/.exec(entry);
      const version = Number(match?.[1] ?? 1);
      const key = Buffer.from(match?.[2] ?? '', 'base64');
      if (key.length !== 32 || version < 1) {
        ctx.addIssue({ code: 'custom', message: 'each ENGRAM_KEK entry must be [version:]base64 of 32 bytes, version ≥ 1' });
        return z.NEVER;
      }
      if (keys.has(version)) {
        ctx.addIssue({ code: 'custom', message: `ENGRAM_KEK lists version ${version} twice` });
        return z.NEVER;
      }
      keys.set(version, key);
    }
    if (keys.size === 0) {
      ctx.addIssue({ code: 'custom', message: 'ENGRAM_KEK holds no key' });
      return z.NEVER;
    }
    // The highest version wraps new data keys; older versions stay to unwrap existing ones.
    return { activeVersion: Math.max(...keys.keys()), keys: keys as ReadonlyMap<number, Buffer> };
  });

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

/** Where the service listens: also read on its own, before anything else, to check the ports are free (cli/port-check.ts). */
export const ListenSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: optionalString,
});

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    ...ListenSchema.shape,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DATABASE_OWNER_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    // A transaction-mode pooler (PgBouncer pool_mode=transaction) between Engram and PostgreSQL: no
    // named prepared statements, no session settings; the timeouts are set in each transaction instead.
    DATABASE_POOLER: z.enum(['none', 'transaction']).default('none'),
    ENGRAM_DATA_DIR: z.string().min(1).default('./.engram'),
    MIGRATE_ON_START: bool.default(true),

    JWT_SECRET: optionalString.pipe(z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional()),
    JWT_PUBLIC_KEY: optionalString,
    JWT_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    // Token hardening (issue 7): refuse tokens issued longer ago than this, whatever their exp.
    JWT_MAX_TOKEN_AGE_SEC: z.coerce.number().int().min(1).max(31_536_000).optional(),

    ENGRAM_KEK: keyEncryptionKeys,
    ENGRAM_HASH_KEY: base64Key('ENGRAM_HASH_KEY'),

    EMBEDDINGS_PROVIDER: z.enum(['use-lite', 'openai']).default('use-lite'),
    EMBEDDINGS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    EMBEDDINGS_MODEL: optionalString,
    EMBEDDINGS_API_KEY: optionalString,
    EMBEDDING_THREADS: z.coerce.number().int().min(1).max(64).optional(),

    // Rate limiting (see src/http/plugins/rate-limit.ts). Limits are per user and route class.
    RATE_LIMIT_DISABLED: bool.default(false),
    RATE_LIMIT_WINDOW_SEC: z.coerce.number().int().min(1).max(86_400).default(60),
    RATE_LIMIT_INGEST_PER_MIN: z.coerce.number().int().min(1).default(120),
    RATE_LIMIT_QUERY_PER_MIN: z.coerce.number().int().min(1).default(300),
    RATE_LIMIT_READ_PER_MIN: z.coerce.number().int().min(1).default(600),
    RATE_LIMIT_WRITE_PER_MIN: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_SUMMARIZE_PER_MIN: z.coerce.number().int().min(1).default(30),
    RATE_LIMIT_FAIL_MODE: z.enum(['open', 'closed']).default('open'),
    RATE_LIMIT_KEY_PREFIX: z.string().trim().min(1).max(100).default('engram:rl:'),
    REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),

    // Filtered vector search (src/store/memory-repository.ts, docs/ARCHITECTURE.md "Filtered vector search").
    VECTOR_SEARCH_EXACT_BELOW: z.coerce.number().int().min(1).max(10_000_000).default(2000),
    VECTOR_SEARCH_EF_SEARCH: z.coerce.number().int().min(1).max(1000).default(100),
    VECTOR_SEARCH_MAX_SCAN_TUPLES: z.coerce.number().int().min(1).max(100_000_000).default(20_000),

    // Hybrid search (src/search/). The blind keyword index: off = nothing is written to it and queries
    // use vector candidates only (see docs/SECURITY.md for what the index reveals).
    KEYWORD_INDEX_ENABLED: bool.default(true),

    // Reranking (src/search/rerank/): an offline reranker by default, or an external /rerank endpoint,
    // under a time budget and a circuit breaker. Queries still answer (un-reranked) when it fails.
    RERANK_ENABLED: bool.default(true),
    /** Unset: `http` when RERANK_URL is set, `offline` otherwise. */
    RERANK_PROVIDER: z.enum(['offline', 'http']).optional(),
    RERANK_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    RERANK_FORMAT: z.enum(['cohere', 'tei']).default('cohere'),
    /** How an external reranker's score maps to relevance. Unset: probability for cohere, logit for tei. */
    RERANK_SCORE_SCALE: z.enum(['probability', 'logit']).optional(),
    RERANK_MODEL: optionalString,
    RERANK_API_KEY: optionalString,
    /** Unset: 250 ms for the offline reranker, 500 ms for an external one. */
    RERANK_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).optional(),
    RERANK_BREAKER_THRESHOLD: z.coerce.number().int().min(1).max(100).default(50),
    RERANK_BREAKER_VOLUME: z.coerce.number().int().min(1).max(10_000).default(5),
    RERANK_BREAKER_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
    RERANK_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),

    // Time bounds (faults): every wait has an end. Milliseconds unless named otherwise.
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    EMBEDDING_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(30_000),
    EMBEDDING_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(512),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    READYZ_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),

    // Knowledge graph (src/entities/). On: every ingest also extracts and persists its entities
    // (off by default: it costs more than 20% of ingest throughput, see docs/BENCHMARKS.md).
    ENTITIES_ON_INGEST: bool.default(false),

    // mem0's client API (src/http/routes/mem0/): /v1/…, /v3/… for mem0ai's MemoryClient with `host`
    // set to this service. Same tokens, tenant rules, limits and encryption as /api/v1/memory.
    MEM0_COMPAT: bool.default(true),

    // The web console (src/http/plugins/console.ts) at /console: on by default in embedded mode (no
    // DATABASE_URL), off otherwise unless set. Static assets built by `npm run build` into dist/console.
    CONSOLE_ENABLED: bool.optional(),

    // Summaries (src/summarize/): the optional LLM method, any OpenAI-compatible chat-completions
    // endpoint. Unset LLM_URL: summaries are extractive only (offline). See docs/SECURITY.md.
    LLM_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    LLM_MODEL: optionalString,
    LLM_API_KEY: optionalString,
    LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
    LLM_MAX_INPUT_CHARS: z.coerce.number().int().min(1000).max(1_000_000).default(24_000),
    LLM_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),

    // Memory lifecycle (src/lifecycle/). Expiry: a default lifetime for memories indexed without
    // expires_at / ttl_seconds (unset: never expire), and the background sweeper that deletes expired
    // memories (0: off; expired memories are invisible either way). Dedup: an index of a text the
    // user already has returns that memory (a request's `dedup: false` stores a copy).
    MEMORY_DEFAULT_TTL_SECONDS: optionalString
      .transform((v) => (v === undefined ? undefined : Number(v)))
      .pipe(z.number().int().min(1).max(315_360_000).optional()), // at most ten years, like ttl_seconds
    EXPIRY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
    EXPIRY_SWEEP_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
    DEDUP_ENABLED: bool.default(true),
  })
  .superRefine((c, ctx) => {
    if (!c.JWT_SECRET && !c.JWT_PUBLIC_KEY && !c.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL' });
    }
    // A public key or JWKS usually belongs to an identity provider that serves other applications too:
    // without pinning audience and issuer, their tokens (with memory:* scopes) would be accepted here.
    if (c.NODE_ENV === 'production' && (c.JWT_PUBLIC_KEY || c.JWT_JWKS_URL)) {
      for (const name of ['JWT_AUDIENCE', 'JWT_ISSUER'] as const) {
        if (!c[name]) {
          ctx.addIssue({ code: 'custom', path: [name], message: `${name} is required in production with JWT_PUBLIC_KEY or JWT_JWKS_URL` });
        }
      }
    }
    if (c.LLM_URL && !c.LLM_MODEL) {
      ctx.addIssue({ code: 'custom', path: ['LLM_MODEL'], message: 'LLM_URL needs LLM_MODEL' });
    }
    if (c.EMBEDDINGS_PROVIDER === 'openai' && (!c.EMBEDDINGS_URL || !c.EMBEDDINGS_MODEL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['EMBEDDINGS_URL'],
        message: 'EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_URL and EMBEDDINGS_MODEL',
      });
    }
    if (c.RERANK_PROVIDER === 'http' && !c.RERANK_URL) {
      ctx.addIssue({ code: 'custom', path: ['RERANK_URL'], message: 'RERANK_PROVIDER=http needs RERANK_URL' });
    }
  })
  .transform((c) => ({
    env: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    logLevel: c.LOG_LEVEL,
    /** Set: /metrics is served on its own listener (an admin port) and not on the API port. */
    metricsPort: c.METRICS_PORT,
    metricsHost: c.METRICS_HOST ?? c.HOST,
    database: c.DATABASE_URL
      ? {
          kind: 'postgres' as const,
          url: c.DATABASE_URL,
          ownerUrl: c.DATABASE_OWNER_URL ?? c.DATABASE_URL,
          poolMax: c.DATABASE_POOL_MAX,
          /** What sits between the pool and PostgreSQL (postgres.ts, docs/OPERATIONS.md "Connection poolers"). */
          pooler: c.DATABASE_POOLER,
          timeouts: {
            connectMs: c.DATABASE_CONNECT_TIMEOUT_MS,
            statementMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
            idleInTransactionMs: c.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
          },
        }
      : {
          kind: 'pglite' as const,
          // memory:// keeps the embedded database in memory only (tests, throwaway demos).
          dataDir: c.ENGRAM_DATA_DIR.startsWith('memory://') ? 'memory://' : `${c.ENGRAM_DATA_DIR}/pgdata`,
        },
    dataDir: c.ENGRAM_DATA_DIR,
    migrateOnStart: c.MIGRATE_ON_START,
    jwt: {
      secret: c.JWT_SECRET,
      publicKeyPem: c.JWT_PUBLIC_KEY,
      jwksUrl: c.JWT_JWKS_URL,
      issuer: c.JWT_ISSUER,
      audience: c.JWT_AUDIENCE,
      maxTokenAgeSec: c.JWT_MAX_TOKEN_AGE_SEC,
    },
    keys: { kek: c.ENGRAM_KEK, hashKey: c.ENGRAM_HASH_KEY },
    embeddings:
      c.EMBEDDINGS_PROVIDER === 'openai'
        ? {
            provider: 'openai' as const,
            url: c.EMBEDDINGS_URL as string,
            model: c.EMBEDDINGS_MODEL as string,
            apiKey: c.EMBEDDINGS_API_KEY,
            timeoutMs: c.EMBEDDING_TIMEOUT_MS,
          }
        : {
            provider: 'use-lite' as const,
            threads: c.EMBEDDING_THREADS,
            timeoutMs: c.EMBEDDING_TIMEOUT_MS,
            /** Texts waiting for (or in) a worker; more is refused with OVERLOADED (503) at once. */
            queueMax: c.EMBEDDING_QUEUE_MAX,
          },
    rateLimit: {
      enabled: !c.RATE_LIMIT_DISABLED,
      windowMs: c.RATE_LIMIT_WINDOW_SEC * 1000,
      /** Requests per minute and user, by route class; scaled to the window by the limiter. */
      perMinute: {
        ingest: c.RATE_LIMIT_INGEST_PER_MIN,
        query: c.RATE_LIMIT_QUERY_PER_MIN,
        read: c.RATE_LIMIT_READ_PER_MIN,
        write: c.RATE_LIMIT_WRITE_PER_MIN,
        summarize: c.RATE_LIMIT_SUMMARIZE_PER_MIN,
      },
      /** Set: the budget is shared by every process on this Redis; unset: in-memory, per process. */
      redisUrl: c.REDIS_URL,
      /** What a request gets when Redis fails: `open` passes unlimited, `closed` is refused (503). */
      failMode: c.RATE_LIMIT_FAIL_MODE,
      keyPrefix: c.RATE_LIMIT_KEY_PREFIX,
    },
    /** Users with fewer chunks than exactBelow are searched exactly; larger ones through HNSW. */
    vectorSearch: {
      exactBelow: c.VECTOR_SEARCH_EXACT_BELOW,
      efSearch: c.VECTOR_SEARCH_EF_SEARCH,
      maxScanTuples: c.VECTOR_SEARCH_MAX_SCAN_TUPLES,
    },
    search: { keywordIndex: c.KEYWORD_INDEX_ENABLED },
    rerank: (() => {
      const breaker = {
        /** Opens when more than this share (%) of the calls in the window failed or timed out ... */
        errorThresholdPercentage: c.RERANK_BREAKER_THRESHOLD,
        /** ... and the window holds at least this many calls. */
        volumeThreshold: c.RERANK_BREAKER_VOLUME,
        windowMs: c.RERANK_BREAKER_WINDOW_MS,
        /** Open this long, then one probe call decides (half-open). */
        cooldownMs: c.RERANK_BREAKER_COOLDOWN_MS,
      };
      const common = { enabled: c.RERANK_ENABLED, breaker };
      return (c.RERANK_PROVIDER ?? (c.RERANK_URL ? 'http' : 'offline')) === 'http'
        ? {
            ...common,
            provider: 'http' as const,
            url: c.RERANK_URL as string,
            format: c.RERANK_FORMAT,
            scoreScale: c.RERANK_SCORE_SCALE ?? (c.RERANK_FORMAT === 'tei' ? ('logit' as const) : ('probability' as const)),
            model: c.RERANK_MODEL,
            apiKey: c.RERANK_API_KEY,
            timeoutMs: c.RERANK_TIMEOUT_MS ?? 500,
          }
        : { ...common, provider: 'offline' as const, timeoutMs: c.RERANK_TIMEOUT_MS ?? 250 };
    })(),
    timeouts: {
      /** Fastify's requestTimeout: the whole request must arrive within it. */
      httpRequestMs: c.HTTP_REQUEST_TIMEOUT_MS,
      /** /readyz answers within it whatever its dependencies do. */
      readyzMs: c.READYZ_TIMEOUT_MS,
      /** SIGTERM/SIGINT: in-flight requests get this long to finish, then the process exits anyway. */
      shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    },
    entities: { onIngest: c.ENTITIES_ON_INGEST },
    /** The mem0-compatible routes are served. */
    mem0Compat: c.MEM0_COMPAT,
    /** /console serves the web console. */
    consoleEnabled: c.CONSOLE_ENABLED ?? !c.DATABASE_URL,
    expiry: {
      /** Lifetime of a memory indexed without expires_at / ttl_seconds; undefined: never expires. */
      defaultTtlSeconds: c.MEMORY_DEFAULT_TTL_SECONDS,
      /** Pause between sweeps (0: no sweeper), and memories deleted per transaction. */
      sweepIntervalMs: c.EXPIRY_SWEEP_INTERVAL_MS,
      sweepBatch: c.EXPIRY_SWEEP_BATCH,
    },
    dedup: { enabled: c.DEDUP_ENABLED },
    /** The summarizer's optional LLM; undefined: extractive only. */
    llm: c.LLM_URL
      ? {
          url: c.LLM_URL,
          model: c.LLM_MODEL as string,
          apiKey: c.LLM_API_KEY,
          timeoutMs: c.LLM_TIMEOUT_MS,
          maxInputChars: c.LLM_MAX_INPUT_CHARS,
          breakerResetMs: c.LLM_BREAKER_RESET_MS,
        }
      : undefined,
  }));

export type Config = z.output<typeof ConfigSchema>;
/** Variables whose value may instead be read from the file named by `<NAME>_FILE`. */
export const FILE_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_OWNER_URL',
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'ENGRAM_KEK',
  'ENGRAM_HASH_KEY',
  'EMBEDDINGS_API_KEY',
  'REDIS_URL',
  'RERANK_API_KEY',
  'LLM_API_KEY',
] as const;
/** Secrets Engram generates for itself in embedded mode when none are given. */
export const GENERATED_SECRETS = ['JWT_SECRET', 'ENGRAM_KEK', 'ENGRAM_HASH_KEY'] as const;
/** Every variable the schema reads, for `engram serve --help`. */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(ConfigSchema.in.shape);
