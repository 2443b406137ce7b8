import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { closeTestEmbedder, createTestApp, testEmbedder, testEnv, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * Issue 3, rate limiting — against the real Redis (a missing Redis fails the file, never skips it).
 * Every app gets its own key prefix, so parallel test files and projects never share counters.
 * The heavy parts (several apps, bursts, outages) run on the pglite project only; the basic
 * limit-and-429 behaviour runs on both.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `engram:rl:test:${randomUUID()}:`;
const heavy = backend() === 'pglite';
const LIST = '/api/v1/memory';

let redis: Redis;
const instances: FastifyInstance[] = [];

let base: TestApp | undefined;
type Instance = Pick<TestApp, 'app' | 'config' | 'token'>;

/**
 * Another Engram process with its own configuration, on the database of the first one (built once
 * per file — several processes of one deployment share a database; this also keeps the file fast).
 */
async function app(env: Record<string, string> = {}): Promise<Instance> {
  base ??= await createTestApp({ env: { RATE_LIMIT_DISABLED: '1' } });
  const config = loadConfig({
    ...testEnv({ REDIS_URL, RATE_LIMIT_KEY_PREFIX: `${RUN}${randomUUID()}:`, ...env }),
    ENGRAM_DATA_DIR: 'memory://',
    // The first instance migrated the shared database (and re-sealed old chunks); this one only serves.
    MIGRATE_ON_START: 'false',
  });
  const instance = await buildApp(config, { db: base.db, embedder: testEmbedder(), metrics: createMetrics(), logLevel: 'silent' });
  instances.push(instance);
  return { app: instance, config, token: base.token };
}

const bearer = async (t: Instance, subject: string) => ({ authorization: `Bearer ${await t.token(subject)}` });
const get = (t: Instance, headers: Record<string, string>, url = LIST) => t.app.inject({ method: 'GET', url, headers });
const header = (res: { headers: Record<string, unknown> }, name: string) => res.headers[name] as string | undefined;

async function count(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

function expectRateLimited(res: Awaited<ReturnType<typeof get>>) {
  expect(res.statusCode, res.body).toBe(429);
  expect(res.json()).toEqual({ code: 'RATE_LIMITED', detail: expect.stringMatching(/rate limit/), request_id: header(res, 'x-request-id') });
  expect(Number(header(res, 'retry-after'))).toBeGreaterThan(0);
  expect(header(res, 'x-ratelimit-remaining')).toBe('0');
}

/** `count` requests spread evenly over `spanMs`, all in flight together; the statuses in order. */
async function burst(t: Instance, headers: Record<string, string>, count: number, spanMs: number) {
  const started = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * spanMs) / count;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(get(t, headers).then((r) => r.statusCode));
  }
  const statuses = await Promise.all(pending);
  return { statuses, elapsedMs: performance.now() - started };
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  try {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  } catch (err) {
    throw new Error(`Redis is required for the rate-limit tests and is unreachable at ${REDIS_URL}: ${String(err)}`);
  }
});

afterAll(async () => {
  for (const instance of instances) await instance.close();
  await base?.close();
  await closeTestEmbedder();
  // Only this run's keys; never FLUSHALL a shared Redis.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${RUN}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
});

