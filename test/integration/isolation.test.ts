import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';

/** Acceptance 2: two users index memories; every route shows each only their own. */
describe('tenant isolation through every route', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  let relay: string;
  const ids: Record<'alice' | 'bob', string[]> = { alice: [], bob: [] };

  const post = (url: string, token: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload: payload as object });
  const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const del = (url: string, token: string) =>
    t.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await createTestApp();
    alice = await t.token('alice');
    bob = await t.token('bob');
    relay = await t.token('relay-service', ['memory:read', 'memory:write', 'memory:relay']);
    const texts = {
      alice: ['Alice adopted a golden retriever puppy named Rex.', 'Alice works as a nurse at the Lisbon hospital.'],
      bob: ['Bob keeps a grey cat called Whiskers.', 'Bob is a carpenter who builds oak furniture in Oslo.'],
    };
    for (const user of ['alice', 'bob'] as const) {
      for (const text of texts[user]) {
        const res = await post('/api/v1/memory/index', user === 'alice' ? alice : bob, {
          user_id: user,
          text,
          source: 'chat',
          metadata: { owner: user },
        });
        expect(res.statusCode, res.body).toBe(201);
        ids[user].push(res.json().memory_id);
      }
    }
  });

  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('query returns only the caller\'s memories, best first', async () => {
    for (const [user, token] of [['alice', alice], ['bob', bob]] as const) {
      const res = await post('/api/v1/memory/query', token, { user_id: user, query: 'pet animal at home', k: 10 });
      expect(res.statusCode).toBe(200);
      const results = res.json().results as { memory_id: string; score: number; metadata: { owner: string } }[];
      expect(results.length).toBe(2);
      expect(results.every((r) => ids[user].includes(r.memory_id))).toBe(true);
      expect(results.every((r) => r.metadata.owner === user)).toBe(true);
      expect(results[0]!.score).toBeGreaterThanOrEqual(results[1]!.score);
    }
    const res = await post('/api/v1/memory/query', alice, { user_id: 'alice', query: 'what pet does she have?', k: 1 });
    expect(res.json().results[0].text).toContain('Rex');
  });

  it('query filters on source, metadata and time', async () => {
    const q = (filters: object) => post('/api/v1/memory/query', alice, { user_id: 'alice', query: 'job', filters });
    expect((await q({ source: 'email' })).json().results).toEqual([]);
    expect((await q({ source: 'chat' })).json().results).toHaveLength(2);
    expect((await q({ metadata: { owner: 'bob' } })).json().results).toEqual([]);
    expect((await q({ metadata: { owner: 'alice' } })).json().results).toHaveLength(2);
    expect((await q({ created_after: new Date(Date.now() + 60_000).toISOString() })).json().results).toEqual([]);
    expect((await q({ created_before: new Date(Date.now() + 60_000).toISOString() })).json().results).toHaveLength(2);
  });

  it('another user\'s memory id is not found, not readable, not deletable', async () => {
    const bobsId = ids.bob[0]!;
    expect((await get(`/api/v1/memory/${bobsId}`, alice)).statusCode).toBe(404);
    expect((await del(`/api/v1/memory/${bobsId}`, alice)).statusCode).toBe(404);
    const own = await get(`/api/v1/memory/${bobsId}`, bob);
    expect(own.statusCode).toBe(200);
    expect(own.json().text).toContain('Whiskers');
  });

  it('list and export hold only the caller\'s memories', async () => {
    const list = await get('/api/v1/memory', alice);
    expect(list.statusCode).toBe(200);
    expect(list.json().memories.map((m: { memory_id: string }) => m.memory_id).sort()).toEqual([...ids.alice].sort());

    const exported = await get('/api/v1/memory/export', bob);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('application/x-ndjson');
    const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((m) => m.memory_id).sort()).toEqual([...ids.bob].sort());
    expect(lines.map((m) => m.text).join(' ')).toContain('carpenter');
  });

  it('naming another user_id without the relay scope is CROSS_TENANT on every route', async () => {
    const attempts = [
      post('/api/v1/memory/index', alice, { user_id: 'bob', text: 'planted' }),
      post('/api/v1/memory/query', alice, { user_id: 'bob', query: 'cat' }),
      get(`/api/v1/memory/${ids.bob[0]}?user_id=bob`, alice),
      get('/api/v1/memory?user_id=bob', alice),
      get('/api/v1/memory/export?user_id=bob', alice),
      del(`/api/v1/memory/${ids.bob[0]}?user_id=bob`, alice),
      del('/api/v1/memory?user_id=bob', alice),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'CROSS_TENANT' });
      expect(res.json().request_id).toBeTruthy();
    }
    // Nothing of Bob's changed.
    expect((await get('/api/v1/memory', bob)).json().memories).toHaveLength(2);
  });

  it('a relay token may act for any user, and sees only that user', async () => {
    const res = await post('/api/v1/memory/query', relay, { user_id: 'bob', query: 'cat', k: 10 });
    expect(res.statusCode).toBe(200);
    expect(res.json().results.every((r: { memory_id: string }) => ids.bob.includes(r.memory_id))).toBe(true);
  });

  it('scopes are enforced: read-only tokens cannot write', async () => {
    const reader = await t.token('alice', ['memory:read']);
    const res = await post('/api/v1/memory/index', reader, { user_id: 'alice', text: 'x' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
  });

  it('list pages with a cursor', async () => {
    const first = await get('/api/v1/memory?limit=1', alice);
    expect(first.json().memories).toHaveLength(1);
    const cursor = first.json().next_cursor;
    expect(cursor).toBeTruthy();
    const second = await get(`/api/v1/memory?limit=1&cursor=${cursor}`, alice);
    expect(second.json().memories).toHaveLength(1);
    expect(second.json().memories[0].memory_id).not.toBe(first.json().memories[0].memory_id);
    const third = await get(`/api/v1/memory?limit=1&cursor=${second.json().next_cursor}`, alice);
    expect(third.json()).toEqual({ memories: [], next_cursor: null });
  });

  it('long text is chunked on sentence boundaries and every chunk is searchable', async () => {
    const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7}.`);
    sentences.push('The secret recipe uses saffron and cardamom.');
    const res = await post('/api/v1/memory/index', alice, { user_id: 'alice', text: sentences.join(' ') });
    expect(res.statusCode).toBe(201);
    expect(res.json().chunk_count).toBeGreaterThan(1);
    const one = await get(`/api/v1/memory/${res.json().memory_id}`, alice);
    expect(one.json().chunk_ids).toEqual(res.json().chunk_ids);
    const hit = await post('/api/v1/memory/query', alice, { user_id: 'alice', query: 'saffron cardamom recipe', k: 1 });
    const text = hit.json().results[0].text as string;
    expect(text).toContain('saffron');
    expect(text.endsWith('.')).toBe(true);
    ids.alice.push(res.json().memory_id);
  });

  it('delete removes one memory; erase destroys the key and every row of one user only', async () => {
    const gone = ids.alice.pop()!;
    expect((await del(`/api/v1/memory/${gone}`, alice)).statusCode).toBe(204);
    expect((await get(`/api/v1/memory/${gone}`, alice)).statusCode).toBe(404);

    const erased = await del('/api/v1/memory?user_id=alice', alice);
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toEqual({ memories_deleted: 2, key_destroyed: true });
    expect((await get('/api/v1/memory', alice)).json().memories).toEqual([]);
    expect((await post('/api/v1/memory/query', alice, { user_id: 'alice', query: 'nurse' })).json().results).toEqual([]);
    expect((await get('/api/v1/memory', bob)).json().memories).toHaveLength(2);
    // Alice can start again, under a new data key.
    expect((await post('/api/v1/memory/index', alice, { user_id: 'alice', text: 'A fresh start.' })).statusCode).toBe(201);
  });
});
