import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

interface Source {
  sentence: string;
  memory_ids: string[];
  chunk_ids: string[];
  created_at: string;
}

/** Chat memories, listed out of time order; `at` becomes their created_at. */
const ALICE = [
  {
    at: '2024-03-10T18:00:00.000Z',
    text: 'Caroline: I went to an LGBTQ support group yesterday and it was so powerful. The stories there gave me the courage to embrace who I am. Thanks!',
  },
  { at: '2024-01-05T09:30:00.000Z', text: 'Melanie: I painted a lake sunrise last year. Painting is how I relax and express myself.' },
  {
    at: '2024-05-20T12:00:00.000Z',
    text: "Caroline: I'm planning to study counseling so I can work in mental health. Mel, you have such empathy!",
  },
  { at: '2024-02-14T16:45:00.000Z', text: 'Melanie: We took the kids swimming at the lake on Saturday. They loved it so much.' },
  { at: '2024-04-01T08:00:00.000Z', text: 'Caroline: Hey! How are you?' },
];

/** Issue 8, acceptance 1 and 2: POST /summarize on this backend, under RLS. */
describe(`POST /api/v1/memory/summarize (${backend()})`, () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  let relay: string;
  const aliceIds: string[] = [];
  const aliceTexts = new Map<string, string>();
  let bobId: string;

  const post = (token: string, payload: object, url = '/api/v1/memory/summarize') =>
    t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload });
  const summarize = async (payload: object, token = alice) => {
    const res = await post(token, payload);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { summary: string; style: string; method: string; fallback_reason: string | null; sources: Source[]; memory_count: number; truncated: boolean };
  };
  /** Backdates a memory (and its chunks) as the schema owner. */
  const backdate = async (id: string, at: string) => {
    await t.owner.query('UPDATE memories SET created_at = $1 WHERE id = $2', [at, id]);
    await t.owner.query('UPDATE memory_chunks SET created_at = $1 WHERE memory_id = $2', [at, id]);
  };
  /** Every sentence comes from the memory and chunk it names, and the summary is made of exactly those sentences. */
  const expectTraceable = async (body: { summary: string; style: string; sources: Source[] }) => {
    expect(body.sources.length).toBeGreaterThan(0);
    for (const source of body.sources) {
      expect(source.memory_ids).toHaveLength(1);
      const [memoryId] = source.memory_ids;
      expect(aliceIds).toContain(memoryId);
      const memory = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${memoryId}`, headers: { authorization: `Bearer ${alice}` } });
      expect(memory.json().chunk_ids).toEqual(expect.arrayContaining(source.chunk_ids));
      const text = memory.json().text as string;
      const speaker = /^(\w+): /.exec(text)?.[1];
      const content = speaker ? source.sentence.replace(new RegExp(`^${speaker}: `), '') : source.sentence;
      expect(text).toContain(content);
      expect(body.summary).toContain(source.sentence);
    }
  };

  beforeAll(async () => {
    // Many summaries per test user: a budget of its own, checked below through the rate-limit header.
    t = await createTestApp({ env: { RATE_LIMIT_SUMMARIZE_PER_MIN: '1000' } });
    alice = await t.token('alice');
    bob = await t.token('bob');
    relay = await t.token('relay-service', ['memory:read', 'memory:relay']);
    for (const m of ALICE) {
      const res = await post(alice, { user_id: 'alice', text: m.text, source: 'chat' }, '/api/v1/memory/index');
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().memory_id as string;
      aliceIds.push(id);
      aliceTexts.set(id, m.text);
      await backdate(id, m.at);
    }
    const res = await post(bob, { user_id: 'bob', text: 'Bob keeps a grey cat called Whiskers. He brushes the cat every single evening.' }, '/api/v1/memory/index');
    expect(res.statusCode, res.body).toBe(201);
    bobId = res.json().memory_id;
  });

  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('summarizes memories by id: extractive, offline, every sentence traced to its memory and chunk', async () => {
    const body = await summarize({ memory_ids: aliceIds, max_sentences: 3 });
    expect(body).toMatchObject({ style: 'bullets', method: 'extractive', fallback_reason: null, memory_count: 5, truncated: false });
    expect(body.sources.length).toBeLessThanOrEqual(3);
    expect(body.summary.split('\n')).toEqual(body.sources.map((s) => `- ${s.sentence}`));
    await expectTraceable(body);
    // Chat turns keep their speaker; fragments and greetings are not picked over content.
    expect(body.sources.every((s) => /^(Caroline|Melanie): /.test(s.sentence))).toBe(true);
    expect(body.summary).not.toContain('Thanks!');
    expect(body.summary).not.toContain('How are you');
  });

  it('timeline is ordered by memory time and each line starts with its date', async () => {
    const body = await summarize({ memory_ids: aliceIds, style: 'timeline', max_sentences: 5 });
    const times = body.sources.map((s) => s.created_at);
    expect(times).toEqual([...times].sort());
    expect(new Set(times).size).toBeGreaterThan(2);
    const lines = body.summary.split('\n');
    expect(lines).toHaveLength(body.sources.length);
    lines.forEach((line, i) => expect(line).toBe(`${times[i]!.slice(0, 10)} — ${body.sources[i]!.sentence}`));
    expect(lines[0]!.startsWith('2024-01-05 — Melanie: ')).toBe(true);
    await expectTraceable(body);
  });

  it('paragraph and tldr styles; max_sentences and max_chars bound the summary', async () => {
    const paragraph = await summarize({ memory_ids: aliceIds, style: 'paragraph', max_sentences: 2 });
    expect(paragraph.sources).toHaveLength(2);
    expect(paragraph.summary).toBe(paragraph.sources.map((s) => s.sentence).join(' '));
    const tldr = await summarize({ memory_ids: aliceIds, style: 'tldr' });
    expect(tldr.sources).toHaveLength(1);
    for (const maxChars of [60, 150, 400]) {
      const body = await summarize({ memory_ids: aliceIds, style: 'paragraph', max_chars: maxChars, max_sentences: 50 });
      expect(body.summary.length).toBeLessThanOrEqual(maxChars);
      expect(body.summary.length).toBeGreaterThan(0);
      await expectTraceable(body);
    }
  });

  it('summarizes what a query retrieves, and a time range; llm without LLM_URL falls back', async () => {
    const byQuery = await summarize({ query: 'painting and art', k: 2, max_sentences: 2 });
    expect(byQuery.memory_count).toBeLessThanOrEqual(2);
    await expectTraceable(byQuery);
    expect(byQuery.summary).toMatch(/paint/i);

    const range = await summarize({ created_after: '2024-02-01T00:00:00Z', created_before: '2024-04-01T00:00:00Z', max_sentences: 10 });
    expect(range.memory_count).toBe(2); // 2024-02-14 and 2024-03-10
    const inRange = new Set([aliceIds[0], aliceIds[3]]);
    expect(range.sources.every((s) => inRange.has(s.memory_ids[0]))).toBe(true);
    await expectTraceable(range);

    const noLlm = await summarize({ memory_ids: aliceIds, method: 'llm' });
    expect(noLlm).toMatchObject({ method: 'extractive', fallback_reason: 'llm_not_configured' });
    await expectTraceable(noLlm);

    const none = await summarize({ created_after: '2030-01-01T00:00:00Z' });
    expect(none).toMatchObject({ summary: '', sources: [], memory_count: 0, method: 'extractive' });
  });

  it("another user's memory id is 404, even mixed with the caller's own; Bob sees only Bob", async () => {
    for (const ids of [[bobId], [aliceIds[0], bobId]]) {
      const res = await post(alice, { memory_ids: ids });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
      expect(res.json().request_id).toBeTruthy();
      expect(res.body).not.toContain('Whiskers');
    }
    const ownRange = await summarize({ created_before: '2100-01-01T00:00:00Z', max_sentences: 10 }, bob);
    expect(ownRange.memory_count).toBe(1);
    expect(ownRange.sources.every((s) => s.memory_ids[0] === bobId)).toBe(true);
    const aliceRange = await summarize({ created_before: '2100-01-01T00:00:00Z', max_sentences: 50 });
    expect(aliceRange.summary).not.toContain('Whiskers');
  });

  it('naming another user_id needs the relay scope (CROSS_TENANT); a relay token sees only that user', async () => {
    const res = await post(alice, { user_id: 'bob', memory_ids: [bobId] });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'CROSS_TENANT' });
    const relayed = await summarize({ user_id: 'bob', memory_ids: [bobId] }, relay);
    expect(relayed.summary).toContain('Whiskers');
    expect((await post(relay, { user_id: 'bob', memory_ids: [aliceIds[0]] })).statusCode).toBe(404);
  });

  it('needs a token with memory:read; is in the summarize rate-limit class', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/memory/summarize', payload: { memory_ids: aliceIds } });
    expect(anonymous.statusCode).toBe(401);
    const writer = await t.token('alice', ['memory:write']);
    expect((await post(writer, { memory_ids: aliceIds })).json().code).toBe('FORBIDDEN');
    const res = await post(alice, { memory_ids: [aliceIds[0]] });
    expect(res.headers['x-ratelimit-limit']).toBe(String(t.config.rateLimit.perMinute.summarize));
  });

  it('refuses bad requests with the error body', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const bad: object[] = [
      {},
      { memory_ids: aliceIds, query: 'x' },
      { query: 'x', created_after: '2024-01-01T00:00:00Z' },
      { memory_ids: [] },
      { memory_ids: tooMany },
      { memory_ids: [aliceIds[0], aliceIds[0]] },
      { memory_ids: ['not-a-uuid'] },
      { memory_ids: aliceIds, style: 'poem' },
      { memory_ids: aliceIds, method: 'magic' },
      { memory_ids: aliceIds, max_sentences: 0 },
      { memory_ids: aliceIds, max_sentences: 51 },
      { memory_ids: aliceIds, max_chars: 39 },
      { memory_ids: aliceIds, max_chars: 20_001 },
      { memory_ids: aliceIds, k: 5 },
      { query: '   ' },
      { query: 'x'.repeat(2001) },
      { created_after: 'yesterday' },
      { created_after: '2024-05-01T00:00:00Z', created_before: '2024-01-01T00:00:00Z' },
      { memory_ids: aliceIds, extra: true },
    ];
    for (const payload of bad) {
      const res = await post(alice, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('counts summaries by method and outcome, without user ids in labels', async () => {
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/memory_summaries_total\{method="extractive",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/memory_summarize_latency_ms_count\{method="extractive"\} [1-9]/);
    expect(metrics.split('\n').filter((l) => l.startsWith('memory_summar')).join('\n')).not.toMatch(/alice|bob/);
  });
});
