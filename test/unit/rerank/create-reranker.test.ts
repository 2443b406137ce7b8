import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { createReranker, type GuardedReranker, type RerankCandidate, type Reranker } from '../../../src/search/rerank/index.js';
import { startRerankStub, type RerankStub } from '../../helpers/rerank-stub.js';

const key = () => randomBytes(32).toString('base64');
const env = (more: Record<string, string | undefined> = {}) => ({
  JWT_SECRET: 's'.repeat(40),
  ENGRAM_KEK: key(),
  ENGRAM_HASH_KEY: key(),
  ENGRAM_DATA_DIR: 'memory://',
  ...more,
});
const CANDIDATES: RerankCandidate[] = ['alpha beta', 'beta gamma'].map((text, i) => ({
  id: `c${i}`,
  memoryId: `m${i}`,
  text,
  createdAt: new Date(0),
  metadata: {},
  scores: { vector: 0.1, keyword: null, fused: 0.1, context: 0, retrieval: 0.1 },
}));
const offline: Reranker = { name: 'offline-test', rerank: async (_q, c) => c.map((_, i) => 100 + i) };

describe('RERANK_* configuration', () => {
  it('defaults: enabled, offline, a 250 ms budget, a breaker at 50% of at least 5 calls in 10 s, 30 s cool-down', () => {
    expect(loadConfig(env()).rerank).toEqual({
      enabled: true,
      provider: 'offline',
      timeoutMs: 250,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, windowMs: 10_000, cooldownMs: 30_000 },
    });
  });

  it('RERANK_URL alone selects the external reranker (500 ms budget by default); RERANK_PROVIDER=offline keeps the offline one', () => {
    const http = loadConfig(env({ RERANK_URL: 'https://api.cohere.com/v2/rerank', RERANK_MODEL: 'rerank-v3.5', RERANK_API_KEY: 'k' })).rerank;
    expect(http).toMatchObject({ provider: 'http', url: 'https://api.cohere.com/v2/rerank', model: 'rerank-v3.5', apiKey: 'k', format: 'cohere', scoreScale: 'probability', timeoutMs: 500 });
    expect(loadConfig(env({ RERANK_URL: 'http://tei/rerank', RERANK_FORMAT: 'tei' })).rerank).toMatchObject({ scoreScale: 'logit' });
    expect(loadConfig(env({ RERANK_URL: 'http://tei/rerank', RERANK_PROVIDER: 'offline' })).rerank.provider).toBe('offline');
  });

  it('reads every variable', () => {
    const c = loadConfig(
      env({
        RERANK_ENABLED: 'false',
        RERANK_PROVIDER: 'http',
        RERANK_URL: 'http://tei:8080/rerank',
        RERANK_FORMAT: 'tei',
        RERANK_SCORE_SCALE: 'probability',
        RERANK_TIMEOUT_MS: '120',
        RERANK_BREAKER_THRESHOLD: '25',
        RERANK_BREAKER_VOLUME: '20',
        RERANK_BREAKER_WINDOW_MS: '60000',
        RERANK_BREAKER_COOLDOWN_MS: '5000',
      }),
    ).rerank;
    expect(c).toEqual({
      enabled: false,
      provider: 'http',
      url: 'http://tei:8080/rerank',
      scoreScale: 'probability',
      format: 'tei',
      model: undefined,
      apiKey: undefined,
      timeoutMs: 120,
      breaker: { errorThresholdPercentage: 25, volumeThreshold: 20, windowMs: 60_000, cooldownMs: 5000 },
    });
  });

  it('reads RERANK_API_KEY from RERANK_API_KEY_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'engram-rerank-')), 'key');
    writeFileSync(file, 'from-a-file\n');
    expect(loadConfig(env({ RERANK_URL: 'http://tei/rerank', RERANK_API_KEY_FILE: file })).rerank).toMatchObject({ apiKey: 'from-a-file' });
  });

  it.each([
    [{ RERANK_PROVIDER: 'http' }, 'RERANK_URL'],
    [{ RERANK_PROVIDER: 'cohere' }, 'RERANK_PROVIDER'],
    [{ RERANK_URL: 'ftp://host/rerank' }, 'RERANK_URL'],
    [{ RERANK_ENABLED: 'maybe' }, 'RERANK_ENABLED'],
    [{ RERANK_TIMEOUT_MS: '0' }, 'RERANK_TIMEOUT_MS'],
    [{ RERANK_BREAKER_THRESHOLD: '101' }, 'RERANK_BREAKER_THRESHOLD'],
    [{ RERANK_BREAKER_VOLUME: '0' }, 'RERANK_BREAKER_VOLUME'],
    [{ RERANK_FORMAT: 'openai' }, 'RERANK_FORMAT'],
  ])('refuses %j', (bad, name) => {
    expect(() => loadConfig(env(bad))).toThrow(ConfigError);
    expect(() => loadConfig(env(bad))).toThrow(name);
  });
});

describe('createReranker', () => {
  let stub: RerankStub;
  const guards: GuardedReranker[] = [];
  beforeAll(async () => {
    stub = await startRerankStub();
  });
  afterAll(async () => {
    await stub.close();
  });
  afterEach(() => {
    for (const g of guards.splice(0)) g.close();
  });
  const make = (...args: Parameters<typeof createReranker>) => {
    const g = createReranker(...args);
    guards.push(g);
    return g;
  };

  it('guards the given offline reranker by default', async () => {
    const g = make(loadConfig(env()).rerank, { metrics: createMetrics(), offline });
    expect(g.name).toBe('offline-test');
    expect(await g.rerank('q', CANDIDATES)).toEqual({ reranked: true, scores: [100, 101] });
  });

  it('guards the external reranker when RERANK_URL is set, ignoring the offline one', async () => {
    stub.requests = [];
    // A budget no loaded machine misses (CI once took over the 500 ms default for this first request):
    // this checks the wiring; the budget has its own test below.
    const g = make(loadConfig(env({ RERANK_URL: stub.url, RERANK_MODEL: 'stub', RERANK_API_KEY: 'k', RERANK_TIMEOUT_MS: '10000' })).rerank, { offline });
    expect(g.name).toBe('http:stub');
    expect(await g.rerank('gamma', CANDIDATES)).toEqual({ reranked: true, scores: [0, 1] });
    expect(stub.requests[0]?.authorization).toBe('Bearer k');
  });

  it('applies the configured budget to the external reranker', async () => {
    stub.mode = 'hanging';
    try {
      const g = make(loadConfig(env({ RERANK_URL: stub.url, RERANK_TIMEOUT_MS: '100' })).rerank);
      expect(await g.rerank('gamma', CANDIDATES)).toEqual({ reranked: false, reason: 'timeout' });
    } finally {
      stub.mode = 'ok';
    }
  });

  it('RERANK_ENABLED=false, or no offline reranker to guard, gives a disabled guard (with a warning for the latter)', async () => {
    const off = make(loadConfig(env({ RERANK_ENABLED: 'false', RERANK_URL: stub.url })).rerank, { offline });
    expect(off.enabled).toBe(false);
    expect(await off.rerank('q', CANDIDATES)).toEqual({ reranked: false, reason: 'disabled' });

    const warnings: string[] = [];
    const none = make(loadConfig(env()).rerank, { log: { warn: (_o, m) => warnings.push(m), info: () => {} } });
    expect(none.enabled).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/no offline reranker/)]);
  });
});
