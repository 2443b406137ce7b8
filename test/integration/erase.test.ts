import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { buildApp } from '../../src/app.js';
import { DataKeys } from '../../src/crypto/data-keys.js';
import { fieldAad, seal } from '../../src/crypto/envelope.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import type { Queryable } from '../../src/store/database.js';
import { keyRepository } from '../../src/store/key-repository.js';
import { memoryRepository } from '../../src/store/memory-repository.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * Erase is crypto-shredding across nodes: two app instances (separate key caches) on one database.
 * After node A erases a user, node B — which had used that user's key — can read nothing, and its
 * next write starts a new key instead of sealing rows under the destroyed one.
 */
describe(`erase across nodes (${backend()})`, () => {
  let a: TestApp;
  let b: FastifyInstance;
  let headers: { authorization: string };

  beforeAll(async () => {
    a = await createTestApp();
    b = await buildApp(a.config, { db: a.db, embedder: testEmbedder(), logLevel: 'silent' });
    headers = { authorization: `Bearer ${await a.token('ivy')}` };
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await closeTestEmbedder();
  });

  const index = (app: FastifyInstance, text: string) =>
    app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: 'ivy', text } });
  const list = async (app: FastifyInstance) =>
    (await app.inject({ method: 'GET', url: '/api/v1/memory', headers })).json() as { memories: { text: string }[] };

  it('a destroyed key is unusable on every node at once', async () => {
    expect((await index(b, 'Ivy collects vintage maps.')).statusCode).toBe(201);
    expect((await list(b)).memories).toHaveLength(1); // B has unwrapped Ivy's key

    const erased = await a.app.inject({ method: 'DELETE', url: '/api/v1/memory?user_id=ivy', headers });
    expect(erased.json()).toEqual({ memories_deleted: 1, key_destroyed: true });
    const keys = await a.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_keys`);
    expect(keys.rows[0]!.n).toBe(0);

    expect((await list(b)).memories).toEqual([]);
    expect((await index(b, 'Ivy starts over with sea charts.')).statusCode).toBe(201);
    // Readable from both nodes: it was sealed under a new key, not the destroyed one.
    expect((await list(a.app)).memories.map((m) => m.text)).toEqual(['Ivy starts over with sea charts.']);
    expect((await list(b)).memories.map((m) => m.text)).toEqual(['Ivy starts over with sea charts.']);
  });

  it('an erase waits for a write that holds the key, then deletes its rows too', async () => {
    const userHash = createUserHasher(a.config.keys.hashKey)('ivy');
    const keys = new DataKeys<Queryable>(a.config.keys.kek, keyRepository);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const keyHeld = new Promise<void>((resolve) => (locked = resolve));
    // A write on "node B", paused between taking the key and inserting its row.
    const write = a.db.withTenant(userHash, async (tx) => {
      const dek = await keys.getOrCreate(tx, userHash);
      locked();
      await gate;
      const id = randomUUID();
      await memoryRepository.insert(
        tx,
        userHash,
        { id, source: null, metadata: {}, textCiphertext: seal(dek, 'in flight', fieldAad(userHash, 'memories', id, 'text')), chunkCount: 1 },
        [{ id: randomUUID(), ordinal: 0, ciphertext: seal(dek, 'in flight', Buffer.from('x')), aadVersion: 2, embedding: new Array(512).fill(0.01) }],
        'use-lite-512',
      );
    });
    await keyHeld;
    let erasedAt = 0;
    const erase = a.app
      .inject({ method: 'DELETE', url: '/api/v1/memory?user_id=ivy', headers })
      .then((res) => ((erasedAt = Date.now()), res));
    await new Promise((r) => setTimeout(r, 300));
    expect(erasedAt).toBe(0); // blocked on the key row the write holds
    release();
    await write;
    const res = await erase;
    expect(res.json()).toMatchObject({ key_destroyed: true, memories_deleted: 2 });
    expect((await list(b)).memories).toEqual([]);
    const left = await a.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM memories`);
    expect(left.rows[0]!.n).toBe(0);
  });
});
