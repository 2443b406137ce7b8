import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DataKeys } from '../../src/crypto/data-keys.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { prepareMemory, writeMemory } from '../../src/memory/ingest.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { KeywordIndex } from '../../src/search/keyword/keyword-index.js';
import type { Queryable } from '../../src/store/database.js';
import { keyRepository } from '../../src/store/key-repository.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

type Indexed = { memory_id: string; chunk_ids: string[]; created_at: string; updated_at: string; expires_at: string | null; deduplicated: boolean };

const unique = (stem: string) => `${stem} (${randomUUID()})`;

/**
 * Issue 9, deduplication on write: a text the user already has (keyed content hash) returns that
 * memory, deduplicated: true, and stores nothing; never across users; concurrent identical writes
 * make one memory; `dedup: false` and DEDUP_ENABLED=false store copies; an expired copy does not count.
 */
describe(`deduplication on write (${backend()})`, () => {
  let t: TestApp;
  let metrics: ReturnType<typeof createMetrics>;

  beforeAll(async () => {
    t = await createTestApp();
    metrics = t.app.metrics;
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  const auth = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const indexOn = async (app: TestApp['app'], user: string, payload: object): Promise<Indexed> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { user_id: user, ...payload } });
    const body = res.json();
    // 201 when stored, 200 when the user already had the text.
    expect(res.statusCode, res.body).toBe(body.deduplicated ? 200 : 201);
    return body;
  };
  const index = (user: string, payload: object) => indexOn(t.app, user, payload);
  const count = async (sql: string, params: unknown[] = []) => Number((await t.owner.query<{ n: number }>(sql, params)).rows[0]!.n);
  const memoriesOf = (user: string) => count(`SELECT count(*)::int AS n FROM memories WHERE user_hash = $1`, [hashUser(user)]);
  const dedupHits = async () => Number(/memory_deduplicated_total (\d+)/.exec(await metrics.registry.getSingleMetricAsString('memory_deduplicated_total'))![1]);
  let hashUser: (user: string) => string;
  beforeAll(() => {
    hashUser = createUserHasher(t.config.keys.hashKey);
  });

  it('the same text twice: the same memory back, deduplicated, nothing stored, counted', async () => {
    const text = unique('Nadia keeps her spare key under the blue flowerpot');
    const hits = await dedupHits();
    const first = await index('nadia', { text, source: 'chat' });
    expect(first.deduplicated).toBe(false);
    const chunksBefore = await count(`SELECT count(*)::int AS n FROM memory_chunks`);
    // Surrounding white space does not make another text (NFC, trimmed); another source or metadata neither.
    const second = await index('nadia', { text: `  ${text}\n`, source: 'email', metadata: { k: 1 } });
    expect(second).toEqual({ ...first, deduplicated: true });
    expect(await memoriesOf('nadia')).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM memory_chunks`)).toBe(chunksBefore);
    expect(await dedupHits()).toBe(hits + 1);
    // The kept memory is the first one, unchanged.
    const got = (await t.app.inject({ method: 'GET', url: `/api/v1/memory/${first.memory_id}`, headers: await auth('nadia') })).json();
    expect(got).toMatchObject({ text, source: 'chat', metadata: {} });
    // A different text (case counts) is another memory.
    expect((await index('nadia', { text: text.toUpperCase() })).deduplicated).toBe(false);
  });

  it('dedup: false stores a copy (without a content hash), and later writes still find the original', async () => {
    const text = unique('Omar parks on level three');
    const first = await index('omar', { text });
    const copy = await index('omar', { text, dedup: false });
    expect(copy.deduplicated).toBe(false);
    expect(copy.memory_id).not.toBe(first.memory_id);
    expect(await memoriesOf('omar')).toBe(2);
    const hashes = await t.owner.query<{ id: string; content_hash: Buffer | null }>(`SELECT id, content_hash FROM memories WHERE id = ANY($1::uuid[])`, [
      [first.memory_id, copy.memory_id],
    ]);
    const byId = Object.fromEntries(hashes.rows.map((r) => [r.id, r.content_hash]));
    expect(byId[copy.memory_id]).toBeNull();
    expect(byId[first.memory_id]).not.toBeNull();
    expect((await index('omar', { text })).memory_id).toBe(first.memory_id);
  });

  it("another user's identical text is their own memory, and nothing of the first user's shows", async () => {
    const text = unique('The vault code is 8841');
    const a = await index('vera', { text });
    const b = await index('walt', { text });
    expect(b.deduplicated).toBe(false);
    expect(b.memory_id).not.toBe(a.memory_id);
    expect(b.chunk_ids.some((id) => a.chunk_ids.includes(id))).toBe(false);
    expect(b.created_at >= a.created_at).toBe(true);
    // Both stored, with different keyed hashes for the same text.
    const rows = await t.owner.query<{ content_hash: Buffer }>(`SELECT content_hash FROM memories WHERE id = ANY($1::uuid[])`, [[a.memory_id, b.memory_id]]);
    expect(rows.rows).toHaveLength(2);
    expect(Buffer.compare(rows.rows[0]!.content_hash, rows.rows[1]!.content_hash)).not.toBe(0);
    // Walt's second write finds Walt's memory, never Vera's.
    expect((await index('walt', { text })).memory_id).toBe(b.memory_id);
  });

  it('the stored content hash is a keyed 32-byte HMAC, not sha256 of the text', async () => {
    const text = unique('Priya is allergic to penicillin');
    const m = await index('priya', { text });
    const { rows } = await t.owner.query<{ content_hash: Buffer }>(`SELECT content_hash FROM memories WHERE id = $1`, [m.memory_id]);
    const stored = Buffer.from(rows[0]!.content_hash);
    expect(stored).toHaveLength(32);
    for (const plain of [text, text.trim(), text.normalize('NFC')]) {
      expect(stored.equals(createHash('sha256').update(plain, 'utf8').digest())).toBe(false);
    }
  });

  it('five identical writes at once make one memory; every answer names it, exactly one stored it', async () => {
    const text = unique('Quentin moved to Tallinn in April');
    const answers = await Promise.all(Array.from({ length: 5 }, () => index('quentin', { text })));
    expect(new Set(answers.map((a) => a.memory_id)).size).toBe(1);
    expect(answers.filter((a) => !a.deduplicated)).toHaveLength(1);
    expect(await memoriesOf('quentin')).toBe(1);
  });

  it('concurrent writes past the pre-check meet at the unique index: one insert, no error', async () => {
    // The write step alone (what the batch route runs per item), so no lookup before embedding helps.
    const user = 'rhea';
    const userHash = hashUser(user);
    const deps = {
      dataKeys: new DataKeys<Queryable>(t.config.keys.kek, keyRepository),
      embedder: testEmbedder(),
      keywordIndex: new KeywordIndex(true),
      metrics: createMetrics(),
    };
    const prepared = prepareMemory({ userId: user, text: unique('Rhea waters the fern on Sundays') });
    const [embedding] = await testEmbedder().embed(prepared.pieces);
    // The key first, so the five do not also race to create it.
    await t.db.withTenant(userHash, (tx) => deps.dataKeys.getOrCreate(tx, userHash));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.db.withTenant(userHash, async (tx) => writeMemory(deps, tx, userHash, await deps.dataKeys.getOrCreate(tx, userHash), prepared, [embedding!]))),
    );
    expect(new Set(results.map((r) => r.memoryId)).size).toBe(1);
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    expect(await memoriesOf(user)).toBe(1);
    expect(await deps.metrics.registry.getSingleMetricAsString('memory_deduplicated_total')).toMatch(/ 4$/m);
  });

  it('an expired (unswept) memory with the same text neither blocks nor comes back: it is replaced', async () => {
    const text = unique('Sven renewed his passport');
    const old = await index('sven', { text, ttl_seconds: 3600 });
    await t.owner.query(`UPDATE memories SET expires_at = now() - interval '1 second' WHERE id = $1`, [old.memory_id]);
    await t.owner.query(`UPDATE memory_chunks SET expires_at = now() - interval '1 second' WHERE memory_id = $1`, [old.memory_id]);
    const fresh = await index('sven', { text });
    expect(fresh.deduplicated).toBe(false);
    expect(fresh.memory_id).not.toBe(old.memory_id);
    expect(fresh.expires_at).toBeNull();
    expect(await count(`SELECT count(*)::int AS n FROM memories WHERE id = $1`, [old.memory_id])).toBe(0);
    expect(await memoriesOf('sven')).toBe(1);
  });

  it('after an erase the same text is stored anew', async () => {
    const text = unique('Tara sings in a choir');
    const before = await index('tara', { text });
    const erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/memory?user_id=tara', headers: await auth('tara') });
    expect(erased.statusCode, erased.body).toBe(200);
    const after = await index('tara', { text });
    expect(after.deduplicated).toBe(false);
    expect(after.memory_id).not.toBe(before.memory_id);
  });

  it('DEDUP_ENABLED=false stores every write', async () => {
    const app = await buildApp({ ...t.config, dedup: { enabled: false } }, { db: t.db, embedder: testEmbedder(), logLevel: 'silent' });
    try {
      const text = unique('Uma bought a red bicycle');
      const a = await indexOn(app, 'uma', { text });
      const b = await indexOn(app, 'uma', { text });
      expect([a.deduplicated, b.deduplicated]).toEqual([false, false]);
      expect(a.memory_id).not.toBe(b.memory_id);
      expect(await memoriesOf('uma')).toBe(2);
    } finally {
      await app.close();
    }
  });
});
