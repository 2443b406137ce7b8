import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramClient, EngramError } from '../../clients/typescript/src/index.js';
import type * as Client from '../../clients/typescript/src/index.js';
import type { Camelized, Reply } from '../../clients/typescript/src/wire.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * The hand-written camelCase result types are exactly the service's responses (the generated OpenAPI
 * types) with camelCased keys: a field the service adds, renames or retypes fails the typecheck here.
 */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const exactly: [
  Equal<Client.AddResult, Camelized<Reply<'indexMemory', 201>>>,
  Equal<Client.AddResult, Camelized<Reply<'indexMemory', 200>>>,
  Equal<Client.BatchResult, Camelized<Reply<'indexMemoryBatch'>>>,
  Equal<Client.SearchResult, Camelized<Reply<'queryMemory'>['results'][number]>>,
  Equal<Client.Memory, Camelized<Reply<'getMemory'>>>,
  Equal<Client.Memory, Camelized<Reply<'updateMemory'>>>,
  Equal<Client.MemoryPage, Camelized<Reply<'listMemories'>>>,
  Equal<Client.EraseResult, Camelized<Reply<'eraseUser'>>>,
  Equal<Client.SummarizeResult, Camelized<Reply<'summarizeMemories'>>>,
  Equal<Client.EntitiesResult, Camelized<Reply<'extractEntities'>>>,
  Equal<Client.EntityLookup, Camelized<Reply<'getEntity'>>>,
] = [true, true, true, true, true, true, true, true, true, true, true];

