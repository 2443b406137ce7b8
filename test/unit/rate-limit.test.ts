import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { budgets, routeClass } from '../../src/ratelimit/route-class.js';

const key = () => randomBytes(32).toString('base64');
const env = (extra: Record<string, string> = {}) => ({
  JWT_SECRET: 's'.repeat(40),
  ENGRAM_KEK: key(),
  ENGRAM_HASH_KEY: key(),
  ENGRAM_DATA_DIR: 'memory://',
  ...extra,
});

describe('rate-limit route classes', () => {
  it.each([
    ['POST', '/api/v1/memory/index', 'ingest'],
    ['POST', '/api/v1/memory/index/batch', 'ingest'],
    ['POST', '/api/v1/memory/query', 'query'],
    ['GET', '/api/v1/memory/:id', 'read'],
    ['HEAD', '/api/v1/memory/', 'read'],
    ['GET', '/api/v1/memory/export', 'read'],
    ['DELETE', '/api/v1/memory/:id', 'write'],
    ['PATCH', '/api/v1/memory/:id', 'write'],
    ['DELETE', '/api/v1/memory/', 'write'],
    ['POST', '/api/v1/memory/summarize', 'summarize'],
    ['GET', '/api/v1/memory/entities', 'summarize'],
    ['GET', '/api/v1/entities/:id', 'summarize'],
  ])('%s %s is %s', (method, url, expected) => {
    expect(routeClass(method, url)).toBe(expected);
  });

  it('scales the per-minute limits to the window, never below 1', () => {
    const perMinute = { ingest: 120, query: 300, read: 600, write: 60, summarize: 30 };
    expect(budgets(perMinute, 60_000)).toEqual(perMinute);
    expect(budgets(perMinute, 2_000)).toEqual({ ingest: 4, query: 10, read: 20, write: 2, summarize: 1 });
    expect(budgets({ ...perMinute, summarize: 1 }, 1_000).summarize).toBe(1);
    expect(budgets(perMinute, 3_600_000).write).toBe(3600);
  });
});

describe('rate-limit configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig(env()).rateLimit).toEqual({
      enabled: true,
      windowMs: 60_000,
      perMinute: { ingest: 120, query: 300, read: 600, write: 60, summarize: 30 },
      redisUrl: undefined,
      failMode: 'open',
      keyPrefix: 'engram:rl:',
    });
  });

  it('reads every variable', () => {
    const c = loadConfig(
      env({
        RATE_LIMIT_DISABLED: '1',
        RATE_LIMIT_WINDOW_SEC: '10',
        RATE_LIMIT_INGEST_PER_MIN: '1',
        RATE_LIMIT_QUERY_PER_MIN: '2',
        RATE_LIMIT_READ_PER_MIN: '3',
        RATE_LIMIT_WRITE_PER_MIN: '4',
        RATE_LIMIT_SUMMARIZE_PER_MIN: '5',
        RATE_LIMIT_FAIL_MODE: 'closed',
        RATE_LIMIT_KEY_PREFIX: 'prod:rl:',
        REDIS_URL: 'redis://:pw@cache:6379/2',
      }),
    ).rateLimit;
    expect(c).toEqual({
      enabled: false,
      windowMs: 10_000,
      perMinute: { ingest: 1, query: 2, read: 3, write: 4, summarize: 5 },
      redisUrl: 'redis://:pw@cache:6379/2',
      failMode: 'closed',
      keyPrefix: 'prod:rl:',
    });
  });

  it.each([
    [{ RATE_LIMIT_FAIL_MODE: 'maybe' }, 'RATE_LIMIT_FAIL_MODE'],
    [{ RATE_LIMIT_QUERY_PER_MIN: '0' }, 'RATE_LIMIT_QUERY_PER_MIN'],
    [{ RATE_LIMIT_WINDOW_SEC: 'soon' }, 'RATE_LIMIT_WINDOW_SEC'],
    [{ RATE_LIMIT_DISABLED: 'perhaps' }, 'RATE_LIMIT_DISABLED'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
  ])('a bad value stops the start: %j', (bad, name) => {
    expect(() => loadConfig(env(bad))).toThrow(ConfigError);
    expect(() => loadConfig(env(bad))).toThrow(name);
  });
});
