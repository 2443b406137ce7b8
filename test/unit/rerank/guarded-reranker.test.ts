import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/metrics/metrics.js';
import { GuardedReranker, type BreakerOptions } from '../../../src/search/rerank/guarded-reranker.js';
import { HttpReranker } from '../../../src/search/rerank/http-reranker.js';
import type { RerankCandidate, Reranker } from '../../../src/search/rerank/reranker.js';
import { startRerankStub, type RerankStub } from '../../helpers/rerank-stub.js';

/**
 * Acceptance 4 of issue 6: the guard against a real local HTTP reranker that fails, hangs, answers
 * garbage and recovers. Durations are correctness bounds (the answer arrives at all, and well before
 * what waiting on the reranker would cost), with generous slack for a loaded machine — not benchmarks.
 */

const SLACK_MS = 1500;

function candidates(...texts: string[]): RerankCandidate[] {
  return texts.map((text, i) => ({
    id: `c${i}`,
    memoryId: `m${i}`,
    text,
    createdAt: new Date(0),
    metadata: {},
    scores: { vector: 0.5, keyword: null, fused: 0.5, context: 0, retrieval: 0.5 },
  }));
}
const CANDIDATES = candidates('the cat sat on the mat', 'Priyanka moved to Ledgerly', 'nothing relevant here');
const QUERY = 'where did Priyanka move';

const breaker = (over: Partial<BreakerOptions> = {}): BreakerOptions => ({
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  windowMs: 10_000,
  cooldownMs: 60_000,
  ...over,
});

async function skipped(metrics: Metrics, reason: string): Promise<number> {
  const { values } = await metrics.rerankSkipped.get();
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}
async function breakerGauge(metrics: Metrics): Promise<number> {
  return (await metrics.rerankBreakerState.get()).values[0]?.value ?? Number.NaN;
}
async function latencyCount(metrics: Metrics): Promise<number> {
  return (await metrics.rerankLatency.get()).values.find((v) => v.metricName === 'memory_rerank_latency_ms_count')?.value ?? 0;
}
async function timed<T>(p: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await p;
  return { result, ms: performance.now() - started };
}

