import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * Issue 9: a batch of n items costs n units of the ingest budget, shared with single /index
 * requests; a batch that does not fit is refused whole (429, Retry-After) and charges nothing.
 * In memory and on the real Redis (a missing Redis fails the file).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `engram:rl:test:${randomUUID()}:`;
let redis: Redis;
const apps: TestApp[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  for (const a of apps) await a.close();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await closeTestEmbedder();
});

describe.each([
  ['in memory', {}],
  ['on Redis', { REDIS_URL, RATE_LIMIT_KEY_PREFIX: PREFIX }],
])(`batch rate limit %s (${backend()})`, (name, env) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_INGEST_PER_MIN: '10', ...env } });
    apps.push(t);
  });

  it('charges one unit per item, shares the budget with /index, refuses what does not fit without charging', async () => {
    const headers = { authorization: `Bearer ${await t.token('ivy')}` };
    const batch = (n: number, tag: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index/batch',
        headers,
        payload: { items: Array.from({ length: n }, (_, i) => ({ text: `${tag} ${i}` })) },
      });
    const memories = async () =>
      (await t.app.inject({ method: 'GET', url: '/api/v1/memory?limit=200', headers })).json().memories.length as number;

    const six = await batch(6, 'six');
    expect(six.statusCode, six.body).toBe(200);
    expect(six.headers['x-ratelimit-limit']).toBe('10');
    expect(six.headers['x-ratelimit-remaining']).toBe('4');

    const five = await batch(5, 'five');
    expect(five.statusCode).toBe(429);
    expect(five.json().code).toBe('RATE_LIMITED');
    expect(five.json().detail).toMatch(/needs 5, 4 left/);
    expect(Number(five.headers['retry-after'])).toBeGreaterThan(0);
    expect(five.headers['x-ratelimit-remaining']).toBe('4'); // nothing charged
    expect(await memories()).toBe(6); // nothing stored

    const single = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { text: 'single' } });
    expect(single.statusCode).toBe(201);
    expect(single.headers['x-ratelimit-remaining']).toBe('3');

    const three = await batch(3, 'three');
    expect(three.statusCode).toBe(200);
    expect(three.headers['x-ratelimit-remaining']).toBe('0');
    const over = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { text: 'one more' } });
    expect(over.statusCode).toBe(429);
    expect(await memories()).toBe(10);

    // Another user has a budget of their own.
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index/batch',
      headers: { authorization: `Bearer ${await t.token('jack')}` },
      payload: { items: [{ text: 'a' }, { text: 'b' }] },
    });
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe('8');
    if (name === 'on Redis') {
      const keys = await redis.keys(`${PREFIX}ingest:*`);
      expect(keys).toHaveLength(2);
      const values = (await Promise.all(keys.map((k) => redis.get(k)))).map(Number).sort((a, b) => a - b);
      expect(values).toEqual([2, 11]); // the plugin counts its refused single request too
      expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
    }
  });

  it('a batch larger than the whole window budget is refused with how many fit', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index/batch',
      headers: { authorization: `Bearer ${await t.token('kim')}` },
      payload: { items: Array.from({ length: 11 }, (_, i) => ({ text: `k ${i}` })) },
    });
    expect(res.statusCode).toBe(429);
    expect(res.json().detail).toMatch(/send at most 10 items/);
    expect(res.headers['x-ratelimit-remaining']).toBe('10');
  });
});
