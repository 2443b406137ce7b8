import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter } from 'prom-client';
import { Limits } from '../../src/memory/limits.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/** Issue 9: POST /api/v1/memory/index/batch. */
const BATCH = '/api/v1/memory/index/batch';
let t: TestApp;

const auth = async (subject: string, scopes?: string[]) => ({ authorization: `Bearer ${await t.token(subject, scopes)}` });
const post = async (subject: string, payload: unknown, headers?: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: BATCH, headers: headers ?? (await auth(subject)), payload: payload as object });

async function count(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_DISABLED: '1' } });
});
afterAll(async () => {
  await t?.close();
  await closeTestEmbedder();
});

describe(`batch index (${backend()})`, () => {
  it('stores every good item, reports each bad one, and the stored ones are searchable', async () => {
    const storedBefore = await count(t.app.metrics.batchItems, { outcome: 'stored' });
    const failedBefore = await count(t.app.metrics.batchItems, { outcome: 'failed' });
    const long = 'The lighthouse keeper logged the storm. '.repeat(60); // several chunks
    const res = await post('alice', {
      items: [
        { text: 'Alice adopted a beagle called Biscuit.', source: 'chat', metadata: { topic: 'pets' } },
        { text: '' }, // schema: empty text
        { text: 'ok', colour: 'red' }, // schema: unknown field
        { text: '   ' }, // domain: blank after chunking
        { text: 'bad metadata', metadata: { k: 'a\u0000b' } }, // domain: jsonb cannot hold it
        'not an object',
        { text: 'x'.repeat(Limits.textBytes + 1) }, // too long: 413 like /index
        { text: long, created_at: '2020-01-02T03:04:05.678Z', updated_at: '2021-01-02T03:04:05Z' },
        { text: 'from the future', created_at: '2999-01-01T00:00:00Z' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ stored: 2, deduplicated: 0, failed: 7 });
    expect(body.items.map((i: { status: number }) => i.status)).toEqual([201, 400, 400, 400, 400, 400, 413, 201, 400]);
    expect(body.items.map((i: { index: number }) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(body.items[2].error).toEqual({ code: 'VALIDATION_FAILED', detail: 'items[2] has an unknown field "colour"' });
    expect(body.items[6].error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body.items[8].error.detail).toMatch(/created_at must not be in the future/);
    expect(body.items[0]).toMatchObject({ deduplicated: false, chunk_ids: [expect.any(String)], chunk_count: 1, expires_at: null });
    expect(body.items[7].chunk_ids.length).toBeGreaterThan(1);
    // Each stored item carries what POST /index answers, chunk_count included.
    expect(body.items[7].chunk_count).toBe(body.items[7].chunk_ids.length);
    expect(body.items[7]).toMatchObject({ created_at: '2020-01-02T03:04:05.678Z', updated_at: '2021-01-02T03:04:05.000Z' });

    const headers = await auth('alice');
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${body.items[7].memory_id}`, headers });
    expect(got.json()).toMatchObject({ text: long, created_at: '2020-01-02T03:04:05.678Z', updated_at: '2021-01-02T03:04:05.000Z' });
    const q = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { query: 'beagle Biscuit' } });
    expect(q.json().results[0].memory_id).toBe(body.items[0].memory_id);
    // Another user sees none of it.
    const other = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${body.items[0].memory_id}`, headers: await auth('mallory') });
    expect(other.statusCode).toBe(404);

    expect(await count(t.app.metrics.batchItems, { outcome: 'stored' })).toBe(storedBefore + 2);
    expect(await count(t.app.metrics.batchItems, { outcome: 'failed' })).toBe(failedBefore + 7);
  });

  it('groups many items into few embed calls and keeps them in order', async () => {
    const texts = Array.from({ length: Limits.batchItems }, (_, i) => `Note number ${i}: the ${i % 2 ? 'red' : 'blue'} kite flew ${i} metres.`);
    const before = (await t.app.metrics.embeddingBatchSize.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const res = await post('bob', { items: texts.map((text) => ({ text })) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ stored: Limits.batchItems, failed: 0 });
    const after = (await t.app.metrics.embeddingBatchSize.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    expect(after - before).toBe(4); // 100 one-chunk items in groups of 32
    const headers = await auth('bob');
    const ids: string[] = res.json().items.map((i: { memory_id: string }) => i.memory_id);
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${ids[37]}`, headers });
    expect(got.json().text).toBe(texts[37]);
  });

  it('an item the database refuses while writing is reported; the others of its group are stored (savepoints)', async () => {
    // A constraint the service does not know about (Citus runs no triggers on distributed tables).
    await t.owner.query(`ALTER TABLE memories ADD CONSTRAINT test_refuse_boom CHECK (source IS DISTINCT FROM 'boom') NOT VALID`);
    try {
      const res = await post('hank', { items: [{ text: 'first' }, { text: 'second', source: 'boom' }, { text: 'third' }] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ stored: 2, failed: 1 });
      expect(res.json().items[1]).toEqual({ index: 1, status: 500, error: { code: 'INTERNAL', detail: 'internal error' } });
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/memory', headers: await auth('hank') });
      expect(list.json().memories.map((m: { text: string }) => m.text).sort()).toEqual(['first', 'third']);
      // A new user whose first item fails: the data key the batch created survives that item's rollback.
      const fresh = await post('ivan', { items: [{ text: 'refused', source: 'boom' }, { text: 'kept' }] });
      expect(fresh.json()).toMatchObject({ stored: 1, failed: 1 });
      const kept = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${fresh.json().items[1].memory_id}`, headers: await auth('ivan') });
      expect(kept.statusCode, kept.body).toBe(200);
      expect(kept.json().text).toBe('kept');
    } finally {
      await t.owner.query('ALTER TABLE memories DROP CONSTRAINT test_refuse_boom');
    }
  });

  it('refuses the whole request when the envelope is wrong: not an array, empty, too many, unknown field', async () => {
    for (const payload of [
      { items: 'x' },
      { items: [] },
      { items: Array.from({ length: Limits.batchItems + 1 }, () => ({ text: 'a' })) },
      { items: [{ text: 'a' }], extra: 1 },
      { text: 'a' },
    ]) {
      const res = await post('carol', payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/memory', headers: await auth('carol') });
    expect(list.json().memories).toEqual([]);
  });

  it('a body over the batch limit is 413; one over the single-request limit is accepted', async () => {
    const metadata = { note: 'm'.repeat(9000) }; // metadata is not embedded: a large body that is quick to store
    const big = { items: Array.from({ length: 30 }, (_, i) => ({ text: `item ${i}`, metadata })) };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(Limits.bodyBytes);
    const ok = await post('dave', big);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().stored).toBe(30);
    const huge = '{"items":[' + Array.from({ length: 200 }, () => JSON.stringify({ text: 'y'.repeat(45_000) })).join(',') + ']}';
    expect(huge.length).toBeGreaterThan(Limits.batchBodyBytes);
    const res = await t.app.inject({ method: 'POST', url: BATCH, headers: { ...(await auth('dave')), 'content-type': 'application/json' }, payload: huge });
    expect(res.statusCode).toBe(413);
  });

  it('needs memory:write; another user_id needs memory:relay', async () => {
    const readOnly = await post('erin', { items: [{ text: 'a' }] }, await auth('erin', ['memory:read']));
    expect(readOnly.statusCode).toBe(403);
    const cross = await post('erin', { user_id: 'frank', items: [{ text: 'a' }] });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().code).toBe('CROSS_TENANT');
    const relayed = await post('erin', { user_id: 'frank', items: [{ text: 'for frank' }] }, await auth('svc', ['memory:write', 'memory:relay', 'memory:read']));
    expect(relayed.json().stored).toBe(1);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/memory', headers: await auth('frank') });
    expect(list.json().memories.map((m: { text: string }) => m.text)).toEqual(['for frank']);
  });

  it('single /index accepts created_at and updated_at too, and refuses updated before created', async () => {
    const headers = await auth('gina');
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { text: 'old note', created_at: '2019-05-06T07:08:09Z' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ created_at: '2019-05-06T07:08:09.000Z', updated_at: '2019-05-06T07:08:09.000Z' });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index',
      headers,
      payload: { text: 'x', created_at: '2020-01-01T00:00:00Z', updated_at: '2019-01-01T00:00:00Z' },
    });
    expect(bad.statusCode).toBe(400);
  });
});
