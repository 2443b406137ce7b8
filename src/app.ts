import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config/schema.js';
import { DataKeys } from './crypto/data-keys.js';
import { createUserHasher } from './crypto/user-hash.js';
import { createEmbedder } from './embed/create-embedder.js';
import type { Embedder } from './embed/embedder.js';
import { EntityService } from './entities/entity-service.js';
import { frameworkErrorHandler, registerErrorHandler } from './http/error-handler.js';
import { loggerOptions } from './http/logging.js';
import { consolePlugin } from './http/plugins/console.js';
import { metricsPlugin } from './http/plugins/metrics.js';
import { openapiPlugin } from './http/plugins/openapi.js';
import { rateLimitPlugin } from './http/plugins/rate-limit.js';
import { healthRoutes } from './http/routes/health.js';
import { mcpRoutes } from './http/routes/mcp.js';
import { mem0Routes } from './http/routes/mem0/index.js';
import { readHistory } from './lifecycle/history.js';
import { createFactExtractor } from './memory/facts.js';
import { metricsRoute } from './http/routes/metrics.js';
import { memoryRoutes } from './http/routes/memory/index.js';
import { validatorCompiler } from './http/validation.js';
import { Limits } from './memory/limits.js';
import { MemoryService } from './memory/memory-service.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { KeywordIndex } from './search/keyword/keyword-index.js';
import { SearchPipeline } from './search/pipeline.js';
import { createReranker } from './search/rerank/create-reranker.js';
import { OfflineReranker } from './search/rerank/offline-reranker.js';
import type { Database, Queryable } from './store/database.js';
import { keyRepository } from './store/key-repository.js';
import { connectRateLimitRedis } from './ratelimit/redis.js';
import { VERSION } from './version.js';
import { openDatabase, withMaintenance } from './store/open.js';
import { resealLegacyChunks } from './memory/chunk-reseal.js';
import { createSummarizer } from './summarize/create-summarizer.js';
import { UpdateService } from './lifecycle/update.js';
import { ExpirySweeper } from './lifecycle/sweeper.js';

export interface AppOverrides {
  /** An embedder the caller owns (tests share one); otherwise built from config and closed with the app. */
  embedder?: Embedder;
  /** A database the caller owns; otherwise opened from config and closed with the app. */
  db?: Database;
  /** Metrics the caller also hands to a database it opened itself (tests). */
  metrics?: Metrics;
  /** Where logs go instead of stdout (tests capture them), and at which level. */
  logStream?: Writable;
  logLevel?: Config['logLevel'];
  /** The search pipeline (benchmarks reconfigure it between variants). */
  search?: SearchPipeline;
  /** Where the built console is (default dist/console). */
  consoleDir?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The background expiry sweeper (src/lifecycle/sweeper.ts); the server starts it. */
    expirySweeper: ExpirySweeper;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the HTTP application: loads the model, opens (and by default migrates) the database and
 * wires the routes. Nothing happens at import time; everything it opens is closed by app.close().
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(overrides.logLevel ?? config.logLevel, overrides.logStream),
    bodyLimit: Limits.bodyBytes,
    // The whole request must arrive within this bound (slow-body clients); handlers are bounded by
    // the database and embedder timeouts.
    requestTimeout: config.timeouts.httpRequestMs,
    frameworkErrors: frameworkErrorHandler,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON only: a text/plain body gets 415 with a hint, not a confusing "body must be object".
  app.removeContentTypeParser('text/plain');
  const metrics = overrides.metrics ?? createMetrics();
  await app.register(metricsPlugin, { metrics });
  await app.register(openapiPlugin); // before any route: it collects them and adds the shared schemas
  // Once closing, answers to requests still in flight end their keep-alive connection, so that
  // app.close() (the server's close waits for every connection) finishes as soon as they are done.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  registerErrorHandler(app);
  // Built first: a bad JWT_PUBLIC_KEY / JWT_JWKS_URL fails the start before the model loads.
  const verifier = createTokenVerifier({
    secret: config.jwt.secret,
    publicKeyPem: config.jwt.publicKeyPem,
    jwksUrl: config.jwt.jwksUrl,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    maxTokenAgeSec: config.jwt.maxTokenAgeSec,
  });

  const embedder = overrides.embedder ?? createEmbedder(config.embeddings);
  let db = overrides.db;
  app.addHook('onClose', async () => {
    if (!overrides.db) await db?.close();
    if (!overrides.embedder) await embedder.close();
  });
  try {
    await embedder.init();
    db ??= await openDatabase(config.database, {
      migrate: config.migrateOnStart,
      embedding: { model: embedder.model, dimensions: embedder.dimensions },
      strictRoles: config.env === 'production',
      log: (m) => app.log.info(m),
      warn: (m) => app.log.warn(m),
      observer: { rlsBlocked: () => metrics.rlsBlocks.inc() },
    });
  } catch (err) {
    await app.close();
    throw err;
  }
  if (db.topology === 'citus') app.log.info('database: a Citus coordinator; the tenant tables are sharded by user_hash');

