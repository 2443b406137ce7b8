import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * Issue 17, part 1: the calibrated relevance. Hand-made: each query shares no word with any memory
 * (matches by meaning only); its relevant memories must rank above every unrelated one, and every
 * hit carries a relevance in [0, 1] with the score parts that produced it.
 */
const MEMORIES = [
  'Alice adopted a beagle named Rex last spring.',
  'Alice is learning the cello.',
  'Dave keeps bees on the roof of his building.',
  'My landlord raised the rent by ten percent.',
  'We flew to Osaka for the cherry blossoms.',
  'I am allergic to shellfish.',
  "Grandma's lasagne recipe uses three cheeses.",
  'The car failed its inspection because of the brakes.',
];
const CASES: [query: string, relevant: string[]][] = [
  ['what pet does she have?', ['beagle']],
  ['which musical instrument is being studied?', ['cello']],
  ['does anyone do beekeeping?', ['bees']],
  ['how much more do I pay for my apartment?', ['rent']],
  ['trip to Japan in April', ['Osaka']],
  ['any seafood I must avoid?', ['shellfish']],
  ['family cooking', ['lasagne']],
  ['problems with the vehicle', ['car']],
];

describe(`relevance (${backend()})`, () => {
  let t: TestApp;
  let headers: { authorization: string };

  beforeAll(async () => {
    t = await createTestApp();
    headers = { authorization: `Bearer ${await t.token('rel')}` };
    for (const text of MEMORIES) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: 'rel', text } });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it.each(CASES)('%s: the relevant memory ranks above the unrelated ones', async (query, relevant) => {
    for (const rerank of [true, false]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: 'rel', query, k: MEMORIES.length, rerank } });
      expect(res.statusCode).toBe(200);
      const { results } = res.json() as { results: { text: string; relevance: number; scores: { keyword: number | null; fused: number; context: number } }[] };
      expect(results).toHaveLength(MEMORIES.length);
      const isRelevant = (text: string) => relevant.some((w) => text.includes(w));
      expect(results.slice(0, relevant.length).map((r) => isRelevant(r.text)), `rerank ${rerank}: ${results.map((r) => r.text).join(' | ')}`).toEqual(
        relevant.map(() => true),
      );
      for (const r of results) {
        expect(r.scores.keyword).toBeNull(); // meaning only
        expect(r.relevance).toBeGreaterThanOrEqual(0);
        expect(r.relevance).toBeLessThanOrEqual(1);
        expect(r.scores.fused).toEqual(expect.any(Number));
        expect(r.scores.context).toBeGreaterThanOrEqual(0);
      }
      // On one path the relevance follows the score: the relevant memory is the most relevant.
      expect(Math.max(...results.map((r) => r.relevance))).toBe(results[0]!.relevance);
    }
  });

  it('min_relevance keeps the hits at or above it and refuses values outside 0..1', async () => {
    const all = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: 'rel', query: 'what pet does she have?', k: 8 } });
    const rel = (all.json() as { results: { relevance: number }[] }).results.map((r) => r.relevance);
    const cut = rel[2]!;
    const some = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: 'rel', query: 'what pet does she have?', k: 8, min_relevance: cut } });
    expect((some.json() as { results: { relevance: number }[] }).results.map((r) => r.relevance)).toEqual(rel.filter((r) => r >= cut));
    for (const bad of [-0.1, 1.5, 'high']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: 'rel', query: 'pets', min_relevance: bad } });
      expect(res.statusCode).toBe(400);
    }
  });
});