describe(`rate limiting on Redis (${backend()})`, () => {
  let t: Instance;
  let prefix: string;

  beforeAll(async () => {
    t = await app({ RATE_LIMIT_READ_PER_MIN: '5' });
    prefix = t.config.rateLimit.keyPrefix;
  });

  it('counts down in the headers, then answers 429 with Retry-After and our error body', async () => {
    const alice = await bearer(t, 'alice');
    const before = await count(t.app.metrics.rateLimited, { route_class: 'read' });
    for (let i = 0; i < 5; i++) {
      const res = await get(t, alice);
      expect(res.statusCode, res.body).toBe(200);
      expect(header(res, 'x-ratelimit-limit')).toBe('5');
      expect(header(res, 'x-ratelimit-remaining')).toBe(String(4 - i));
      expect(Number(header(res, 'x-ratelimit-reset'))).toBeGreaterThan(0);
      expect(Number(header(res, 'x-ratelimit-reset'))).toBeLessThanOrEqual(60);
    }
    const refused = await get(t, alice);
    expectRateLimited(refused);
    expect(header(refused, 'x-ratelimit-limit')).toBe('5');
    expect(await count(t.app.metrics.rateLimited, { route_class: 'read' })).toBe(before + 1);
    expect(await count(t.app.metrics.errors, { code: 'RATE_LIMITED' })).toBeGreaterThanOrEqual(1);

    // The counters are in Redis, under the prefix, keyed by class and a keyed hash of the subject.
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toEqual([expect.stringMatching(new RegExp(`^${prefix}read:[0-9a-f]{64}$`))]);
    expect(keys.join()).not.toContain('alice');
    expect(await redis.get(keys[0]!)).toBe('6');
  });

  it('error responses of limited routes carry the headers; unauthenticated and health ones are not limited', async () => {
    const dave = await bearer(t, 'dave');
    const invalid = await get(t, dave, `${LIST}?limit=many`);
    expect(invalid.statusCode).toBe(400);
    expect(header(invalid, 'x-ratelimit-remaining')).toBe('4'); // malformed requests spend budget too
    const missing = await t.app.inject({ method: 'DELETE', url: `${LIST}/${randomUUID()}`, headers: dave });
    expect(missing.statusCode).toBe(404);
    expect(header(missing, 'x-ratelimit-limit')).toBe('60'); // the write class's default

    for (let i = 0; i < 7; i++) {
      const anonymous = await t.app.inject({ method: 'GET', url: LIST });
      expect(anonymous.statusCode).toBe(401); // auth refuses first; no budget to show
      expect(header(anonymous, 'x-ratelimit-limit')).toBeUndefined();
      const health = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBeLessThan(500);
      expect(header(health, 'x-ratelimit-limit')).toBeUndefined();
    }
  });
});

