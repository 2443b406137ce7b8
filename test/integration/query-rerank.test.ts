import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { startRerankStub, stubScore, type RerankStub } from '../helpers/rerank-stub.js';

/**
 * The rerank guard in the query path (issue 6, item 3): with an external reranker (a local stub) that
 * answers, hangs, fails and recovers, POST /query always answers, says whether it reranked, counts the
 * skips, and reranks again once the breaker has closed.
 */
describe(`query with an external reranker (${backend()})`, () => {
  let t: TestApp;
  let stub: RerankStub;
  const user = 'rr-user';
  let headers: { authorization: string };
  const query = async (q: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: user, query: q, k: 3 } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { reranked: boolean; results: { text: string; score: number; scores: { rerank: number | null } }[] };
  };
  const skipped = async (reason: string) => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`memory_rerank_skipped_total{reason="${reason}"}`));
    return Number(line?.split(' ').at(-1) ?? 0);
  };

  beforeAll(async () => {
    stub = await startRerankStub('ok');
    t = await createTestApp({
      env: {
        RERANK_URL: stub.url,
        RERANK_TIMEOUT_MS: '3000', // generous: a loaded CI machine must not time out the answering stub
        RERANK_BREAKER_VOLUME: '2',
        RERANK_BREAKER_THRESHOLD: '50',
        RERANK_BREAKER_COOLDOWN_MS: '10000', // long enough that slow queries on a loaded machine do not outlast it
      },
    });
    headers = { authorization: `Bearer ${await t.token(user)}` };
    for (const text of ['The heron nests by the old mill pond.', 'I repaired the garden fence on Sunday.', 'Tea with lemon helps my throat.']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: user, text } });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
    await closeTestEmbedder();
  });

  it('reranks with the external scores while it answers', async () => {
    const out = await query('heron mill pond');
    expect(out.reranked).toBe(true);
    expect(out.results[0]!.text).toContain('heron');
    expect(out.results[0]!.scores.rerank).toBe(stubScore('heron mill pond', out.results[0]!.text));
    expect(out.results[0]!.score).toBe(out.results[0]!.scores.rerank);
  });

  it('hanging or failing: answers un-reranked, counts the skips, opens the breaker, closes after recovery', { timeout: 120_000 }, async () => {
    stub.mode = 'hanging';
    const hung = await query('garden fence');
    expect(hung.reranked).toBe(false);
    expect(hung.results[0]!.text).toContain('fence');
    expect(hung.results[0]!.scores.rerank).toBeNull();
    expect(await skipped('timeout')).toBeGreaterThanOrEqual(1);

    stub.mode = 'failing';
    for (let i = 0; i < 3; i++) expect((await query('lemon tea')).reranked).toBe(false);
    expect(await skipped('error')).toBeGreaterThanOrEqual(1);
    expect(await skipped('circuit_open')).toBeGreaterThanOrEqual(1);

    stub.mode = 'ok';
    const calls = stub.requests.length;
    expect((await query('lemon tea')).reranked).toBe(false); // still open: the stub is not called
    expect(stub.requests.length).toBe(calls);
    await new Promise((r) => setTimeout(r, 10_500)); // the cool-down passes; the next query is the probe
    expect((await query('lemon tea')).reranked).toBe(true);
    expect((await query('heron')).reranked).toBe(true);
  });
});
