import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DataKeys } from '../../src/crypto/data-keys.js';
import { fieldAad, seal } from '../../src/crypto/envelope.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { CHUNK_AAD_VERSION, sealChunk } from '../../src/memory/chunk-crypto.js';
import type { Database, Queryable } from '../../src/store/database.js';
import { keyRepository } from '../../src/store/key-repository.js';
import { memoryRepository } from '../../src/store/memory-repository.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend, lockWaiters, onServer } from '../helpers/database.js';

/**
 * Erase against reads and writes in flight, with the interleavings forced (a paused transaction,
 * a row lock held by the owner) instead of hoped for with sleeps. On PostgreSQL these races are
 * real; PGlite runs one transaction at a time, so there the same steps must simply come out right.
 */
describe(`erase races (${backend()})`, () => {
  let t: TestApp;
  let hashUser: (id: string) => string;

  beforeAll(async () => {
    t = await createTestApp();
    hashUser = createUserHasher(t.config.keys.hashKey);
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  const auth = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const erase = async (app: FastifyInstance, user: string) =>
    app.inject({ method: 'DELETE', url: `/api/v1/memory?user_id=${user}`, headers: await auth(user) });
  const index = async (user: string, text: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { user_id: user, text } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { memory_id: string; chunk_ids: string[] };
  };
  const rowsOf = async (userHash: string) => {
    const q = async (table: string) =>
      (await t.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE user_hash = $1`, [userHash])).rows[0]!.n;
    return { keys: await q('user_keys'), memories: await q('memories'), chunks: await q('memory_chunks') };
  };

  /** Resolves once `waiters` backends of this database wait on a lock, or `done()` holds. */
  async function blockedOrDone(done: () => boolean, waiters = 1) {
    for (let i = 0; i < 1000; i++) {
      if (done()) return;
      if (onServer()) {
        if ((await lockWaiters(t.owner)) >= waiters) return;
      } else if (i > 20) return; // PGlite: the other transaction waits for its turn on the one connection
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('neither blocked nor done');
  }

  it("a user's first write in flight when the erase runs does not survive it", async () => {
    const user = `first-${randomUUID()}`;
    const userHash = hashUser(user);
    const keys = new DataKeys<Queryable>(t.config.keys.kek, keyRepository);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let keyCreated!: () => void;
    const created = new Promise<void>((r) => (keyCreated = r));
    // The first write of a user: creates the key (uncommitted), then pauses before its rows.
    const write = t.db.withTenant(userHash, async (tx) => {
      const dek = await keys.getOrCreate(tx, userHash);
      keyCreated();
      await gate;
      const memoryId = randomUUID();
      const chunkId = randomUUID();
      await memoryRepository.insert(
        tx,
        userHash,
        { id: memoryId, source: null, metadata: {}, textCiphertext: seal(dek, 'first words', fieldAad(userHash, 'memories', memoryId, 'text')), chunkCount: 1 },
        [{ id: chunkId, ordinal: 0, ciphertext: sealChunk(dek, { userHash, memoryId, chunkId, ordinal: 0 }, 'first words'), aadVersion: CHUNK_AAD_VERSION, embedding: new Array(512).fill(0.01) }],
        testEmbedder().model,
      );
    });
    await created;
    let erased = false;
    const erasing = erase(t.app, user).then((res) => ((erased = true), res));
    await blockedOrDone(() => erased);
    release();
    await write;
    const res = await erasing;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ memories_deleted: 1, key_destroyed: true });
    expect(await rowsOf(userHash)).toEqual({ keys: 0, memories: 0, chunks: 0 });
  });

  it('an erase and a single delete of the same user never deadlock (lock order)', async () => {
    const user = `order-${randomUUID()}`;
    const userHash = hashUser(user);
    await index(user, 'The first memory, to be deleted on its own.');
    const target = await index(user, 'The second memory, deleted while the erase runs.');
    await index(user, 'The third memory.');
    const del = async () =>
      t.app.inject({ method: 'DELETE', url: `/api/v1/memory/${target.memory_id}?user_id=${user}`, headers: await auth(user) });

    let results: { statusCode: number; body: string }[];
    if (onServer()) {
      // The owner locks the target's chunk; the erase starts and waits on it, then the delete starts
      // and waits too. Erase deleting chunks before memories, the delete memory before chunk:
      // opposite orders, a deadlock once the owner lets go.
      const holder = new pg.Client({ connectionString: t.databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM memory_chunks WHERE user_hash = $1 AND id = $2 FOR UPDATE`, [userHash, target.chunk_ids[0]]);
        let erased = false;
        const erasing = erase(t.app, user).then((r) => ((erased = true), r));
        await blockedOrDone(() => erased, 1);
        let deleted = false;
        const deleting = del().then((r) => ((deleted = true), r));
        await blockedOrDone(() => deleted, 2);
        await holder.query('COMMIT');
        results = await Promise.all([erasing, deleting]);
      } finally {
        await holder.end();
      }
    } else {
      results = await Promise.all([erase(t.app, user), del()]);
    }
    for (const r of results) expect(r.statusCode, r.body).toBeLessThan(500);
    expect(results[0]!.statusCode).toBe(200);
    expect(await rowsOf(userHash)).toEqual({ keys: 0, memories: 0, chunks: 0 });
  });

  it('a read racing an erase is a 404, not DECRYPT_FAILED; tampering still is DECRYPT_FAILED', async () => {
    // A second node whose database pauses a read just before it loads the data key.
    let armed = false;
    let paused!: () => void;
    let resume!: () => void;
    const atKey = new Promise<void>((r) => (paused = r));
    const proceed = new Promise<void>((r) => (resume = r));
    const pausing: Database = {
      ...t.db,
      withTenant: (userHash, fn) =>
        t.db.withTenant(userHash, (tx) =>
          fn({
            query: async (sql, params) => {
              if (armed && /FROM user_keys/.test(sql)) {
                armed = false;
                paused();
                await proceed;
              }
              return tx.query(sql, params);
            },
          }),
        ),
    };
    const reader = await buildApp(t.config, { db: pausing, embedder: testEmbedder(), logLevel: 'silent' });
    try {
      const user = `reader-${randomUUID()}`;
      const { memory_id } = await index(user, 'Read me while I am being erased.');
      armed = true;
      const reading = reader.inject({ method: 'GET', url: `/api/v1/memory/${memory_id}`, headers: await auth(user) });
      await atKey; // the read has its memory row and is about to load the key
      let erased = false;
      const erasing = erase(t.app, user).then((r) => ((erased = true), r));
      await blockedOrDone(() => erased);
      resume();
      const [read, gone] = await Promise.all([reading, erasing]);
      expect(read.statusCode, read.body).not.toBe(500);
      expect([200, 404]).toContain(read.statusCode);
      expect(gone.json()).toEqual({ memories_deleted: 1, key_destroyed: true });
      const after = await reader.inject({ method: 'GET', url: `/api/v1/memory/${memory_id}`, headers: await auth(user) });
      expect(after.statusCode).toBe(404);
      const listed = await reader.inject({ method: 'GET', url: `/api/v1/memory?user_id=${user}`, headers: await auth(user) });
      expect(listed.json().memories).toEqual([]);

      // A real integrity failure keeps its code: a flipped byte in a stored text.
      const other = `tampered-${randomUUID()}`;
      const m = await index(other, 'Integrity matters.');
      await t.owner.query(`UPDATE memories SET text_ciphertext = set_byte(text_ciphertext, 20, get_byte(text_ciphertext, 20) # 1) WHERE id = $1`, [
        m.memory_id,
      ]);
      const tampered = await reader.inject({ method: 'GET', url: `/api/v1/memory/${m.memory_id}`, headers: await auth(other) });
      expect(tampered.statusCode).toBe(500);
      expect(tampered.json().code).toBe('DECRYPT_FAILED');
    } finally {
      await reader.close();
    }
  });
});
