import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config/schema.js';
import type { UserHasher } from '../../crypto/user-hash.js';
import { AppError, ErrorCode, Errors, RETRY_AFTER_SECONDS } from '../../errors/app-error.js';
import type { Metrics } from '../../metrics/metrics.js';
import { budgets, routeClass, type RouteClass } from '../../ratelimit/route-class.js';
import type { RateLimitRedis } from '../../ratelimit/redis.js';
import { localCounter, redisCounter, type LocalStoreLike, type WeightedCounter, type Charge } from '../../ratelimit/weighted.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Units of the route class's budget a request costs (a batch: its items); absent: one. */
    rateLimitCost?: (request: FastifyRequest) => number;
    /** The budget a route draws on when its URL does not say (the mem0-compatible routes); absent: routeClass(). */
    rateLimitClass?: RouteClass;
  }
}

export interface RateLimitPluginOptions {
  config: Config['rateLimit'];
  hashUser: UserHasher;
  metrics: Metrics;
  /** The Redis the counters live in (connected by the caller when REDIS_URL is set; it also closes it). */
  redis?: RateLimitRedis;
}

type StoreCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;
type RedisStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: unknown,
  nameSpace: string,
) => FastifyRateLimitStore;

// The plugin's own Redis store (its atomic INCR + PEXPIRE script), wrapped below to see its failures.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreCtor;
// The plugin's in-process store, created here so that weighted charges (below) share its counters.
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache: number,
) => FastifyRateLimitStore & LocalStoreLike;

/**
 * A store that delegates to another and applies the fail mode when it fails: every failure is
 * counted; `open` hands the error back to the plugin, which lets the request through (skipOnError);
 * `closed` replaces it with NOT_READY (503), which refuses the request.
 */
function failurePolicyStore(
  inner: FastifyRateLimitStore,
  policy: 'open' | 'closed',
  onFailure: (err: unknown) => void,
): FastifyRateLimitStore {
  const fail = (err: unknown, cb: StoreCallback) => {
    onFailure(err);
    cb(policy === 'open' ? (err as Error) : Errors.notReady('rate limiting is unavailable; retry shortly', RETRY_AFTER_SECONDS));
  };
  return {
    incr(key, cb, timeWindow, max) {
      try {
        inner.incr(key, (err, result) => (err ? fail(err, cb) : cb(null, result)), timeWindow, max);
      } catch (err) {
        fail(err, cb);
      }
    },
    child(routeOptions) {
      return failurePolicyStore(inner.child(routeOptions), policy, onFailure);
    },
  };
}

const classOf = (request: FastifyRequest): RouteClass =>
  request.routeOptions.config.rateLimitClass ?? routeClass(request.method, request.routeOptions.url ?? request.url);

/**
 * Per-user, per-route-class rate limits with @fastify/rate-limit. Registered on the root before the
 * routes; it applies to every request that authenticated (the auth hook set request.principal) and
 * passes everything else (health, metrics, docs) untouched.
 *
 * - Runs in preValidation: after authentication (onRequest), before body validation, so malformed
 *   requests spend budget too and their 400s carry the X-RateLimit-* headers.
 * - Key: `<class>:<HMAC(subject)>` — never the raw user id; in Redis under RATE_LIMIT_KEY_PREFIX.
 * - Fixed windows of RATE_LIMIT_WINDOW_SEC; with REDIS_URL the counters live in Redis and every
 *   process shares them, else in this process's memory.
 * - Past the limit: our RATE_LIMITED error (429) with Retry-After, rendered by our error handler.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: RateLimitPluginOptions) => {
    const { config, hashUser, metrics, redis } = opts;
    const perWindow = budgets(config.perMinute, config.windowMs);

    const onFailure = (err: unknown) => {
      metrics.rateLimitBackendErrors.inc({ policy: config.failMode });
      app.log.debug({ err }, 'rate-limit store failed');
    };
    let instance: FastifyRateLimitStore;
    let weighted: WeightedCounter;
    if (redis) {
      instance = failurePolicyStore(new RedisStore(false, false, redis.client, config.keyPrefix), config.failMode, onFailure);
      weighted = redisCounter(redis.client, config.keyPrefix);
    } else {
      const local = new LocalStore(false, false, 100_000);
      instance = local;
      weighted = localCounter(local);
    }
    // The plugin instantiates `store` itself; hand it the one instance.
    const store = function SharedStore() {
      return instance;
    } as unknown as new () => FastifyRateLimitStore;

    // Routes with a cost (the batch route) are charged here instead of by the plugin: n units at once.
    app.addHook('onRoute', (route) => {
      const cost = route.config?.rateLimitCost;
      if (!cost) return;
      route.config = { ...route.config, rateLimit: false } as typeof route.config;
      const hook = weightedHook(weighted, cost, (request) => perWindow[classOf(request)], config, hashUser, metrics, onFailure);
      route.preValidation = [...(Array.isArray(route.preValidation) ? route.preValidation : route.preValidation ? [route.preValidation] : []), hook];
    });

    await app.register(rateLimit, {
      global: true,
      hook: 'preValidation',
      timeWindow: config.windowMs,
      max: (request) => perWindow[classOf(request)],
      keyGenerator: (request) => (request.principal ? `${classOf(request)}:${hashUser(request.principal.subject)}` : ''),
      // Unauthenticated routes (health, metrics, docs) are not limited and get no headers.
      allowList: (request) => request.principal === undefined,
      store,
      skipOnError: config.failMode === 'open',
      errorResponseBuilder: (request, context) => {
        const routeClass = classOf(request);
        metrics.rateLimited.inc({ route_class: routeClass });
        return new AppError(ErrorCode.RateLimited, `rate limit of ${context.max} ${routeClass} requests exceeded; retry in ${context.after}`);
      },
    });
  },
  { name: 'engram-rate-limit', fastify: '5.x' },
);

/** Charges `cost(request)` units at once; refuses (429, nothing charged) when they do not fit in the window. */
function weightedHook(
  counter: WeightedCounter,
  cost: (request: FastifyRequest) => number,
  maxOf: (request: FastifyRequest) => number,
  config: Config['rateLimit'],
  hashUser: UserHasher,
  metrics: Metrics,
  onFailure: (err: unknown) => void,
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.principal) return;
    const routeClass = classOf(request);
    const max = maxOf(request);
    const units = cost(request);
    let charge: Charge;
    try {
      charge = await counter.charge(`${routeClass}:${hashUser(request.principal.subject)}`, units, config.windowMs, max);
    } catch (err) {
      onFailure(err);
      if (config.failMode === 'open') return;
      throw Errors.notReady('rate limiting is unavailable; retry shortly', RETRY_AFTER_SECONDS);
    }
    const resetSeconds = Math.max(1, Math.ceil(charge.ttlMs / 1000));
    reply.header('x-ratelimit-limit', max);
    reply.header('x-ratelimit-remaining', Math.max(0, max - charge.current));
    reply.header('x-ratelimit-reset', resetSeconds);
    if (charge.charged) return;
    metrics.rateLimited.inc({ route_class: routeClass });
    const left = Math.max(0, max - charge.current);
    const detail =
      units > max
        ? `this request needs ${units} ${routeClass} units but the budget is ${max} per window: send at most ${max} items at once`
        : `rate limit of ${max} ${routeClass} units exceeded: this request needs ${units}, ${left} left; retry in ${resetSeconds} s or send fewer items`;
    throw new AppError(ErrorCode.RateLimited, detail, { retryAfter: resetSeconds });
  };
}