/** The TypeScript client against the real service on a real port (no mocks). */
describe(`TypeScript client (${backend()})`, () => {
  let t: TestApp;
  let baseUrl: string;
  let alice: EngramClient;

  beforeAll(async () => {
    // A small read budget in short windows, so a 429 with Retry-After is reachable.
    t = await createTestApp({ env: { RATE_LIMIT_WINDOW_SEC: '1', RATE_LIMIT_READ_PER_MIN: '180' } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    alice = new EngramClient({ baseUrl, token: await t.token('alice'), userId: 'alice' });
  });
  afterAll(() => t?.close());

  it('add, search, get, list, export, delete', async () => {
    const added = await alice.add('Alice keeps bees on her rooftop in Lisbon.', { source: 'chat', metadata: { topic: 'hobby' } });
    await alice.add('Alice is learning the cello.');
    expect(added.memoryId).toMatch(/^[0-9a-f-]{36}$/);

    const hits = await alice.search('what insects does she keep?', { k: 2, filters: { source: 'chat' } });
    expect(hits[0]).toMatchObject({ memoryId: added.memoryId, source: 'chat', metadata: { topic: 'hobby' } });

    const memory = await alice.get(added.memoryId);
    expect(memory).toMatchObject({ text: 'Alice keeps bees on her rooftop in Lisbon.', metadata: { topic: 'hobby' } });

    const listed: string[] = [];
    for await (const m of alice.list({ pageSize: 1 })) listed.push(m.text ?? '');
    expect(listed).toEqual(['Alice is learning the cello.', 'Alice keeps bees on her rooftop in Lisbon.']);
    expect((await alice.getAll()).map((m) => m.memoryId)).toContain(added.memoryId);

    // Lighter pages (issue 9): texts left out, or cut.
    const light = await alice.page({ includeText: false });
    expect(light.memories.every((m) => m.text === undefined)).toBe(true);
    const cut = await alice.getAll({ maxTextChars: 5 });
    expect(cut.map((m) => [m.text, m.textTruncated])).toEqual([
      ['Alice', true],
      ['Alice', true],
    ]);
    const batch = await alice.addBatch([{ text: 'Alice plays chess on Sundays.' }, { text: '' }]);
    expect(batch).toMatchObject({ stored: 1, failed: 1 });
    expect(batch.items[1]).toMatchObject({ status: 400, error: { code: 'VALIDATION_FAILED' } });
    expect(batch.items[0]).toMatchObject({ status: 201, chunkCount: 1 });
    await alice.delete(batch.items[0]!.memoryId!);

    const exported: string[] = [];
    for await (const m of alice.export()) exported.push(m.text);
    expect(exported.sort()).toEqual([...listed].sort());

    await alice.delete(added.memoryId);
    const gone = await alice.get(added.memoryId).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(EngramError);
    expect(gone).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('results are camelCase, and metadata comes back exactly as given', () => {
    expect(exactly.every(Boolean)).toBe(true);
  });

  it('add: ttlSeconds, expiresAt (a Date or a string), never both; dedup false stores a copy', async () => {
    const hana = new EngramClient({ baseUrl, token: await t.token('hana'), userId: 'hana' });
    const before = Date.now();
    const withTtl = await hana.add('Hana waters the plants on Mondays.', { ttlSeconds: 3600 });
    expect(Object.keys(withTtl).sort()).toEqual(['chunkCount', 'chunkIds', 'createdAt', 'deduplicated', 'expiresAt', 'memoryId', 'updatedAt']);
    const expires = Date.parse(withTtl.expiresAt ?? '');
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);

    const at = new Date(Date.now() + 7 * 86_400_000);
    expect((await hana.add('Hana flies to Osaka next week.', { expiresAt: at })).expiresAt).toBe(at.toISOString());
    expect((await hana.add('Hana packs light.', { expiresAt: at.toISOString() })).expiresAt).toBe(at.toISOString());
    expect((await hana.add('Hana keeps every postcard.', { expiresAt: null })).expiresAt).toBeNull();
    const both = await hana.add('Hana has two expiries.', { ttlSeconds: 60, expiresAt: at }).catch((e: unknown) => e);
    expect(both).toBeInstanceOf(EngramError);
    expect(both).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });

    const again = await hana.add('Hana waters the plants on Mondays.');
    expect(again).toMatchObject({ memoryId: withTtl.memoryId, deduplicated: true });
    const copy = await hana.add('Hana waters the plants on Mondays.', { dedup: false });
    expect(copy.deduplicated).toBe(false);
    expect(copy.memoryId).not.toBe(withTtl.memoryId);
    expect((await hana.getAll()).filter((m) => m.text === 'Hana waters the plants on Mondays.')).toHaveLength(2);
  });

  it('search: minScore, minRelevance, rerank, and filters on source, metadata and creation time', async () => {
    const ivy = new EngramClient({ baseUrl, token: await t.token('ivy'), userId: 'ivy' });
    // User data keeps its keys as given, snake_case and all, in and out.
    const metadata = { topic: 'pets', snake_key: 1, nested: { inner_key: true, 'Mixed-Case': 'x' } };
    const month = 30 * 86_400_000;
    const adopted = await ivy.add('Ivy adopted a grey cat named Pixel.', { source: 'chat', metadata, createdAt: new Date(Date.now() - month) });
    const walks = await ivy.add('Ivy walks her cat Pixel every evening.', { source: 'notes', metadata: { topic: 'pets' } });

    const all = await ivy.search('what pet does Ivy have?', { k: 5 });
    expect(all.map((r) => r.memoryId).sort()).toEqual([adopted.memoryId, walks.memoryId].sort());
    const hit = all.find((r) => r.memoryId === adopted.memoryId)!;
    expect(Object.keys(hit).sort()).toEqual(['chunkId', 'contextFrom', 'createdAt', 'memoryId', 'metadata', 'relevance', 'score', 'scores', 'source', 'text']);
    expect(hit.metadata).toEqual(metadata);
    expect(hit).toMatchObject({ source: 'chat', text: 'Ivy adopted a grey cat named Pixel.', createdAt: adopted.createdAt });
    expect(Object.keys(hit.scores).sort()).toEqual(['context', 'fused', 'keyword', 'rerank', 'vector']);
    expect((await ivy.get(adopted.memoryId)).metadata).toEqual(metadata);

    expect(await ivy.search('what pet does Ivy have?', { minScore: 0.99 })).toEqual([]);
    for (const r of await ivy.search('what pet does Ivy have?', { minRelevance: 0.01 })) expect(r.relevance).toBeGreaterThanOrEqual(0.01);
    const plain = await ivy.search('what pet does Ivy have?', { rerank: false });
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.every((r) => r.scores.rerank === null)).toBe(true);

    const ids = async (filters: Client.SearchFilters) => (await ivy.search('cat', { filters })).map((r) => r.memoryId);
    const day = new Date(Date.now() - 86_400_000);
    expect(await ids({ createdAfter: day })).toEqual([walks.memoryId]);
    expect(await ids({ createdBefore: day.toISOString() })).toEqual([adopted.memoryId]);
    expect(await ids({ source: 'chat' })).toEqual([adopted.memoryId]);
    expect(await ids({ metadata: { snake_key: 1 } })).toEqual([adopted.memoryId]);
    expect(await ids({ metadata: { nested: { inner_key: true } } })).toEqual([adopted.memoryId]);
    expect(await ids({ metadata: { topic: 'pets' }, source: 'notes' })).toEqual([walks.memoryId]);
    // mem0's `limit` is k.
    expect(await ivy.search('cat', { limit: 1 })).toHaveLength(1);
  });

  it('list, page and getAll take filters on source and metadata; the route names a bad filter', async () => {
    const jo = new EngramClient({ baseUrl, token: await t.token('jo'), userId: 'jo' });
    for (let i = 0; i < 5; i++) await jo.add(`Turn ${i} of session one.`, { source: 'chat', metadata: { session_id: 's1', seq: i } });
    await jo.add('Turn of session two.', { source: 'chat', metadata: { session_id: 's2' } });
    await jo.add('A note in session one, not a chat turn.', { source: 'notes', metadata: { session_id: 's1' } });
    const s1: string[] = [];
    for await (const m of jo.list({ pageSize: 2, filters: { source: 'chat', metadata: { session_id: 's1' } } })) s1.push(m.text!);
    expect(s1).toEqual(['Turn 4 of session one.', 'Turn 3 of session one.', 'Turn 2 of session one.', 'Turn 1 of session one.', 'Turn 0 of session one.']);
    expect((await jo.getAll({ filters: { metadata: { session_id: 's1' } } })).map((m) => m.source).sort()).toEqual(['chat', 'chat', 'chat', 'chat', 'chat', 'notes']);
    expect((await jo.page({ filters: { metadata: { seq: 3 } } })).memories.map((m) => m.text)).toEqual(['Turn 3 of session one.']);
    // Each raw request as a user of its own: this app's read budget is small (see beforeAll).
    for (const [i, [query, detail]] of ([
      ['metadata=not-json', 'querystring.metadata must be a JSON object'],
      [`metadata=${encodeURIComponent('{"bad key!":1}')}`, 'querystring.metadata has an invalid key "bad key!"'],
      [`metadata=${encodeURIComponent('[1]')}`, 'querystring.metadata must be a JSON object'],
    ] as const).entries()) {
      const res = await fetch(`${baseUrl}/api/v1/memory?${query}`, { headers: { authorization: `Bearer ${await t.token(`jo-${i}`)}` } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toContain(detail);
    }
  });

  it('update: a corrected text is searched from then on; duplicates and other users are refused', async () => {
    const fay = new EngramClient({ baseUrl, token: await t.token('fay'), userId: 'fay' });
    const m = await fay.add('Fay lives in Munich.', { metadata: { topic: 'home', stale: true } });
    const other = await fay.add('Fay plays the violin.');
    const expiresAt = new Date(Date.now() + 86_400_000);
    const updated = await fay.update(m.memoryId, { text: 'Fay lives in Berlin.', metadata: { topic: 'home' }, expiresAt });
    expect(updated).toMatchObject({ memoryId: m.memoryId, text: 'Fay lives in Berlin.', metadata: { topic: 'home' }, expiresAt: expiresAt.toISOString() });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(m.updatedAt));
    expect((await fay.search('Berlin', { k: 1 }))[0]).toMatchObject({ memoryId: m.memoryId, text: 'Fay lives in Berlin.' });
    expect(await fay.update(m.memoryId, { source: 'chat', expiresAt: null })).toMatchObject({ source: 'chat', expiresAt: null, text: 'Fay lives in Berlin.' });

    const soon = await fay.update(m.memoryId, { ttlSeconds: 60 });
    expect(Date.parse(soon.expiresAt ?? '')).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(Date.parse(soon.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expect(await fay.update(m.memoryId, { expiresAt: null })).toMatchObject({ expiresAt: null });

    const duplicate = await fay.update(other.memoryId, { text: 'Fay lives in Berlin.' }).catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ name: 'EngramError', status: 409, code: 'DUPLICATE_MEMORY', memoryId: m.memoryId });
    const bob = new EngramClient({ baseUrl, token: await t.token('bob'), userId: 'bob' });
    expect(await bob.update(m.memoryId, { text: 'Fay lives nowhere.' }).catch((e: unknown) => e)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await bob.update(m.memoryId, { text: 'x' }, { userId: 'fay' }).catch((e: unknown) => e)).toMatchObject({ status: 403, code: 'CROSS_TENANT' });
    expect(await fay.update(m.memoryId, {}).catch((e: unknown) => e)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((await fay.get(m.memoryId)).text).toBe('Fay lives in Berlin.');
  });

  it('update is retried after a 503 DATABASE_UNAVAILABLE (an add is not)', async () => {
    const methods: string[] = [];
    let failNext = 0;
    const flaky = new EngramClient({
      baseUrl,
      token: await t.token('gus'),
      retryBaseMs: 1,
      // The service's answer when the database drops: the first attempt of each call fails this way.
      fetch: async (url, init) => {
        methods.push(String(init.method));
        if (failNext-- > 0) {
          return new Response(JSON.stringify({ code: 'DATABASE_UNAVAILABLE', detail: 'database unavailable', request_id: 'r' }), {
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after': '0' },
          });
        }
        return fetch(url, init);
      },
    });
    const m = await flaky.add('Gus grows tomatoes.');
    failNext = 1;
    expect(await flaky.update(m.memoryId, { text: 'Gus grows tomatoes and beans.' })).toMatchObject({ text: 'Gus grows tomatoes and beans.' });
    expect(methods.slice(-2)).toEqual(['PATCH', 'PATCH']);
    failNext = 1;
    expect(await flaky.add('Gus has a greenhouse.').catch((e: unknown) => e)).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
  });

  it('summarize: a summary whose sentences name their memories', async () => {
    const dave = new EngramClient({ baseUrl, token: await t.token('dave'), userId: 'dave' });
    const a = await dave.add('Dave: I restored an old sailing boat with my father last summer.');
    const b = await dave.add('Dave: We sailed it across the bay to the lighthouse in August.');
    const summary = await dave.summarize({ memoryIds: [a.memoryId, b.memoryId], style: 'timeline', maxSentences: 2 });
    expect(summary).toMatchObject({ method: 'extractive', memoryCount: 2, fallbackReason: null });
    expect(summary.sources.length).toBeGreaterThan(0);
    for (const s of summary.sources) expect([a.memoryId, b.memoryId]).toContain(s.memoryIds[0]);
  });

  it("throws the service's code for another user's data, and deleteAll erases the user", async () => {
    const bob = new EngramClient({ baseUrl, token: await t.token('bob'), userId: 'bob' });
    const err = await bob.search('bees', { userId: 'alice' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EngramError', status: 403, code: 'CROSS_TENANT' });
    expect((err as EngramError).requestId).toBeTruthy();

    await bob.add('Bob likes chess.');
    expect(await bob.deleteAll()).toEqual({ memoriesDeleted: 1, keyDestroyed: true });
    expect(await bob.getAll()).toEqual([]);
  });

  it('retries a 429, waiting as Retry-After says, and then succeeds', async () => {
    const carol = new EngramClient({ baseUrl, token: await t.token('carol'), userId: 'carol', maxRetries: 5 });
    const statuses: number[] = [];
    const watching = new EngramClient({
      baseUrl,
      token: await t.token('carol'),
      maxRetries: 5,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        statuses.push(res.status);
        return res;
      },
    });
    // Spend the 3-request window, then ask again: the client waits for the next window.
    await Promise.all([carol.page(), carol.page(), carol.page()]);
    const page = await watching.page();
    expect(page.memories).toEqual([]);
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(200);
  });

  it('gives up with RATE_LIMITED when retries are off', async () => {
    const dave = new EngramClient({ baseUrl, token: await t.token('dave'), maxRetries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => dave.page()));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });

  it('honours an AbortSignal and a timeout', async () => {
    const aborted = await alice.search('bees', { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: 'ABORTED', status: 0 });
    const slow = new EngramClient({
      baseUrl,
      token: await t.token('alice'),
      timeoutMs: 50,
      // A server that never answers in time: the request is held for longer than the timeout.
      fetch: (url, init) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
    });
    expect(await slow.getAll().catch((e: unknown) => e)).toMatchObject({ code: 'TIMEOUT' });
  });

  it('extracts entities, persists them and looks one up by name', async () => {
    const erin = new EngramClient({ baseUrl, token: await t.token('erin'), userId: 'erin' });
    const { memoryId } = await erin.add('Erin met Priyanka Raman at Ledgerly in Porto last spring.');
    const extracted = await erin.entities({ memoryIds: [memoryId], persist: true });
    expect(extracted.entities.map((e) => e.name)).toEqual(expect.arrayContaining(['Priyanka Raman']));
    const found = await erin.entity('Priyanka Raman');
    expect(found.memories.map((m) => m.memoryId)).toContain(memoryId);
    expect(await erin.entity('Nobody Here').catch((e: unknown) => e)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('refuses a forged token with UNAUTHENTICATED', async () => {
    const forged = new EngramClient({ baseUrl, token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.' });
    expect(await forged.getAll().catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
