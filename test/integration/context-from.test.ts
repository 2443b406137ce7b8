import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

interface Result {
  memory_id: string;
  chunk_id: string;
  scores: { context: number };
  context_from: { memory_id: string; chunk_id: string } | null;
}

/** Issue 20: a result says which neighbouring memory gave it its context score (the console shows it). */
describe(`query: context_from (${backend()})`, () => {
  let t: TestApp;
  const ids: string[] = [];
  const chunks: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    const headers = { authorization: `Bearer ${await t.token('cleo')}` };
    for (const text of [
      'Cleo: I finally joined the pottery class at the community centre yesterday.',
      'Max: How did it go?',
      'Cleo: Great, I made a lopsided bowl and loved every minute.',
      'Max: Did you see the football match on Saturday?',
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { text } });
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().memory_id);
      chunks.push(res.json().chunk_ids[0]);
    }
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it.each([true, false])('names the neighbour whose lead lifted a result (rerank %s)', async (rerank) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers: { authorization: `Bearer ${await t.token('cleo')}` },
      payload: { query: 'pottery class at the community centre', k: 4, rerank },
    });
    expect(res.statusCode, res.body).toBe(200);
    const results = res.json().results as Result[];
    const lead = results.find((r) => r.memory_id === ids[0])!;
    expect(lead.context_from).toBeNull(); // the strongest match has no stronger neighbour
    const reply = results.find((r) => r.memory_id === ids[1])!;
    expect(reply.scores.context).toBeGreaterThan(0);
    expect(reply.context_from).toEqual({ memory_id: ids[0], chunk_id: chunks[0] });
    for (const r of results) {
      if (r.scores.context === 0) expect(r.context_from, r.memory_id).toBeNull();
      else expect(ids, r.memory_id).toContain(r.context_from?.memory_id);
    }
  });
});
