import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { EVERYDAY_MEMORIES as EVERYDAY } from '../fixtures/everyday.js';


interface Result {
  text: string;
  score: number;
  scores: { vector: number | null; keyword: number | null; rerank: number | null };
}

/**
 * Issue 6, acceptance 5: a rare keyword present in exactly one memory ranks first for a query naming
 * it, every result reports its score parts, and `min_score` cuts an unrelated query to nothing while
 * the relevant hits of related queries stay.
 */
describe(`hybrid search (${backend()})`, () => {
  let t: TestApp;
  const user = 'hybrid-user';
  let headers: { authorization: string };
  const query = async (payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: user, ...payload } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { results: Result[]; reranked: boolean };
  };

  beforeAll(async () => {
    t = await createTestApp();
    headers = { authorization: `Bearer ${await t.token(user)}` };
    for (const text of EVERYDAY) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: user, text } });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  // Cosine similarity alone (USE-lite) ranks the Priyanka memory 2nd to 4th for these queries: their
  // other words pull towards family, wedding or pet memories.
  it.each([
    ['Is Priyanka related to my mom?', 'Priyanka'],
    ['Did Priyanka get married?', 'Priyanka'],
    ['gift for Priyanka kid', 'Priyanka'],
    ['Does Priyanka like pets?', 'Priyanka'],
    ['Ledgerly', 'Ledgerly'],
  ])('a rare keyword in exactly one memory ranks first: %s', async (q, word) => {
    // rerank:false: retrieval alone must get it right; the reranker must keep it.
    for (const rerank of [false, true]) {
      const { results } = await query({ query: q, k: 5, rerank });
      expect(results[0]!.text, `rerank: ${rerank}`).toContain(word);
    }
    const { results } = await query({ query: q, k: 5 });
    expect(results[0]!.scores.keyword).toBeGreaterThan(0);
  });

  it('reports score parts and whether it reranked; rerank:false skips the reranker', async () => {
    const reranked = await query({ query: 'pottery class', k: 3 });
    expect(reranked.reranked).toBe(true);
    const top = reranked.results[0]!;
    expect(top.text).toContain('pottery');
    expect(top.scores.vector).toEqual(expect.any(Number));
    expect(top.scores.keyword).toEqual(expect.any(Number));
    expect(top.scores.rerank).toBe(top.score);

    const plain = await query({ query: 'pottery class', k: 3, rerank: false });
    expect(plain.reranked).toBe(false);
    expect(plain.results[0]!.scores.rerank).toBeNull();
    expect(plain.results[0]!.text).toContain('pottery');
  });

  it('min_score cuts an unrelated query without losing the relevant hits of related ones', async () => {
    const MIN = 0.3;
    const unrelated = await query({ query: 'What is the capital of Mongolia?', k: 10 });
    const related = [
      ['What did Priyanka recommend?', 'Priyanka'],
      ['When is my dentist appointment?', 'dentist'],
      ['Which budgeting app do I use?', 'Ledgerly'],
      ['What am I allergic to?', 'allergic'],
      ['Where is the team offsite?', 'Lisbon'],
    ] as const;
    const scoresOf = async (q: string) => (await query({ query: q, k: 10 })).results;
    // Without a threshold the unrelated query still returns its nearest memories...
    expect(unrelated.results.length).toBe(10);
    expect(Math.max(...unrelated.results.map((r) => r.score))).toBeLessThan(MIN);
    const relevant: number[] = [];
    for (const [q, word] of related) {
      const hit = (await scoresOf(q)).find((r) => r.text.includes(word));
      expect(hit, q).toBeDefined();
      expect(hit!.score, q).toBeGreaterThanOrEqual(MIN);
      relevant.push(hit!.score);
    }
    // Not a lucky threshold: a clear gap separates the two (cosine alone leaves about none).
    const unrelatedTop = Math.max(...unrelated.results.map((r) => r.score));
    expect(Math.min(...relevant) - unrelatedTop).toBeGreaterThan(0.15);
    // ...with one, nothing; the related queries keep their relevant hit.
    expect((await query({ query: 'What is the capital of Mongolia?', k: 10, min_score: MIN })).results).toEqual([]);
    for (const [q, word] of related) {
      const { results } = await query({ query: q, k: 10, min_score: MIN });
      expect(results.some((r) => r.text.includes(word)), q).toBe(true);
      expect(results.every((r) => r.score >= MIN)).toBe(true);
    }
  });

  it('refuses a min_score outside -1..1', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers,
      payload: { user_id: user, query: 'coffee', min_score: 2 },
    });
    expect(res.statusCode).toBe(400);
  });
});