  const hashUser = createUserHasher(config.keys.hashKey);
  const dataKeys = new DataKeys<Queryable>(config.keys.kek, keyRepository);
  if (config.migrateOnStart) {
    // Chunks sealed under the older AAD are re-sealed before the first request (a no-op once done).
    const opened = db;
    await withMaintenance(config.database, opened, (maintenance) =>
      resealLegacyChunks({ db: opened, maintenance, dataKeys }, { log: (m) => app.log.info(m) }),
    ).catch(async (err: unknown) => {
      // An owner that is not a member of engram_maintenance: serve, say so (engram migrate fails on it).
      if ((err as { code?: string }).code === '42501') {
        app.log.warn(`chunk AAD: could not look for chunks to re-seal (${(err as Error).message}); grant engram_maintenance to the owner and run engram migrate`);
        return;
      }
      await app.close();
      throw err;
    });
  }
  // The offline reranker, or the external endpoint, always behind the guard (budget, breaker, metrics).
  const reranker = createReranker(config.rerank, { offline: new OfflineReranker(), metrics, log: app.log });
  app.addHook('onClose', async () => reranker.close());
  const keywordIndex = new KeywordIndex(config.search.keywordIndex);
  const memory = new MemoryService({
    db,
    embedder,
    dataKeys,
    hashUser,
    metrics,
    vectorSearch: config.vectorSearch,
    keywordIndex,
    search: overrides.search ?? new SearchPipeline({ keywordIndex: config.search.keywordIndex }),
    reranker,
    lifecycle: { defaultTtlSeconds: config.expiry.defaultTtlSeconds, dedup: config.dedup.enabled },
  });
  const entities = new EntityService({ db, dataKeys, hashUser, metrics });
  const updates = new UpdateService({ db, embedder, dataKeys, hashUser, metrics, keywordIndex });
  const database = db;
  metrics.watchPool(() => database.stats());
  const redis =
    config.rateLimit.enabled && config.rateLimit.redisUrl
      ? await connectRateLimitRedis(config.rateLimit.redisUrl, { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) })
      : undefined;
  if (redis) app.addHook('onClose', () => redis.close());
  if (config.rateLimit.enabled) {
    // Before the routes (it hooks each one as it is added); it limits only authenticated requests.
    await app.register(rateLimitPlugin, { config: config.rateLimit, hashUser, metrics, redis });
  }
  await app.register(healthRoutes, {
    db,
    embedder,
    timeoutMs: config.timeouts.readyzMs,
    redis: redis && { ping: () => redis.client.ping(), failMode: config.rateLimit.failMode },
  });
  if (config.metricsPort === undefined) await app.register(metricsRoute, { metrics });
  const summarizer = createSummarizer(config.llm, { db, embedder, dataKeys, hashUser, metrics, memory });
  app.addHook('onClose', async () => summarizer.close());
  await app.register(memoryRoutes, {
    prefix: '/api/v1/memory',
    memory,
    verifier,
    entities,
    entitiesOnIngest: config.entities.onIngest,
    summarizer,
    updates,
  });
  await app.register(mcpRoutes, { verifier, version: VERSION });
  if (config.mem0Compat) {
    await app.register(mem0Routes, {
      memory,
      updates,
      verifier,
      history: (userId, memoryId) => readHistory({ db: database, dataKeys, hashUser }, userId, memoryId),
      facts: summarizer.llm && config.llm ? createFactExtractor(summarizer.llm, config.llm.maxInputChars) : undefined,
    });
  }
  if (config.consoleEnabled) await app.register(consolePlugin, { dir: overrides.consoleDir });
  // Built here, started by the server (server.ts): tests and tools that build an app sweep nothing.
  const sweeper = new ExpirySweeper(
    {
      db,
      withMaintenance: (fn) => withMaintenance(config.database, database, fn),
      metrics,
      log: { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) },
    },
    { intervalMs: config.expiry.sweepIntervalMs, batchSize: config.expiry.sweepBatch },
  );
  app.decorate('expirySweeper', sweeper);
  // preClose runs before every onClose hook: a pass in progress ends before the database closes.
  app.addHook('preClose', async () => sweeper.stop());
  return app;
}

/** The admin listener for METRICS_PORT: /metrics and nothing else. */
export async function buildAdminApp(metrics: Metrics): Promise<FastifyInstance> {
  const admin = Fastify({ logger: false });
  await admin.register(metricsRoute, { metrics });
  return admin;
}
