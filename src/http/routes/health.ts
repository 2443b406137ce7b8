import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Database } from '../../store/database.js';
import type { Embedder } from '../../embed/embedder.js';

const Health = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

export interface HealthOptions {
  db: Database;
  embedder: Embedder;
  /** /readyz answers within this bound; a check still running then reports `timeout`. */
  timeoutMs: number;
  /** The rate limiter's Redis, when REDIS_URL is set. */
  redis?: {
    ping(): Promise<unknown>;
    /** `closed`: requests are refused while Redis is down, so the node is not ready either. */
    failMode: 'open' | 'closed';
  };
}

type CheckResult = 'ok' | 'unreachable' | 'timeout';

/** Runs a check, giving up after timeoutMs (the check itself keeps its own, longer bounds). */
async function bounded(check: () => Promise<unknown>, timeoutMs: number, onError: (err: unknown) => void): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const run = check().then(
    (): CheckResult => 'ok',
    (err: unknown): CheckResult => {
      onError(err);
      return 'unreachable';
    },
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness (the process answers) and readiness (database reachable, model loaded, Redis if used). */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions) {
  app.get(
    '/healthz',
    { schema: { operationId: 'healthz', summary: 'Liveness: the process answers', tags: ['health'], response: { 200: Health } } },
    async () => ({ status: 'ok' }),
  );

  const readiness = {
    operationId: 'readyz',
    summary: 'Readiness: the database answers, the embedding model is loaded, and Redis answers when configured',
    tags: ['health'],
    response: { 200: Health, 503: Health },
  };
  app.get('/readyz', { schema: readiness }, async (request, reply) => {
    const { redis, timeoutMs } = opts;
    const [database, redisCheck] = await Promise.all([
      bounded(() => opts.db.ping(), timeoutMs, (err) => request.log.warn({ err }, 'readiness: database unreachable')),
      redis ? bounded(() => redis.ping(), timeoutMs, (err) => request.log.warn({ err }, 'readiness: Redis unreachable')) : undefined,
    ]);
    const checks: Record<string, string> = { database, model: opts.embedder.isReady() ? 'ok' : 'not loaded' };
    if (redisCheck) checks.redis = redisCheck;
    // With RATE_LIMIT_FAIL_MODE=open the node serves without Redis: reported, but it stays ready.
    const required = Object.entries(checks).filter(([name]) => name !== 'redis' || redis?.failMode === 'closed');
    const ready = required.every(([, v]) => v === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
