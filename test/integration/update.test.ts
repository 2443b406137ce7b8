import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { chunkText } from '../../src/memory/chunker.js';
import { lockTenant } from '../../src/store/tenant-lock.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend, onServer } from '../helpers/database.js';

type MemoryBody = {
  memory_id: string;
  text: string;
  source: string | null;
  metadata: Record<string, unknown>;
  chunk_ids: string[];
  created_at: string;
  updated_at: string;
  expires_at: string | null;
};
type Hit = { memory_id: string; chunk_id: string; text: string; scores: { vector: number | null; keyword: number | null } };

/** Issue 9, update: PATCH /api/v1/memory/{id}, on both backends. */
describe(`memory update (${backend()})`, () => {
  let t: TestApp;
  let hashUser: (id: string) => string;
  const rare = () => `Zentrovik${randomUUID().replace(/[^a-f]/g, '').slice(0, 8)}`;

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_DISABLED: 'true' } });
    hashUser = createUserHasher(t.config.keys.hashKey);
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  const auth = async (user: string, scopes?: string[]) => ({ authorization: `Bearer ${await t.token(user, scopes)}` });
  const index = async (user: string, text: string, extra: Record<string, unknown> = {}) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { text, ...extra } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { memory_id: string; chunk_ids: string[]; updated_at: string };
  };
  const patch = async (user: string, id: string, payload: unknown, headers?: Record<string, string>) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/memory/${id}`, headers: headers ?? (await auth(user)), payload: payload as object });
  const get = async (user: string, id: string) => t.app.inject({ method: 'GET', url: `/api/v1/memory/${id}`, headers: await auth(user) });
  const query = async (user: string, q: string, extra: Record<string, unknown> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers: await auth(user),
      payload: { query: q, k: 50, rerank: false, ...extra },
    });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { results: Hit[] }).results;
  };
  const count = async (sql: string, params: unknown[]) => (await t.owner.query<{ n: number }>(sql, params)).rows[0]!.n;

  it('a new text is found by its meaning and a rare word, the old one no longer; old chunks are gone', async () => {
    const user = `text-${randomUUID()}`;
    const [oldWord, newWord] = [rare(), rare()];
    await index(user, 'The user prefers green tea in the afternoon.');
    const before = await index(user, `The user has a beagle called Pepper, a ${oldWord} fan.`, { source: 'chat', metadata: { topic: 'pets' } });
    // The memory's cosine to a question about its text, and to one about the other text.
    const vectorScore = async (q: string) => (await query(user, q)).find((h) => h.memory_id === before.memory_id)!.scores.vector!;
    const [aboutPet, aboutBike] = ['Which dog breed does the user own?', 'Does the user cycle to the office?'];
    expect(await vectorScore(aboutPet)).toBeGreaterThan(await vectorScore(aboutBike));
    await new Promise((r) => setTimeout(r, 5)); // updated_at has millisecond precision
    const res = await patch(user, before.memory_id, { text: `The user rides a red bicycle to the office every day, a ${newWord} fan.` });
    expect(res.statusCode, res.body).toBe(200);
    const updated = res.json() as MemoryBody;
    expect(updated).toMatchObject({ memory_id: before.memory_id, source: 'chat', metadata: { topic: 'pets' }, expires_at: null });
    expect(updated.text).toContain(newWord);
    expect(updated.chunk_ids.some((id) => before.chunk_ids.includes(id))).toBe(false);
    expect(Date.parse(updated.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));

    const got = (await get(user, before.memory_id)).json() as MemoryBody;
    expect(got).toEqual(updated);

    // Vector: re-embedded, the memory is now nearer the bicycle than the dog.
    expect(await vectorScore(aboutBike)).toBeGreaterThan(await vectorScore(aboutPet));
    // Keyword: the new rare word is indexed, the old one is not any more.
    const byNewWord = await query(user, newWord.toLowerCase());
    expect(byNewWord[0]).toMatchObject({ memory_id: before.memory_id });
    expect(byNewWord[0]!.scores.keyword).toBeGreaterThan(0);
    const byOldWord = await query(user, oldWord.toLowerCase());
    expect(byOldWord.every((h) => !h.text.includes(oldWord) && !h.text.includes('beagle') && !h.scores.keyword)).toBe(true);
    expect(JSON.stringify(await query(user, 'What pet does the user have?'))).not.toContain('beagle');

    // The old chunks and their keyword rows are gone; the new ones are sealed under AAD v2.
    expect(await count(`SELECT count(*)::int AS n FROM memory_chunks WHERE id = ANY($1::uuid[])`, [before.chunk_ids])).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM keyword_docs WHERE chunk_id = ANY($1::uuid[])`, [before.chunk_ids])).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM memory_chunks WHERE memory_id = $1 AND aad_version = 2`, [before.memory_id]),
    ).toBe(updated.chunk_ids.length);
    const row = await t.owner.query<{ chunk_count: number; content_hash: Buffer | null }>(
      `SELECT chunk_count, content_hash FROM memories WHERE id = $1`,
      [before.memory_id],
    );
    expect(row.rows[0]!.chunk_count).toBe(updated.chunk_ids.length);
    expect(row.rows[0]!.content_hash).not.toBeNull();
  });

  it('metadata, source and expiry changes alone keep the chunks and move the filters', async () => {
    const user = `meta-${randomUUID()}`;
    const m = await index(user, 'The user plays chess on Sundays.', { source: 'chat', metadata: { topic: 'games', level: 1 } });
    const filtered = async (filters: object) => (await query(user, 'chess', { filters })).map((h) => h.memory_id);
    expect(await filtered({ metadata: { topic: 'games' } })).toEqual([m.memory_id]);
    expect(await filtered({ metadata: { topic: 'hobbies' } })).toEqual([]);

    const res = await patch(user, m.memory_id, { metadata: { topic: 'hobbies' }, source: null });
    expect(res.statusCode, res.body).toBe(200);
    // Metadata is replaced as a whole (level is gone), source cleared, chunks kept.
    expect(res.json()).toMatchObject({ metadata: { topic: 'hobbies' }, source: null, chunk_ids: m.chunk_ids, text: 'The user plays chess on Sundays.' });
    expect(await filtered({ metadata: { topic: 'hobbies' } })).toEqual([m.memory_id]);
    expect(await filtered({ metadata: { topic: 'games' } })).toEqual([]);
    expect(await filtered({ metadata: { level: 1 } })).toEqual([]);
    expect(await filtered({ source: 'chat' })).toEqual([]);
    const copies = await t.owner.query<{ source: string | null; metadata: object }>(`SELECT source, metadata FROM memory_chunks WHERE memory_id = $1`, [m.memory_id]);
    expect(copies.rows).toEqual(m.chunk_ids.map(() => ({ source: null, metadata: { topic: 'hobbies' } })));

    const source = await patch(user, m.memory_id, { source: 'notes' });
    expect(source.json()).toMatchObject({ source: 'notes', metadata: { topic: 'hobbies' } });
    expect(await filtered({ source: 'notes' })).toEqual([m.memory_id]);

    // Expiry: an instant, a TTL, and null (never); the chunks' copy follows.
    const at = new Date(Date.now() + 3_600_000).toISOString();
    expect((await patch(user, m.memory_id, { expires_at: at })).json()).toMatchObject({ expires_at: at });
    const ttl = (await patch(user, m.memory_id, { ttl_seconds: 120 })).json() as MemoryBody;
    expect(Math.abs(Date.parse(ttl.expires_at!) - (Date.now() + 120_000))).toBeLessThan(30_000);
    expect(await count(`SELECT count(*)::int AS n FROM memory_chunks WHERE memory_id = $1 AND expires_at IS NOT NULL`, [m.memory_id])).toBe(
      m.chunk_ids.length,
    );
    expect((await patch(user, m.memory_id, { expires_at: null })).json()).toMatchObject({ expires_at: null });
    expect(await count(`SELECT count(*)::int AS n FROM memory_chunks WHERE memory_id = $1 AND expires_at IS NOT NULL`, [m.memory_id])).toBe(0);

    // An expired memory cannot be updated (nor revived): 404 like a missing one.
    await t.owner.query(`UPDATE memories SET expires_at = now() - interval '1 second' WHERE id = $1`, [m.memory_id]);
    const expired = await patch(user, m.memory_id, { expires_at: null });
    expect(expired.statusCode).toBe(404);
    expect(expired.json().code).toBe('NOT_FOUND');
  });

  it('refuses bad bodies with 400/413 and leaves the memory unchanged', async () => {
    const user = `bad-${randomUUID()}`;
    const m = await index(user, 'The user collects old maps.', { metadata: { a: 1 } });
    const snapshot = (await get(user, m.memory_id)).body;
    const expectRefused = async (payload: unknown, status: number, detail?: RegExp) => {
      const res = await patch(user, m.memory_id, payload);
      expect(res.statusCode, res.body).toBe(status);
      if (detail) expect(res.json().detail).toMatch(detail);
    };
    await expectRefused({}, 400, /text, source, metadata, expires_at, ttl_seconds/);
    await expectRefused({ user_id: user }, 400, /at least one field/);
    await expectRefused({ colour: 'red' }, 400, /unknown field "colour"/);
    await expectRefused({ text: 'x'.repeat(51_201) }, 413);
    await expectRefused({ text: 'é'.repeat(30_000) }, 413); // under the character limit, over the byte limit
    await expectRefused({ text: '   ' }, 400);
    await expectRefused({ text: '' }, 400);
    await expectRefused({ metadata: null }, 400);
    await expectRefused({ metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }, 400, /nest/);
    await expectRefused({ expires_at: '2001-01-01T00:00:00Z' }, 400, /future/);
    await expectRefused({ expires_at: new Date(Date.now() + 60_000).toISOString(), ttl_seconds: 60 }, 400, /not both/);
    await expectRefused({ ttl_seconds: 0 }, 400);
    await expectRefused({ source: 'not a source!' }, 400);
    const malformed = await t.app.inject({ method: 'PATCH', url: `/api/v1/memory/${m.memory_id}`, headers: { ...(await auth(user)), 'content-type': 'application/json' }, payload: '{"text":' });
    expect(malformed.statusCode).toBe(400);
    expect((await patch(user, 'not-a-uuid', { text: 'x' })).statusCode).toBe(400);
    expect((await get(user, m.memory_id)).body).toBe(snapshot);
  });

  it("another tenant's PATCH is 404 and changes nothing; a forged or absent token is 401", async () => {
    const alice = `alice-${randomUUID()}`;
    const bob = `bob-${randomUUID()}`;
    const m = await index(alice, "Alice's locker code is 4417.", { metadata: { k: 'v' } });
    const snapshot = (await get(alice, m.memory_id)).body;

    const byBob = await patch(bob, m.memory_id, { text: 'Owned by Bob now.', metadata: {} });
    expect(byBob.statusCode).toBe(404);
    expect(byBob.json()).toMatchObject({ code: 'NOT_FOUND', detail: 'memory not found' });
    // The same answer as for an id that exists nowhere: existence is not revealed.
    const nowhere = await patch(bob, randomUUID(), { text: 'Owned by Bob now.' });
    expect({ status: nowhere.statusCode, code: nowhere.json().code, detail: nowhere.json().detail }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'memory not found',
    });
    // Naming alice without the relay scope: refused as cross-tenant.
    const named = await patch(bob, m.memory_id, { user_id: alice, text: 'Owned by Bob now.' });
    expect(named.statusCode).toBe(403);
    expect(named.json().code).toBe('CROSS_TENANT');
    // A read-only token may not write.
    const readOnly = await patch(alice, m.memory_id, { text: 'x' }, await auth(alice, ['memory:read']));
    expect(readOnly.statusCode).toBe(403);

    const forged = await patch(alice, m.memory_id, { text: 'forged' }, { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.' });
    expect(forged.statusCode).toBe(401);
    const absent = await t.app.inject({ method: 'PATCH', url: `/api/v1/memory/${m.memory_id}`, payload: { text: 'anonymous' } });
    expect(absent.statusCode).toBe(401);
    expect((await get(alice, m.memory_id)).body).toBe(snapshot);
    expect(JSON.stringify(await query(bob, 'locker code'))).not.toContain('4417');

    // A relay service may update on alice's behalf.
    const relayed = await patch(alice, m.memory_id, { user_id: alice, metadata: { k: 'relayed' } }, await auth('relay', ['memory:read', 'memory:write', 'memory:relay']));
    expect(relayed.statusCode, relayed.body).toBe(200);
    expect(relayed.json()).toMatchObject({ metadata: { k: 'relayed' }, text: "Alice's locker code is 4417." });
  });

  it('a text another live memory of the user already has is 409 DUPLICATE_MEMORY naming it', async () => {
    const user = `dup-${randomUUID()}`;
    const other = `dup-other-${randomUUID()}`;
    const first = await index(user, 'The user was born in Porto.');
    const second = await index(user, 'The user lives in Madrid.');
    // Give the first a content hash whatever the index path does (an update always stores one).
    expect((await patch(user, first.memory_id, { text: 'The user was born in Porto.' })).statusCode).toBe(200);
    const snapshot = (await get(user, second.memory_id)).body;

    for (const text of ['The user was born in Porto.', '  The user was born in Porto.\n']) {
      const res = await patch(user, second.memory_id, { text });
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json()).toMatchObject({ code: 'DUPLICATE_MEMORY', memory_id: first.memory_id });
    }
    expect((await get(user, second.memory_id)).body).toBe(snapshot);
    // Another user's equal text is no duplicate (keyed per user).
    const theirs = await index(other, 'The user lives in Lyon.');
    expect((await patch(other, theirs.memory_id, { text: 'The user was born in Porto.' })).statusCode).toBe(200);

    // An expired holder gives way (it is invisible; the update removes it instead of failing).
    await t.owner.query(`UPDATE memories SET expires_at = now() - interval '1 second' WHERE id = $1`, [first.memory_id]);
    const res = await patch(user, second.memory_id, { text: 'The user was born in Porto.' });
    expect(res.statusCode, res.body).toBe(200);
    expect(await count(`SELECT count(*)::int AS n FROM memories WHERE id = $1`, [first.memory_id])).toBe(0);
  });

  it('PUT on /memory/{id} is 405 with Allow listing GET, PATCH, DELETE', async () => {
    const res = await t.app.inject({ method: 'PUT', url: `/api/v1/memory/${randomUUID()}`, headers: await auth('alice') });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('DELETE, GET, HEAD, PATCH');
  });

  it('counts updates by outcome', async () => {
    const user = `metrics-${randomUUID()}`;
    const m = await index(user, 'The user likes jazz.');
    await patch(user, m.memory_id, { metadata: { genre: 'jazz' } });
    await patch(user, randomUUID(), { metadata: {} });
    const text = await t.app.metrics.registry.metrics();
    expect(text).toMatch(/memory_updates_total\{outcome="ok"\} [1-9]/);
    expect(text).toMatch(/memory_updates_total\{outcome="not_found"\} [1-9]/);
  });

  it('holds the tenant lock exclusive: the update waits for a query transaction in flight', async () => {
    const user = `lock-${randomUUID()}`;
    const userHash = hashUser(user);
    const m = await index(user, 'The user waters the plants on Mondays.');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    // A reader's transaction: the lock shared, as every query takes it, held until released.
    const reader = t.db.withTenant(userHash, async (tx) => {
      await lockTenant(tx, userHash, 'shared');
      locked();
      await gate;
      const { rows } = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM memory_chunks WHERE user_hash = $1 AND memory_id = $2 AND id = ANY($3::uuid[])`,
        [userHash, m.memory_id, m.chunk_ids],
      );
      return rows[0]!.n;
    });
    await holding;
    let done = false;
    const updating = patch(user, m.memory_id, { text: 'The user waters the plants on Thursdays.' }).then((r) => ((done = true), r));
    if (onServer()) {
      // The update's transaction waits on the lock (PGlite runs one transaction at a time anyway).
      for (let i = 0; i < 500; i++) {
        const waiting = await count(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          [],
        );
        if (waiting > 0 || done) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(done).toBe(false);
    }
    release();
    // The reader, inside its transaction, still saw every old chunk.
    expect(await reader).toBe(m.chunk_ids.length);
    expect((await updating).statusCode).toBe(200);
  });

  it('is atomic under concurrent queries: every result set holds chunks of exactly one version', { timeout: 180_000 }, async () => {
    const user = `atomic-${randomUUID()}`;
    // Version n: a text of n % 3 + 2 paragraphs of about 700 characters, each sentence tagged with
    // the version, so a result set mixing versions, or missing chunks of one, is visible.
    const version = (n: number) =>
      Array.from({ length: (n % 3) + 2 }, (_, j) =>
        Array.from({ length: 8 }, (_, i) => `Logbook vmark${n} entry ${j}.${i}: the keeper noted the tide and the wind at dusk.`).join(' '),
      ).join('\n\n');
    const chunksOf = (n: number) => chunkText(version(n)).length;
    const m = await index(user, version(0));
    expect(m.chunk_ids.length).toBe(chunksOf(0));
    expect(new Set([0, 1, 2].map(chunksOf)).size).toBe(3);
    const updates = onServer() ? 24 : 8;
    let updating = true;
    const seen = new Set<number>();
    const problems: string[] = [];
    let queries = 0;
    const queryLoop = async () => {
      while (updating) {
        const hits = await query(user, 'keeper logbook tide and wind');
        queries++;
        const versions = new Set(hits.map((h) => Number(/vmark(\d+)/.exec(h.text)?.[1])));
        if (versions.size !== 1) {
          problems.push(`mixed versions ${[...versions].join(',')}`);
          continue;
        }
        const [v] = [...versions];
        seen.add(v!);
        if (hits.length !== chunksOf(v!)) problems.push(`version ${v} with ${hits.length} chunks`);
      }
    };
    const loops = [queryLoop(), queryLoop(), queryLoop()];
    for (let n = 1; n <= updates; n++) {
      const res = await patch(user, m.memory_id, { text: version(n) });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().chunk_ids.length).toBe(chunksOf(n));
    }
    updating = false;
    await Promise.all(loops);
    expect(problems).toEqual([]);
    expect(queries).toBeGreaterThan(updates);
    expect(seen.size).toBeGreaterThan(1);
    const last = (await query(user, 'keeper logbook tide and wind')).map((h) => h.text);
    expect(last.every((text) => text.includes(`vmark${updates} `))).toBe(true);
  });

  it('with ENTITIES_ON_INGEST a new text replaces the memory in the knowledge graph', async () => {
    const other = await createTestApp({ env: { ENTITIES_ON_INGEST: 'true' } });
    try {
      const headers = { authorization: `Bearer ${await other.token('ivy')}` };
      const entity = (name: string) => other.app.inject({ method: 'GET', url: `/api/v1/memory/entities?name=${name}`, headers });
      const res = await other.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { text: 'Ivy: Marguerite and I flew to Valparaiso.' } });
      const id = res.json().memory_id as string;
      expect((await entity('Valparaiso')).json().memories[0].memory_id).toBe(id);
      const updated = await other.app.inject({ method: 'PATCH', url: `/api/v1/memory/${id}`, headers, payload: { text: 'Ivy: Marguerite and I flew to Reykjavik.' } });
      expect(updated.statusCode, updated.body).toBe(200);
      // The old chunks' mentions went with them; the entity left without mentions is pruned.
      expect((await entity('Valparaiso')).statusCode).toBe(404);
      const found = await entity('Reykjavik');
      expect(found.statusCode, found.body).toBe(200);
      expect(found.json().memories[0]).toMatchObject({ memory_id: id, chunk_ids: updated.json().chunk_ids });
    } finally {
      await other.close();
    }
  });
});
