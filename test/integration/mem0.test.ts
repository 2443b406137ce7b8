import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

// Telemetry off before the client module loads (it reads the variable once, at import).
process.env.MEM0_TELEMETRY = 'false';
const loadMem0 = () => import('mem0ai');
type Mem0 = Awaited<ReturnType<typeof loadMem0>>;

/** A chat-completions endpoint that answers facts (or fails) for the infer path. */
async function startFactsStub() {
  let mode: 'facts' | 'fail' = 'facts';
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      if (mode === 'fail') return void res.writeHead(500).end('{}');
      const content = JSON.stringify({ facts: ['Dana is allergic to peanuts.', 'Dana moves to Porto in May.'] });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    set: (m: typeof mode) => void (mode = m),
    calls: () => calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Issue 18, part 2: mem0's own JavaScript client (mem0ai, pinned; `MemoryClient` with `host` set to
 * Engram) against a running Engram: every method it offers that Engram honours round-trips; the rest
 * answers a clear 4xx naming it; another user's memory is the client's not-found; a forged token its
 * authentication error.
 */
describe(`mem0 client against Engram (${backend()})`, () => {
  let t: TestApp;
  let stub: Awaited<ReturnType<typeof startFactsStub>>;
  let host: string;
  let mem0: Mem0;
  let alice: InstanceType<Mem0['MemoryClient']>;
  let bob: InstanceType<Mem0['MemoryClient']>;
  const outside: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    stub = await startFactsStub();
    t = await createTestApp({ env: { LLM_URL: stub.url, LLM_MODEL: 'stub', LLM_TIMEOUT_MS: '2000' } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    host = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // Every request the client makes is recorded: none may leave for mem0's cloud or telemetry.
    globalThis.fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith(host) && !url.startsWith(stub.url.replace(/\/v1$/, ''))) outside.push(url);
      return realFetch(input, init);
    };
    mem0 = await loadMem0();
    alice = new mem0.MemoryClient({ apiKey: await t.token('alice'), host });
    bob = new mem0.MemoryClient({ apiKey: await t.token('bob'), host });
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await t?.close();
    await stub?.close();
  });

  it('ping, add (turns in order, role and name in metadata), get, getAll with filters and pages, search', async () => {
    await alice.ping();
    const added = await alice.add(
      [
        { role: 'user', content: 'I adopted a beagle called Rex last spring.' },
        { role: 'assistant', content: 'Rex sounds lovely! How is he settling in?' },
      ],
      { userId: 'alice', infer: false, metadata: { topic: 'pets' }, runId: 'chat-1' },
    );
    expect(added).toHaveLength(2);
    expect(added.map((m) => [m.event, m.memory])).toEqual([
      ['ADD', 'I adopted a beagle called Rex last spring.'],
      ['ADD', 'Rex sounds lovely! How is he settling in?'],
    ]);
    expect(added[0]!.metadata).toEqual({ topic: 'pets', role: 'user', run_id: 'chat-1' });
    expect(added[0]!.runId).toBe('chat-1');
    // The same turn again is the memory alice already has (mem0's NOOP).
    const again = await alice.add([{ role: 'user', content: 'I adopted a beagle called Rex last spring.', name: 'Alice' } as never], { userId: 'alice', infer: false });
    expect(again.map((m) => [m.event, m.id])).toEqual([['NOOP', added[0]!.id]]);
    await alice.add([{ role: 'user', content: 'My sister Jo lives in Lisbon and works as a nurse.' }], { userId: 'alice', infer: false });

    const got = await alice.get(added[0]!.id);
    expect(got).toMatchObject({ id: added[0]!.id, memory: 'I adopted a beagle called Rex last spring.', userId: 'alice', metadata: { role: 'user' } });

    const all = await alice.getAll({ filters: { user_id: 'alice' } });
    expect(all.count).toBe(3);
    // Newest first: the turns were stored in order.
    expect(all.results.map((m) => m.memory)).toEqual([
      'My sister Jo lives in Lisbon and works as a nurse.',
      'Rex sounds lovely! How is he settling in?',
      'I adopted a beagle called Rex last spring.',
    ]);
    const page2 = await alice.getAll({ filters: { user_id: 'alice' }, page: 2, pageSize: 2 });
    expect(page2).toMatchObject({ count: 3, next: null });
    expect(page2.previous).toContain('page=1');
    expect(page2.results.map((m) => m.memory)).toEqual(['I adopted a beagle called Rex last spring.']);
    const run = await alice.getAll({ filters: { AND: [{ user_id: 'alice' }, { run_id: 'chat-1' }, { created_at: { gte: '2000-01-01T00:00:00Z' } }] } });
    expect(run.results.map((m) => m.id).sort()).toEqual(added.map((m) => m.id).sort());

    const found = await alice.search('What kind of dog does she have?', { filters: { user_id: 'alice' }, topK: 2 });
    expect(found.results[0]).toMatchObject({ id: added[0]!.id, memory: 'I adopted a beagle called Rex last spring.' });
    expect(found.results.length).toBeLessThanOrEqual(2);
    expect(found.results[0]!.score).toBeGreaterThan(0);
    expect(found.results[0]!.score).toBeLessThanOrEqual(1);
    const strict = await alice.search('quantum chromodynamics lecture notes', { filters: { user_id: 'alice' }, threshold: 0.9 });
    expect(strict.results).toEqual([]);
    const scoped = await alice.search('Rex', { filters: { AND: [{ user_id: 'alice' }, { run_id: 'nope' }] } });
    expect(scoped.results).toEqual([]);
  });

  it('update, history (encrypted, texts gone after delete), delete, batch update and delete', async () => {
    const [m] = await alice.add([{ role: 'user', content: 'I work at a bakery in Leeds.' }], { userId: 'alice', infer: false });
    const updated = await alice.update(m!.id, { text: 'I work at a bookshop in Leeds.', metadata: { corrected: true } });
    expect(updated).toMatchObject({ id: m!.id, memory: 'I work at a bookshop in Leeds.', metadata: { corrected: true } });
    await alice.update(m!.id, { text: 'I work at a bookshop in York.' });
    const history = await alice.history(m!.id);
    expect(history.map((h) => [h.event, h.oldMemory, h.newMemory])).toEqual([
      ['ADD', null, 'I work at a bakery in Leeds.'],
      ['UPDATE', 'I work at a bakery in Leeds.', 'I work at a bookshop in Leeds.'],
      ['UPDATE', 'I work at a bookshop in Leeds.', 'I work at a bookshop in York.'],
    ]);
    expect(history.every((h) => h.memoryId === m!.id && h.userId === 'alice')).toBe(true);
    // At rest the old texts are ciphertext.
    const { rows } = await t.owner.query<{ o: Buffer; n: Buffer }>(`SELECT old_ciphertext AS o, new_ciphertext AS n FROM memory_history WHERE memory_id = $1`, [m!.id]);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(Buffer.concat([r.o, r.n]).toString('latin1')).not.toMatch(/bakery|bookshop/);

    expect(await alice.delete(m!.id)).toEqual({ message: 'Memory deleted successfully!' });
    await expect(alice.get(m!.id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    const after = await alice.history(m!.id);
    expect(after.map((h) => [h.event, h.oldMemory, h.newMemory])).toEqual([
      ['ADD', null, null],
      ['UPDATE', null, null],
      ['UPDATE', null, null],
      ['DELETE', null, null],
    ]);

    const two = await alice.add([{ role: 'user', content: 'Tea with oat milk.' }, { role: 'user', content: 'Swims on Tuesdays.' }], { userId: 'alice', infer: false });
    await alice.batchUpdate([{ memoryId: two[0]!.id, text: 'Coffee with oat milk.' }, { memoryId: two[1]!.id, text: 'Swims on Thursdays.' }]);
    expect((await alice.get(two[1]!.id)).memory).toBe('Swims on Thursdays.');
    // One unknown id refuses the whole batch: nothing is deleted.
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(alice.batchDelete([two[0]!.id, unknown])).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    expect((await alice.get(two[0]!.id)).memory).toBe('Coffee with oat milk.');
    await alice.batchDelete([two[0]!.id, two[1]!.id]);
    await expect(alice.get(two[0]!.id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
  });

  it("another user's memory is not found; naming another user is refused; a forged token is an authentication error", async () => {
    const [secret] = await alice.add([{ role: 'user', content: 'My bank PIN hint is the year of the flood.' }], { userId: 'alice', infer: false });
    await expect(bob.get(secret!.id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    await expect(bob.update(secret!.id, { text: 'hijacked' })).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    await expect(bob.history(secret!.id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    await expect(bob.delete(secret!.id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    await expect(bob.batchDelete([secret!.id])).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    await expect(bob.search('PIN', { filters: { user_id: 'alice' } })).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(bob.getAll({ filters: { user_id: 'alice' } })).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(bob.add([{ role: 'user', content: 'planted' }], { userId: 'alice' })).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(bob.deleteAll({ userId: 'alice' })).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(bob.deleteUsers({ userId: 'alice' })).rejects.toThrow(/alice/);
    expect((await bob.search('PIN bank flood')).results).toEqual([]);
    expect((await alice.get(secret!.id)).memory).toBe('My bank PIN hint is the year of the flood.');

    const forgedToken = `${(await t.token('alice')).slice(0, -4)}AAAA`;
    const forged = new mem0.MemoryClient({ apiKey: forgedToken, host });
    await expect(forged.ping()).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(forged.get(secret!.id)).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(forged.getAll({ filters: { user_id: 'alice' } })).rejects.toMatchObject({ name: 'AuthenticationError' });
    const wrongScheme = await fetch(`${host}/v1/ping/`, { headers: { authorization: `Basic ${await t.token('alice')}` } });
    expect(wrongScheme.status).toBe(401);
  });

  it('what Engram cannot honour is a clear 4xx naming it, and stores nothing', async () => {
    const before = (await alice.getAll({ filters: { user_id: 'alice' } })).count;
    await expect(alice.add([{ role: 'user', content: 'x' }], { userId: 'alice', customCategories: [{ food: 'food' }] })).rejects.toThrow(/custom_categories is not supported/);
    await expect(alice.add([{ role: 'user', content: { type: 'image_url', image_url: { url: 'http://x/y.png' } } }], { userId: 'alice' })).rejects.toThrow(/images/);
    await expect(alice.add([{ role: 'user', content: 'fine' }, { role: 'user', content: '' }], { userId: 'alice', infer: false })).rejects.toThrow(/messages\[1\]/);
    const many = Array.from({ length: 101 }, (_, i) => ({ role: 'user' as const, content: `turn ${i}` }));
    await expect(alice.add(many, { userId: 'alice', infer: false })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(alice.search('x', { filters: { OR: [{ user_id: 'alice' }] } })).rejects.toThrow(/OR filters are not supported/);
    await expect(alice.search('x', { categories: ['food'] })).rejects.toThrow(/categories is not supported/);
    await expect(alice.feedback({ memoryId: '00000000-0000-4000-8000-000000000000', feedback: mem0.Feedback.POSITIVE })).rejects.toThrow(/POST \/v1\/feedback\/ is not offered by Engram/);
    await expect(alice.deleteAll({ agentId: 'a1' })).rejects.toThrow(/deleteAll by agent_id is not supported/);
    // mem0's platform routes: each a 400 naming the route (the client's ValidationError).
    for (const call of [
      () => alice.getWebhooks({ projectId: 'p1' }),
      () => alice.createMemoryExport({ schema: {}, filters: { user_id: 'alice' } }),
      () => alice.getMemoryExport({ memoryExportId: 'e1' }),
      () => alice.getProfile({ entityId: 'alice' }),
    ]) {
      await expect(call()).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/NOT_SUPPORTED.*is not offered by Engram/) });
    }
    await expect(alice.deleteUsers({ agentId: 'a1' })).rejects.toThrow(/deleting a agent is not supported/);
    const bad = await fetch(`${host}/v3/memories/add/`, {
      method: 'POST',
      headers: { authorization: `Token ${await t.token('alice')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], colour: 'red' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'body has an unknown field "colour"' });
    expect((await alice.getAll({ filters: { user_id: 'alice' } })).count).toBe(before);
  });

  it('infer: facts from the LLM, the turns when it fails', async () => {
    const dana = new mem0.MemoryClient({ apiKey: await t.token('dana'), host });
    const turns = [
      { role: 'user' as const, content: "Hi! Just so you know I can't eat peanuts." },
      { role: 'user' as const, content: 'Also, I am moving to Porto in May.' },
    ];
    const facts = await dana.add(turns, { userId: 'dana' });
    expect(facts.map((m) => m.memory)).toEqual(['Dana is allergic to peanuts.', 'Dana moves to Porto in May.']);
    expect(facts[0]!.metadata).toMatchObject({ kind: 'fact' });
    stub.set('fail');
    const calls = stub.calls();
    const fallback = await dana.add([{ role: 'user', content: 'I play the oboe.' }], { userId: 'dana' });
    expect(stub.calls()).toBeGreaterThan(calls);
    expect(fallback.map((m) => [m.memory, m.metadata.role])).toEqual([['I play the oboe.', 'user']]);
    stub.set('facts');
  });

  it('users lists the token\'s user; deleteAll and deleteUsers erase a user with its history', async () => {
    const carol = new mem0.MemoryClient({ apiKey: await t.token('carol'), host });
    expect((await carol.users()).results).toEqual([]);
    const [m] = await carol.add([{ role: 'user', content: 'Carol collects stamps.' }], { userId: 'carol', infer: false, expirationDate: '2099-12-31' });
    expect(m!.expirationDate).toBe('2099-12-31T23:59:59.999Z');
    await carol.update(m!.id, { text: 'Carol collects coins.' });
    const users = await carol.users();
    expect(users.results).toMatchObject([{ id: 'carol', name: 'carol', type: 'user', totalMemories: 1 }]);
    expect(await carol.deleteUsers({ userId: 'carol' })).toEqual({ message: 'Entity deleted successfully.' });
    await expect(carol.history(m!.id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    expect((await carol.getAll({ filters: { user_id: 'carol' } })).count).toBe(0);
    const hash = createUserHasher(t.config.keys.hashKey)('carol');
    const left = await t.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM memory_history WHERE user_hash = $1`, [hash]);
    expect(left.rows[0]!.n).toBe(0);

    const erin = new mem0.MemoryClient({ apiKey: await t.token('erin'), host });
    await erin.add([{ role: 'user', content: 'Erin runs marathons.' }], { userId: 'erin', infer: false });
    expect(await erin.deleteAll({ userId: 'erin' })).toEqual({ message: 'Memories deleted successfully!' });
    expect((await erin.getAll({ filters: { user_id: 'erin' } })).count).toBe(0);
  });

  it('sent nothing outside Engram (telemetry off)', () => {
    expect(outside).toEqual([]);
  });
});