describe('GuardedReranker around a real HTTP reranker', () => {
  let stub: RerankStub;
  let metrics: Metrics;
  let guards: GuardedReranker[];

  beforeAll(async () => {
    stub = await startRerankStub();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.mode = 'ok';
    stub.requests = [];
    metrics = createMetrics();
    guards = [];
  });
  afterEach(() => {
    for (const g of guards) g.close();
  });

  function guard(timeoutMs: number, over: Partial<BreakerOptions> = {}): GuardedReranker {
    const g = new GuardedReranker(new HttpReranker({ url: stub.url, model: 'stub-reranker' }), {
      timeoutMs,
      breaker: breaker(over),
      metrics,
    });
    guards.push(g);
    return g;
  }

  it('reranks when the reranker answers: scores in candidate order, latency observed, nothing skipped', async () => {
    const g = guard(2000);
    const result = await g.rerank(QUERY, CANDIDATES);
    expect(result).toEqual({ reranked: true, scores: [0, 1, 0] });
    expect(await latencyCount(metrics)).toBe(1);
    for (const reason of ['circuit_open', 'timeout', 'error']) expect(await skipped(metrics, reason)).toBe(0);
    expect(await breakerGauge(metrics)).toBe(0);
    expect(g.state).toBe('closed');
  });

  it('exports every skip reason from zero, so rate() sees the first skip', async () => {
    guard(2000);
    const text = await metrics.registry.getSingleMetricAsString('memory_rerank_skipped_total');
    for (const reason of ['circuit_open', 'timeout', 'error']) expect(text).toContain(`memory_rerank_skipped_total{reason="${reason}"} 0`);
    expect(text).not.toContain('disabled');
  });

  it('a hanging reranker: the query still answers within the budget, un-reranked, counted as a timeout, and the request is aborted', async () => {
    stub.mode = 'hanging';
    const budget = 300;
    const g = guard(budget);
    const { result, ms } = await timed(g.rerank(QUERY, CANDIDATES));
    expect(result).toEqual({ reranked: false, reason: 'timeout' });
    expect(ms).toBeLessThan(budget + SLACK_MS);
    expect(await skipped(metrics, 'timeout')).toBe(1);
    expect(await latencyCount(metrics)).toBe(1);
    await vi.waitFor(() => expect(stub.requests[0]?.aborted).toBe(true), { timeout: 5000, interval: 20 });
  });

  it('a failing (500) or malformed reranker: un-reranked with reason error, counted', async () => {
    const g = guard(2000, { volumeThreshold: 100 });
    stub.mode = 'failing';
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'error' });
    stub.mode = 'malformed';
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'error' });
    expect(await skipped(metrics, 'error')).toBe(2);
    expect(await skipped(metrics, 'timeout')).toBe(0);
    stub.mode = 'ok';
    expect((await g.rerank(QUERY, CANDIDATES)).reranked).toBe(true);
  });

  it('repeated failures open the breaker; while open it answers at once without calling the reranker', async () => {
    const g = guard(5000, { volumeThreshold: 3 });
    stub.mode = 'failing';
    for (let i = 0; i < 3; i++) expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'error' });
    expect(g.state).toBe('open');
    expect(await breakerGauge(metrics)).toBe(2);

    // Now the reranker would hang for the whole 5 s budget if it were called.
    stub.mode = 'hanging';
    const before = stub.requests.length;
    for (let i = 0; i < 5; i++) {
      const { result, ms } = await timed(g.rerank(QUERY, CANDIDATES));
      expect(result).toEqual({ reranked: false, reason: 'open' });
      expect(ms).toBeLessThan(1000); // far below the 5 s that calling the reranker would take
    }
    expect(stub.requests.length).toBe(before);
    expect(await skipped(metrics, 'circuit_open')).toBe(5);
    expect(await skipped(metrics, 'error')).toBe(3);
  });

  it('logs each transition once, with the last failure but never the query', async () => {
    const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
    const log = {
      warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    };
    const g = new GuardedReranker(new HttpReranker({ url: stub.url, model: 'stub-reranker' }), {
      timeoutMs: 2000,
      breaker: breaker({ volumeThreshold: 2, cooldownMs: 200 }),
      metrics,
      log,
    });
    guards.push(g);
    stub.mode = 'failing'; // the stub echoes the query in its error body
    await g.rerank(QUERY, CANDIDATES);
    await g.rerank(QUERY, CANDIDATES);
    await g.rerank(QUERY, CANDIDATES);
    stub.mode = 'ok';
    await vi.waitFor(() => expect(g.state).toBe('half-open'), { timeout: 5000, interval: 10 });
    await g.rerank(QUERY, CANDIDATES);
    expect(lines.map((l) => [l.level, l.obj.state])).toEqual([
      ['warn', 'open'],
      ['info', 'half-open'],
      ['info', 'closed'],
    ]);
    expect(lines[0]?.obj).toMatchObject({ event: 'rerank_breaker', reranker: 'http:stub-reranker', lastFailure: expect.stringMatching(/HTTP 500/) });
    expect(JSON.stringify(lines)).not.toMatch(/Priyanka/);
  });

  it('timeouts open the breaker too', async () => {
    stub.mode = 'hanging';
    const g = guard(150, { volumeThreshold: 2 });
    expect((await g.rerank(QUERY, CANDIDATES)).reranked).toBe(false);
    expect((await g.rerank(QUERY, CANDIDATES)).reranked).toBe(false);
    expect(g.state).toBe('open');
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'open' });
    expect(await skipped(metrics, 'timeout')).toBe(2);
  });

  it('stays closed while failures stay below the threshold share of the window', async () => {
    const g = guard(2000, { volumeThreshold: 3, errorThresholdPercentage: 50 });
    for (let i = 0; i < 6; i++) {
      stub.mode = i % 3 === 0 ? 'failing' : 'ok'; // a third of the calls fail
      await g.rerank(QUERY, CANDIDATES);
    }
    expect(g.state).toBe('closed');
    expect(await skipped(metrics, 'circuit_open')).toBe(0);
  });

  it('after the cool-down a successful probe closes it again', async () => {
    const g = guard(2000, { volumeThreshold: 2, cooldownMs: 250 });
    stub.mode = 'failing';
    await g.rerank(QUERY, CANDIDATES);
    await g.rerank(QUERY, CANDIDATES);
    expect(g.state).toBe('open');

    stub.mode = 'ok'; // the reranker recovers
    await vi.waitFor(() => expect(g.state).toBe('half-open'), { timeout: 5000, interval: 10 });
    expect(await breakerGauge(metrics)).toBe(1);
    const calls = stub.requests.length;
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: true, scores: [0, 1, 0] });
    expect(stub.requests.length).toBe(calls + 1); // the probe reached the reranker
    expect(g.state).toBe('closed');
    expect(await breakerGauge(metrics)).toBe(0);
    expect((await g.rerank(QUERY, CANDIDATES)).reranked).toBe(true);
  });

  it('a failed probe opens it for another cool-down', async () => {
    const g = guard(2000, { volumeThreshold: 2, cooldownMs: 250 });
    stub.mode = 'failing';
    await g.rerank(QUERY, CANDIDATES);
    await g.rerank(QUERY, CANDIDATES);
    await vi.waitFor(() => expect(g.state).toBe('half-open'), { timeout: 5000, interval: 10 });
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'error' });
    expect(g.state).toBe('open');
    expect(await breakerGauge(metrics)).toBe(2);
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'open' });

    stub.mode = 'ok';
    await vi.waitFor(() => expect(g.state).toBe('half-open'), { timeout: 5000, interval: 10 });
    expect((await g.rerank(QUERY, CANDIDATES)).reranked).toBe(true);
    expect(g.state).toBe('closed');
  });

  it('half-open lets exactly one probe through; concurrent queries answer at once meanwhile', async () => {
    const g = guard(400, { volumeThreshold: 2, cooldownMs: 250 });
    stub.mode = 'failing';
    await g.rerank(QUERY, CANDIDATES);
    await g.rerank(QUERY, CANDIDATES);
    await vi.waitFor(() => expect(g.state).toBe('half-open'), { timeout: 5000, interval: 10 });

    stub.mode = 'hanging'; // the probe hangs until the budget aborts it
    const calls = stub.requests.length;
    const probe = g.rerank(QUERY, CANDIDATES);
    const others = await Promise.all([g.rerank(QUERY, CANDIDATES), g.rerank(QUERY, CANDIDATES)]);
    expect(others).toEqual([
      { reranked: false, reason: 'open' },
      { reranked: false, reason: 'open' },
    ]);
    expect(await probe).toEqual({ reranked: false, reason: 'timeout' });
    expect(stub.requests.length).toBe(calls + 1);
    expect(g.state).toBe('open');
  });
});