// The heavy parts run once, on the pglite project (they do not depend on the database backend).
if (heavy) {
  describe(`rate limiting on Redis, in depth (${backend()})`, () => {
    let t: Instance;
    beforeAll(async () => {
      t = await app({ RATE_LIMIT_READ_PER_MIN: '5' });
    });

    it('users and route classes have separate budgets; the routes of a class share one', async () => {
      const bob = await bearer(t, 'bob');
      for (let i = 0; i < 5; i++) expect((await get(t, bob)).statusCode).toBe(200);
      expectRateLimited(await get(t, bob));
      // GET one memory is the same `read` class: refused as well.
      expectRateLimited(await get(t, bob, `${LIST}/${randomUUID()}`));
      // Another user still has the whole read budget.
      const carol = await get(t, await bearer(t, 'carol'));
      expect(carol.statusCode).toBe(200);
      expect(header(carol, 'x-ratelimit-remaining')).toBe('4');
      // Bob's other classes are untouched.
      const write = await t.app.inject({ method: 'DELETE', url: `${LIST}/${randomUUID()}`, headers: bob });
      expect(write.statusCode).toBe(404);
      expect(header(write, 'x-ratelimit-remaining')).toBe('59');
      const query = await t.app.inject({ method: 'POST', url: `${LIST}/query`, headers: bob, payload: { user_id: 'bob', query: 'anything' } });
      expect(query.statusCode, query.body).toBe(200);
      expect(header(query, 'x-ratelimit-limit')).toBe('300');
      expect(header(query, 'x-ratelimit-remaining')).toBe('299');
    });

    it("the mem0-compatible routes draw on the same budgets: a get, the users list and a page are reads; an add costs one ingest unit a turn", async () => {
      const dora = await bearer(t, 'dora');
      const token = { authorization: dora.authorization.replace(/^Bearer/, 'Token') };
      for (let i = 0; i < 4; i++) expect((await get(t, dora)).statusCode).toBe(200);
      const users = await t.app.inject({ method: 'GET', url: '/v1/entities/', headers: token });
      expect(users.statusCode, users.body).toBe(200);
      expect(header(users, 'x-ratelimit-remaining')).toBe('0');
      expectRateLimited(await t.app.inject({ method: 'GET', url: `/v1/memories/${randomUUID()}/`, headers: token }));
      expectRateLimited(await t.app.inject({ method: 'POST', url: '/v3/memories/', headers: token, payload: {} }));
      const turns = [{ role: 'user', content: 'Dora likes kites.' }, { role: 'user', content: 'Dora lives by the sea.' }, { role: 'assistant', content: 'Nice!' }];
      const add = await t.app.inject({ method: 'POST', url: '/v3/memories/add/', headers: token, payload: { messages: turns, infer: false } });
      expect(add.statusCode, add.body).toBe(200);
      const budget = Number(header(add, 'x-ratelimit-limit'));
      expect(header(add, 'x-ratelimit-remaining')).toBe(String(budget - 3));
      const search = await t.app.inject({ method: 'POST', url: '/v3/memories/search/', headers: token, payload: { query: 'kites' } });
      expect(search.statusCode, search.body).toBe(200);
      expect(header(search, 'x-ratelimit-remaining')).toBe('299');
    });

    it('two app instances on one Redis share the budget', async () => {
      const shared = { RATE_LIMIT_KEY_PREFIX: `${RUN}shared-${randomUUID()}:`, ENGRAM_HASH_KEY: randomBytes(32).toString('base64') };
      const a = await app({ ...shared, RATE_LIMIT_READ_PER_MIN: '10' });
      const b = await app({ ...shared, RATE_LIMIT_READ_PER_MIN: '10' });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await get(a, await bearer(a, 'erin'))).statusCode);
        statuses.push((await get(b, await bearer(b, 'erin'))).statusCode);
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
      expect(statuses.slice(10)).toEqual([429, 429]);
    });

    it('100 requests in a second at a limit of 25 give exactly 25 successes per window', async () => {
      // 750 per minute over a 2-second window is a budget of 25 per window.
      const fast = await app({ RATE_LIMIT_WINDOW_SEC: '2', RATE_LIMIT_READ_PER_MIN: '750' });
      const frank = await bearer(fast, 'frank');
      for (let window = 0; window < 2; window++) {
        const { statuses, elapsedMs } = await burst(fast, frank, 100, 1000);
        expect(elapsedMs, 'the burst fits in one window').toBeLessThan(2000);
        expect(statuses.filter((s) => s === 200)).toHaveLength(25);
        expect(statuses.filter((s) => s === 429)).toHaveLength(75);
        const last = await get(fast, frank);
        expectRateLimited(last);
        await sleep(Number(header(last, 'retry-after')) * 1000 + 50); // into the next window
      }
    });
  });

  describe(`Redis unavailable (${backend()})`, () => {
    const down = 'redis://127.0.0.1:1'; // nothing listens on port 1

    it('fail-open: requests pass quickly and each store failure is counted', async () => {
      const started = performance.now();
      const t = await app({ REDIS_URL: down, RATE_LIMIT_FAIL_MODE: 'open', RATE_LIMIT_READ_PER_MIN: '2' });
      expect(performance.now() - started, 'the start does not wait for Redis').toBeLessThan(10_000);
      const user = await bearer(t, 'gina');
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) expect((await get(t, user)).statusCode).toBe(200);
      expect(performance.now() - t0, 'bounded, not a hang').toBeLessThan(2000);
      expect(await count(t.app.metrics.rateLimitBackendErrors, { policy: 'open' })).toBe(5);
    });

    it('fail-closed: requests are refused with 503 NOT_READY and our error body, and counted', async () => {
      const t = await app({ REDIS_URL: down, RATE_LIMIT_FAIL_MODE: 'closed' });
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) {
        const res = await get(t, await bearer(t, 'hana'));
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({ code: 'NOT_READY', detail: expect.stringMatching(/rate limiting/), request_id: header(res, 'x-request-id') });
      }
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(await count(t.app.metrics.rateLimitBackendErrors, { policy: 'closed' })).toBe(3);
      expect(await count(t.app.metrics.rateLimitBackendErrors, { policy: 'open' })).toBe(0);
    });

    it('a Redis that accepts connections but never answers does not hang requests', async () => {
      const sockets = new Set<Socket>();
      const blackHole: Server = createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
      });
      await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
      const port = (blackHole.address() as { port: number }).port;
      try {
        const t = await app({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_FAIL_MODE: 'open' });
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) expect((await get(t, await bearer(t, 'ivan'))).statusCode).toBe(200);
        expect(performance.now() - t0).toBeLessThan(2000);
        expect(await count(t.app.metrics.rateLimitBackendErrors, { policy: 'open' })).toBe(5);
        await t.app.close();
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => blackHole.close(resolve));
      }
    });

    it('Redis dying and coming back: fail-open during the outage, limits again after', async () => {
      const port = await freePort();
      let server = await startRedis(port);
      try {
        const t = await app({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_FAIL_MODE: 'open', RATE_LIMIT_READ_PER_MIN: '3' });
        const user = await bearer(t, 'judy');
        for (let i = 0; i < 3; i++) expect((await get(t, user)).statusCode).toBe(200);
        expectRateLimited(await get(t, user));

        await stopRedis(server);
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) expect((await get(t, user)).statusCode).toBe(200);
        expect(performance.now() - t0).toBeLessThan(2000);
        expect(await count(t.app.metrics.rateLimitBackendErrors, { policy: 'open' })).toBeGreaterThanOrEqual(5);

        server = await startRedis(port); // empty: the old counters are gone with the process
        const deadline = Date.now() + 10_000;
        let res = await get(t, user);
        while (header(res, 'x-ratelimit-remaining') !== '2' && Date.now() < deadline) {
          await sleep(100);
          res = await get(t, user);
        }
        expect(header(res, 'x-ratelimit-remaining'), 'the client reconnected').toBe('2');
        for (let i = 0; i < 2; i++) expect((await get(t, user)).statusCode).toBe(200);
        expectRateLimited(await get(t, user));
      } finally {
        await stopRedis(server);
      }
    });
  });

  describe(`limits off and in memory (${backend()})`, () => {
    it('RATE_LIMIT_DISABLED=1 turns limiting off: no refusals, no headers', async () => {
      const t = await app({ RATE_LIMIT_DISABLED: '1', RATE_LIMIT_READ_PER_MIN: '1' });
      const user = await bearer(t, 'kim');
      for (let i = 0; i < 5; i++) {
        const res = await get(t, user);
        expect(res.statusCode).toBe(200);
        expect(header(res, 'x-ratelimit-limit')).toBeUndefined();
      }
    });

    it('without REDIS_URL the limits hold in memory', async () => {
      const t = await app({ REDIS_URL: '', RATE_LIMIT_READ_PER_MIN: '3' });
      expect(t.config.rateLimit.redisUrl).toBeUndefined();
      const user = await bearer(t, 'lee');
      for (let i = 0; i < 3; i++) {
        const res = await get(t, user);
        expect(res.statusCode).toBe(200);
        expect(header(res, 'x-ratelimit-remaining')).toBe(String(2 - i));
      }
      expectRateLimited(await get(t, user));
      expect((await get(t, await bearer(t, 'max'))).statusCode).toBe(200);
    });
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** A throwaway redis-server of our own (the shared one is never stopped). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => {});
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        return child;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on ${port}: ${String(err)}`);
        probe.disconnect();
        await sleep(50);
      }
    }
  } finally {
    probe.disconnect();
  }
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
