import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { isAppError } from '../../src/errors/app-error.js';
import { createUseLiteEmbedder } from '../../src/embed/use-lite.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend, onServer } from '../helpers/database.js';
import { freePort } from '../helpers/private-postgres.js';

/** Figures for the report: printed, never asserted on as speed. */
const printFigures = (line: string) => process.stdout.write(`${line}\n`);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const json = { 'content-type': 'application/json' };

async function indexRequest(t: TestApp, text: string) {
  const token = await t.token('bounded-user');
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/memory/index',
    headers: { ...json, authorization: `Bearer ${token}` },
    payload: { user_id: 'bounded-user', text },
  });
}

/** Every wait has an end: the embedder's queue and time, /readyz, the rate limiter's Redis, PostgreSQL. */
describe(`time bounds (${backend()})`, () => {
  const embedders: Embedder[] = [];
  const apps: TestApp[] = [];

  async function appWith(opts: Parameters<typeof createTestApp>[0]) {
    const t = await createTestApp(opts);
    apps.push(t);
    return t;
  }

  beforeAll(async () => {
    await testEmbedder().init();
  });

  afterAll(async () => {
    for (const t of apps) await t.close();
    for (const e of embedders) await e.close();
    await closeTestEmbedder();
  });

  it('a full embedding queue answers 503 OVERLOADED with Retry-After at once, never an unbounded wait', async () => {
    const embedder = createUseLiteEmbedder({ threads: 1, queueMax: 1 });
    embedders.push(embedder);
    const t = await appWith({ embedder, env: { RATE_LIMIT_DISABLED: 'true' } });
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => indexRequest(t, `Queued note number ${i}.`)));
    const statuses = responses.map((r) => r.statusCode);
    const refused = responses.filter((r) => r.statusCode === 503);
    printFigures(`[time-bounds] 12 concurrent index requests, queue bound 1 text: ${statuses.filter((s) => s === 201).length}x201 ${refused.length}x503`);
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
    expect(statuses).toContain(201);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.json()).toMatchObject({ code: 'OVERLOADED' });
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The bound frees up: once the queue drained, a request is served again.
    expect((await indexRequest(t, 'After the burst.')).statusCode).toBe(201);
  });

  it('an embedding that outlasts EMBEDDING_TIMEOUT_MS answers 504 EMBEDDING_TIMEOUT with Retry-After', async () => {
    const embedder = createUseLiteEmbedder({ threads: 1, timeoutMs: 1 });
    embedders.push(embedder);
    const t = await appWith({ embedder });
    const res = await indexRequest(t, 'This will not be embedded in one millisecond. '.repeat(40));
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ code: 'EMBEDDING_TIMEOUT' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('/readyz reports Redis when configured, fails only in closed fail mode, and the limiter 503 carries Retry-After', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const closed = await appWith({ env: { REDIS_URL: nowhere, RATE_LIMIT_FAIL_MODE: 'closed', READYZ_TIMEOUT_MS: '1500' } });
    const ready = await closed.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready', checks: { database: 'ok', model: 'ok', redis: 'unreachable' } });
    const refused = await indexRequest(closed, 'Refused while the limiter is blind.');
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'NOT_READY' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const open = await appWith({ env: { REDIS_URL: nowhere, RATE_LIMIT_FAIL_MODE: 'open' } });
    const openReady = await open.app.inject({ method: 'GET', url: '/readyz' });
    expect(openReady.statusCode).toBe(200);
    expect(openReady.json()).toMatchObject({ checks: { redis: 'unreachable' } });

    const up = await appWith({ env: { REDIS_URL, RATE_LIMIT_FAIL_MODE: 'closed', RATE_LIMIT_KEY_PREFIX: `engram:test:bounds:${Date.now()}:` } });
    const upReady = await up.app.inject({ method: 'GET', url: '/readyz' });
    expect(upReady.statusCode).toBe(200);
    expect(upReady.json()).toMatchObject({ checks: { redis: 'ok' } });
  });

  it('/readyz answers within READYZ_TIMEOUT_MS when the database does not answer at all', async () => {
    const t = await appWith({});
    const hanging = { ...t.db, ping: () => new Promise<void>(() => {}) };
    const config = { ...t.config, timeouts: { ...t.config.timeouts, readyzMs: 300 } };
    const app = await buildApp(config, { embedder: testEmbedder(), db: hanging, logLevel: 'silent' });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ checks: { database: 'timeout' } });
    } finally {
      await app.close();
    }
  });

  it.skipIf(!onServer())(
    'statement_timeout and idle_in_transaction_session_timeout end stuck work with DATABASE_UNAVAILABLE; the pool goes on',
    async () => {
      const t = await appWith({
        env: { DATABASE_STATEMENT_TIMEOUT_MS: '200', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '300', DATABASE_POOL_MAX: '1' },
      });
      // createTestApp opens the database with the config: the pool carries the timeouts.
      const slow = await t.db.withTenant('', (tx) => tx.query('SELECT pg_sleep(2)')).catch((e: unknown) => e);
      expect(isAppError(slow) && slow.code).toBe('DATABASE_UNAVAILABLE');
      expect(isAppError(slow) && slow.retryAfter).toBeGreaterThan(0);

      const idle = await t.db
        .withTenant('', async (tx) => {
          await new Promise((r) => setTimeout(r, 1000)); // a transaction left open, e.g. by a stuck caller
          return tx.query('SELECT 1');
        })
        .catch((e: unknown) => e);
      expect(isAppError(idle) && idle.code).toBe('DATABASE_UNAVAILABLE');
      // The one pooled connection was ended by the server; the pool replaces it on its own.
      await expect(t.db.withTenant('', (tx) => tx.query('SELECT 1'))).resolves.toBeDefined();
    },
  );
});
