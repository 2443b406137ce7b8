import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { EVERYDAY_MEMORIES } from '../fixtures/everyday.js';
import { MULTILINGUAL } from '../fixtures/multilingual.js';

/**
 * Issue 17, part 2: words in every script. One user holds the multilingual fixture's memories beside
 * thirty everyday English ones; for each query the memory with its rare word ranks first, with the
 * reranker and without. The embedding model is English-only: the keyword index must find these.
 */
describe(`words in every script (${backend()})`, () => {
  let t: TestApp;
  const user = 'polyglot';
  let headers: { authorization: string };

  beforeAll(async () => {
    t = await createTestApp();
    headers = { authorization: `Bearer ${await t.token(user)}` };
    for (const text of [...EVERYDAY_MEMORIES, ...MULTILINGUAL.map((p) => p.memory)]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: user, text } });
      expect(res.statusCode, res.body).toBe(201);
    }
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it.each(MULTILINGUAL.map((p) => [p.lang, p.query, p.memory] as const))('%s: %s ranks its memory first', async (_lang, query, memory) => {
    for (const rerank of [false, true]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: user, query, k: 3, rerank } });
      expect(res.statusCode, res.body).toBe(200);
      const { results } = res.json() as { results: { text: string; scores: { keyword: number | null } }[] };
      expect(results[0]?.text, `rerank: ${rerank}`).toBe(memory);
      expect(results[0]!.scores.keyword).toBeGreaterThan(0);
    }
  });
});