describe('GuardedReranker around a misbehaving in-process Reranker', () => {
  const guards: GuardedReranker[] = [];
  afterEach(() => {
    for (const g of guards.splice(0)) g.close();
  });
  function guard(reranker: Reranker, timeoutMs = 200, metrics?: Metrics): GuardedReranker {
    const g = new GuardedReranker(reranker, { timeoutMs, breaker: breaker({ volumeThreshold: 100 }), metrics });
    guards.push(g);
    return g;
  }
  const fake = (rerank: Reranker['rerank']): Reranker => ({ name: 'fake', rerank });

  it('answers within the budget even when the reranker ignores its AbortSignal', async () => {
    let signalled: AbortSignal | undefined;
    const g = guard(
      fake((_q, _c, signal) => {
        signalled = signal;
        return new Promise<number[]>(() => {}); // never settles, never looks at the signal
      }),
    );
    const { result, ms } = await timed(g.rerank(QUERY, CANDIDATES));
    expect(result).toEqual({ reranked: false, reason: 'timeout' });
    expect(ms).toBeLessThan(200 + SLACK_MS);
    expect(signalled?.aborted).toBe(true);
  });

  it('a reranker that blocks the event loop past the budget counts as a timeout', async () => {
    const g = guard(
      fake(async (_q, c) => {
        const until = performance.now() + 120;
        while (performance.now() < until); // CPU-bound, no await: the timer cannot fire in between
        return c.map(() => 1);
      }),
      50,
    );
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'timeout' });
  });

  it.each([
    ['too few scores', async () => [1, 2]],
    ['a non-finite score', async () => [1, Number.NaN, 3]],
    ['not an array', async () => 'scores' as unknown as number[]],
    ['a rejection', async () => Promise.reject(new Error('boom'))],
    [
      'a synchronous throw',
      () => {
        throw new Error('sync boom');
      },
    ],
  ])('%s is an error, never a crash', async (_what, rerank) => {
    const metrics = createMetrics();
    const g = guard(fake(rerank as Reranker['rerank']), 200, metrics);
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'error' });
    expect(await skipped(metrics, 'error')).toBe(1);
  });

  it('does not call the reranker for no candidates', async () => {
    const rerank = vi.fn(async () => []);
    expect(await guard(fake(rerank)).rerank(QUERY, [])).toEqual({ reranked: true, scores: [] });
    expect(rerank).not.toHaveBeenCalled();
  });

  it('a disabled guard answers disabled and counts nothing; a closed guard answers disabled', async () => {
    const metrics = createMetrics();
    const off = GuardedReranker.disabled();
    expect(off.enabled).toBe(false);
    expect(off.state).toBe('disabled');
    expect(await off.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'disabled' });
    expect((await metrics.rerankSkipped.get()).values).toEqual([]);

    const g = guard(fake(async (_q, c) => c.map(() => 1)), 200, metrics);
    expect(g.enabled).toBe(true);
    g.close();
    expect(g.enabled).toBe(false);
    expect(await g.rerank(QUERY, CANDIDATES)).toEqual({ reranked: false, reason: 'disabled' });
    expect(await skipped(metrics, 'error')).toBe(0);
  });
});
