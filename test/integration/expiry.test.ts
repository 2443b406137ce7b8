import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ExpirySweeper } from '../../src/lifecycle/sweeper.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { withMaintenance } from '../../src/store/open.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/** A made-up word of letters only, so keyword search can find exactly one memory by it. */
const rare = (stem: string) => `${stem}${randomUUID().replace(/-/g, '').slice(0, 8).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Indexed = { memory_id: string; chunk_ids: string[]; created_at: string; updated_at: string; expires_at: string | null; deduplicated: boolean };

/**
 * Issue 9, expiry: expires_at / ttl_seconds / the deployment default on index; an expired memory is
 * invisible to every read route from the moment it expires (before any sweep); the sweeper deletes
 * expired memories with everything that hangs off them, once, with several sweepers at work.
 */
describe(`memory expiry (${backend()})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  const auth = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const post = async (user: string, url: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `/api/v1/memory${url}`, headers: await auth(user), payload: { user_id: user, ...payload } });
  const get = async (user: string, url: string) => t.app.inject({ method: 'GET', url: `/api/v1/memory${url}`, headers: await auth(user) });
  const index = async (user: string, payload: object): Promise<Indexed> => {
    const res = await post(user, '/index', payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  /** Sets a memory's expiry as the owner (memory and chunk copies), relative to the database clock. */
  const setExpiry = async (memoryId: string, interval: string | null) => {
    const at = interval === null ? 'NULL' : `now() + interval '${interval}'`;
    await t.owner.query(`UPDATE memories SET expires_at = ${at} WHERE id = $1`, [memoryId]);
    await t.owner.query(`UPDATE memory_chunks SET expires_at = ${at} WHERE memory_id = $1`, [memoryId]);
  };
  const rows = async (sql: string, params: unknown[] = []) => Number((await t.owner.query<{ n: number }>(sql, params)).rows[0]!.n);

  describe('on index', () => {
    it('refuses a bad expiry with a 400 that says what is wrong', async () => {
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const cases: Array<[object, RegExp]> = [
        [{ expires_at: future, ttl_seconds: 60 }, /not both/],
        [{ expires_at: null, ttl_seconds: 60 }, /not both/],
        [{ expires_at: new Date(Date.now() - 60_000).toISOString() }, /must be in the future/],
        [{ expires_at: '2031-06-30T23:59:60Z' }, /expires_at/], // leap second
        [{ expires_at: '2031-02-29T10:00:00Z' }, /expires_at/], // no such day
        [{ expires_at: '10000-01-01T00:00:00Z' }, /expires_at/],
        [{ expires_at: 'tomorrow' }, /expires_at/],
        [{ ttl_seconds: 0 }, /ttl_seconds/],
        [{ ttl_seconds: 1.5 }, /ttl_seconds/],
        [{ ttl_seconds: 10 * 365 * 24 * 3600 + 1 }, /ttl_seconds/],
      ];
      for (const [fields, detail] of cases) {
        const res = await post('val', '/index', { text: 'Validation probe.', ...fields });
        expect(res.statusCode, JSON.stringify(fields)).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
        expect(res.json().detail, JSON.stringify(fields)).toMatch(detail);
      }
      expect(await rows(`SELECT count(*)::int AS n FROM memories`)).toBe(0);
    });

    it('stores expires_at, ttl_seconds and null, and reports them on index, get and list', async () => {
      const at = new Date(Date.now() + 86_400_000);
      const a = await index('exp', { text: `Expires at a date ${rare('d')}.`, expires_at: at.toISOString() });
      expect(a.expires_at).toBe(at.toISOString());
      const before = Date.now();
      const b = await index('exp', { text: `Expires after a ttl ${rare('t')}.`, ttl_seconds: 600 });
      const ttlAt = new Date(b.expires_at!).getTime();
      expect(ttlAt).toBeGreaterThanOrEqual(before + 600_000);
      expect(ttlAt).toBeLessThanOrEqual(Date.now() + 600_000);
      const c = await index('exp', { text: `Never expires ${rare('n')}.`, expires_at: null });
      expect(c.expires_at).toBeNull();
      const d = await index('exp', { text: `Says nothing ${rare('s')}.` });
      expect(d.expires_at).toBeNull(); // no deployment default here

      for (const m of [a, b, c, d]) {
        const got = await get('exp', `/${m.memory_id}`);
        expect(got.json().expires_at).toBe(m.expires_at);
      }
      const listed = (await get('exp', '/')).json().memories as Indexed[];
      expect(Object.fromEntries(listed.map((m) => [m.memory_id, m.expires_at]))).toEqual(
        Object.fromEntries([a, b, c, d].map((m) => [m.memory_id, m.expires_at])),
      );
      const chunks = await t.owner.query<{ expires_at: Date | null }>(`SELECT expires_at FROM memory_chunks WHERE memory_id = $1`, [b.memory_id]);
      expect(chunks.rows.map((r) => r.expires_at?.toISOString())).toEqual([b.expires_at]); // the copy the vector scan filters on
    });

    it('applies MEMORY_DEFAULT_TTL_SECONDS when the request says nothing; expires_at: null overrides it', async () => {
      const app = await buildApp(
        { ...t.config, expiry: { ...t.config.expiry, defaultTtlSeconds: 3600 } },
        { db: t.db, embedder: testEmbedder(), logLevel: 'silent' },
      );
      try {
        const headers = await auth('ttl-default');
        const ix = async (payload: object) =>
          (await app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: 'ttl-default', ...payload } })).json() as Indexed;
        const before = Date.now();
        const byDefault = await ix({ text: `Default lifetime ${rare('a')}.` });
        expect(new Date(byDefault.expires_at!).getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
        expect(new Date(byDefault.expires_at!).getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
        expect((await ix({ text: `Kept forever ${rare('b')}.`, expires_at: null })).expires_at).toBeNull();
        const short = await ix({ text: `Short lifetime ${rare('c')}.`, ttl_seconds: 60 });
        expect(new Date(short.expires_at!).getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      } finally {
        await app.close();
      }
    });

    it('a memory with ttl_seconds: 1 is gone from get and list once the second has passed', async () => {
      const sent = Date.now();
      const m = await index('ttl1', { text: `Fleeting thought ${rare('f')}.`, ttl_seconds: 1 });
      // A second from the request (created_at is the write's own time, later under load).
      expect(new Date(m.expires_at!).getTime()).toBeGreaterThanOrEqual(sent + 1000);
      expect(new Date(m.expires_at!).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      await sleep(Math.max(0, new Date(m.expires_at!).getTime() - Date.now()) + 100);
      expect((await get('ttl1', `/${m.memory_id}`)).statusCode).toBe(404);
      expect((await get('ttl1', '/')).json().memories).toEqual([]);
      expect(await rows(`SELECT count(*)::int AS n FROM memories WHERE id = $1`, [m.memory_id])).toBe(1); // not swept: hidden
    });
  });

  describe('an expired memory is invisible to every route before any sweep', () => {
    const user = 'vis';
    const keep = rare('keep');
    const gone = rare('gone');
    let live: Indexed;
    let expired: Indexed;
    let mcpUrl: string;

    beforeAll(async () => {
      live = await index(user, { text: `Caroline Fennimore drinks green tea in Lisbon every morning ${keep}.` });
      expired = await index(user, {
        text: `Caroline Fennimore flew to Reykjavik with Ottoline Brack to see the glacier ${gone}.`,
        ttl_seconds: 3600,
      });
      const persisted = await post(user, '/entities', { memory_ids: [live.memory_id, expired.memory_id], persist: true });
      expect(persisted.statusCode, persisted.body).toBe(200);
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      mcpUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/mcp`;
    });

    /** Every read route, as the user sees it: returns whether the expired memory showed up anywhere. */
    async function expiredMemoryShows(): Promise<Record<string, boolean>> {
      const id = expired.memory_id;
      const seen: Record<string, boolean> = {};
      seen.get = (await get(user, `/${id}`)).statusCode !== 404;
      seen.list = (await get(user, '/?limit=200')).body.includes(id);
      seen.export = (await get(user, '/export')).body.includes(id);
      for (const rerank of [false, true]) {
        for (const query of [gone, 'flight to Reykjavik to see a glacier', `green tea ${keep}`]) {
          const res = await post(user, '/query', { query, k: 50, rerank });
          expect(res.statusCode, res.body).toBe(200);
          seen[`query ${query} rerank=${rerank}`] = res.body.includes(id) || res.body.includes(gone);
        }
      }
      const byIds = await post(user, '/summarize', { memory_ids: [id] });
      seen['summarize memory_ids'] = byIds.statusCode !== 404;
      for (const payload of [{ query: 'Reykjavik glacier' }, { created_after: '2000-01-01T00:00:00Z' }]) {
        const res = await post(user, '/summarize', payload);
        expect(res.statusCode, res.body).toBe(200);
        seen[`summarize ${Object.keys(payload)[0]}`] = res.body.includes(id) || res.body.includes('Reykjavik');
      }
      seen['entity only in it'] = (await get(user, '/entities?name=Ottoline%20Brack')).statusCode !== 404;
      const shared = await get(user, '/entities?name=Caroline%20Fennimore');
      expect(shared.statusCode, shared.body).toBe(200);
      seen['entity shared'] = shared.body.includes(id) || shared.body.includes('Reykjavik');
      seen['extract memory_ids'] = (await post(user, '/entities', { memory_ids: [id] })).statusCode !== 404;

      const client = new Client({ name: 'engram-test', version: '0.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: await auth(user) } }));
      try {
        const got = (await client.callTool({ name: 'get_memory', arguments: { memory_id: id } })) as { isError?: boolean };
        seen['mcp get_memory'] = !got.isError;
        seen['mcp list_memories'] = JSON.stringify(await client.callTool({ name: 'list_memories', arguments: {} })).includes(id);
        seen['mcp search_memories'] = JSON.stringify(
          await client.callTool({ name: 'search_memories', arguments: { query: 'Reykjavik glacier', limit: 50 } }),
        ).includes(id);
      } finally {
        await client.close();
      }
      return seen;
    }

    it('while live, every route shows it (the probe can see it)', async () => {
      const seen = await expiredMemoryShows();
      expect(Object.entries(seen).filter(([, shown]) => !shown).map(([route]) => route)).toEqual([]);
    });

    it('from the moment it expires, no route returns it, and the live memory is still there', async () => {
      await setExpiry(expired.memory_id, '-1 millisecond');
      const seen = await expiredMemoryShows();
      expect(Object.entries(seen).filter(([, shown]) => shown).map(([route]) => route)).toEqual([]);
      expect((await get(user, `/${live.memory_id}`)).statusCode).toBe(200);
      const found = (await post(user, '/query', { query: `green tea ${keep}`, k: 5 })).json().results as { memory_id: string }[];
      expect(found.map((r) => r.memory_id)).toContain(live.memory_id);
      const shared = (await get(user, '/entities?name=Caroline%20Fennimore')).json();
      expect(shared.memories.map((m: { memory_id: string }) => m.memory_id)).toEqual([live.memory_id]);
      // Hidden, not deleted: no sweeper has run.
      expect(await rows(`SELECT count(*)::int AS n FROM memories WHERE id = $1`, [expired.memory_id])).toBe(1);
    });

    it('pushed back into the future (as an update would), it shows again: the filter is what hid it', async () => {
      await setExpiry(expired.memory_id, '1 hour');
      expect((await get(user, `/${expired.memory_id}`)).statusCode).toBe(200);
      expect((await get(user, '/entities?name=Ottoline%20Brack')).statusCode).toBe(200);
      await setExpiry(expired.memory_id, '-1 millisecond');
    });

    it('the sweeper deletes it with its chunks, keyword entries, mentions and relationships, and the entities only it supported', async () => {
      const id = expired.memory_id;
      const counts = async () => ({
        memories: await rows(`SELECT count(*)::int AS n FROM memories WHERE id = $1`, [id]),
        chunks: await rows(`SELECT count(*)::int AS n FROM memory_chunks WHERE memory_id = $1`, [id]),
        keywordDocs: await rows(`SELECT count(*)::int AS n FROM keyword_docs WHERE chunk_id = ANY($1::uuid[])`, [expired.chunk_ids]),
        postings: await rows(`SELECT count(*)::int AS n FROM keyword_postings WHERE chunk_id = ANY($1::uuid[])`, [expired.chunk_ids]),
        mentions: await rows(`SELECT count(*)::int AS n FROM entity_mentions WHERE memory_id = $1`, [id]),
        relationships: await rows(`SELECT count(*)::int AS n FROM entity_relationships WHERE memory_id = $1`, [id]),
      });
      // A memory with a history (its text corrected twice), expired too: its history goes with it.
      const corrected = await index(user, { text: `The spare key is under the blue pot ${rare('pot')}.` });
      for (const text of [`The spare key is under the red pot ${rare('red')}.`, `The spare key is with the neighbour ${rare('nb')}.`]) {
        const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/memory/${corrected.memory_id}`, headers: await auth(user), payload: { user_id: user, text } });
        expect(res.statusCode, res.body).toBe(200);
      }
      const historyOf = () => rows(`SELECT count(*)::int AS n FROM memory_history WHERE memory_id = $1`, [corrected.memory_id]);
      expect(await historyOf()).toBe(2);
      await setExpiry(corrected.memory_id, '-1 millisecond');
      const before = await counts();
      for (const [table, n] of Object.entries(before)) expect(n, table).toBeGreaterThan(0);
      const entitiesBefore = await rows(`SELECT count(*)::int AS n FROM entities`);

      const metrics = createMetrics();
      const sweeper = new ExpirySweeper(
        { db: t.db, withMaintenance: (fn) => withMaintenance(t.config.database, t.db, fn), metrics },
        { intervalMs: 60_000, batchSize: 10 },
      );
      expect(await sweeper.sweepOnce()).toBeGreaterThanOrEqual(1);
      for (const [table, n] of Object.entries(await counts())) expect(n, table).toBe(0);
      expect(await historyOf()).toBe(0);
      expect(await rows(`SELECT count(*)::int AS n FROM entities`)).toBeLessThan(entitiesBefore); // Ottoline Brack, Reykjavik
      expect((await get(user, '/entities?name=Caroline%20Fennimore')).statusCode).toBe(200);
      expect((await get(user, `/${live.memory_id}`)).statusCode).toBe(200);
      expect((await metrics.registry.getSingleMetricAsString('memory_expired_deleted_total'))).toMatch(/memory_expired_deleted_total [1-9]/);
    });
  });

  describe('the sweeper', () => {
    it('two sweepers at once delete each expired memory exactly once and leave the others', async () => {
      const users = ['sw-a', 'sw-b', 'sw-c'];
      const expiredIds: string[] = [];
      const liveIds: string[] = [];
      for (const user of users) {
        for (let i = 0; i < 7; i++) {
          const m = await index(user, { text: `Sweep item ${i} of ${user} ${rare('w')}.`, ttl_seconds: 3600 });
          if (i < 5) expiredIds.push(m.memory_id);
          else liveIds.push(m.memory_id);
        }
      }
      for (const id of expiredIds) await setExpiry(id, '-1 second');
      const stray = await rows(`SELECT count(*)::int AS n FROM memories WHERE expires_at <= now() AND NOT (id = ANY($1::uuid[]))`, [expiredIds]);

      const sweepers = [createMetrics(), createMetrics()].map(
        (metrics) =>
          [
            new ExpirySweeper(
              { db: t.db, withMaintenance: (fn) => withMaintenance(t.config.database, t.db, fn), metrics },
              { intervalMs: 60_000, batchSize: 2 },
            ),
            metrics,
          ] as const,
      );
      const deleted = await Promise.all(sweepers.map(([s]) => s.sweepOnce()));
      expect(deleted[0]! + deleted[1]!).toBe(expiredIds.length + stray);
      const counted = await Promise.all(
        sweepers.map(async ([, m]) => Number(/memory_expired_deleted_total (\d+)/.exec(await m.registry.getSingleMetricAsString('memory_expired_deleted_total'))![1])),
      );
      expect(counted).toEqual(deleted);

      expect(await rows(`SELECT count(*)::int AS n FROM memories WHERE id = ANY($1::uuid[])`, [expiredIds])).toBe(0);
      expect(await rows(`SELECT count(*)::int AS n FROM memory_chunks WHERE memory_id = ANY($1::uuid[])`, [expiredIds])).toBe(0);
      expect(await rows(`SELECT count(*)::int AS n FROM memories WHERE id = ANY($1::uuid[])`, [liveIds])).toBe(liveIds.length);
      expect(await rows(`SELECT count(*)::int AS n FROM memories WHERE expires_at <= now()`)).toBe(0);
      // Nothing left: a further pass deletes nothing.
      expect(await sweepers[0]![0].sweepOnce()).toBe(0);
    });

    it('started by the server, it sweeps on its interval and stops with the app; interval 0 never starts', async () => {
      const metrics = createMetrics();
      const app = await buildApp(
        { ...t.config, expiry: { ...t.config.expiry, sweepIntervalMs: 50 } },
        { db: t.db, embedder: testEmbedder(), logLevel: 'silent', metrics },
      );
      const m = await index('sw-auto', { text: `Swept by the timer ${rare('z')}.`, ttl_seconds: 3600 });
      await setExpiry(m.memory_id, '-1 second');
      try {
        app.expirySweeper.start();
        // The pass is counted once it has ended, a moment after its delete committed.
        await vi.waitFor(
          async () => {
            expect(await rows(`SELECT count(*)::int AS n FROM memories WHERE id = $1`, [m.memory_id])).toBe(0);
            expect(await metrics.registry.getSingleMetricAsString('memory_expiry_sweeps_total')).toMatch(/outcome="ok"} [1-9]/);
          },
          { timeout: 20_000, interval: 50 },
        );
      } finally {
        await app.close();
      }
      const off = await buildApp({ ...t.config, expiry: { ...t.config.expiry, sweepIntervalMs: 0 } }, { db: t.db, embedder: testEmbedder(), logLevel: 'silent' });
      expect(off.expirySweeper.enabled).toBe(false);
      await off.close();
    });
  });
});
