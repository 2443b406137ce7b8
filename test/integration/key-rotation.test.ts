import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import { DataKeys, type KeyEncryptionKeys } from '../../src/crypto/data-keys.js';
import { fieldAad, seal } from '../../src/crypto/envelope.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { keyStatus, rotateKeys, type RotationProgress } from '../../src/keys/key-rotation.js';
import { openChunk } from '../../src/memory/chunk-crypto.js';
import type { Queryable } from '../../src/store/database.js';
import { keyRepository } from '../../src/store/key-repository.js';
import { withMaintenance } from '../../src/store/open.js';
import { closeTestEmbedder, createTestApp, JWT_SECRET, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend, onServer } from '../helpers/database.js';

const run = promisify(execFile);

/**
 * KEK rotation online: every data key re-wrapped under the newest KEK while the real app serves
 * reads and writes (0 failed requests), resumable after a crash, idempotent; afterwards the old
 * KEK can be removed and every memory still reads. Figures are printed.
 */
describe(`key rotation (${backend()})`, () => {
  let t: TestApp;
  let dataDir: string | undefined;
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const k3 = randomBytes(32);
  const kekOf = (...versions: [number, Buffer][]): KeyEncryptionKeys => ({
    activeVersion: Math.max(...versions.map(([v]) => v)),
    keys: new Map(versions),
  });
  const withKek = (kek: KeyEncryptionKeys): Config => ({ ...t.config, keys: { ...t.config.keys, kek } });
  const memories: { user: string; id: string; text: string }[] = [];
  const SYNTHETIC_KEYS = 400;

  beforeAll(async () => {
    if (backend() === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'engram-rotation-'));
    t = await createTestApp({ env: { ENGRAM_KEK: `1:${k1.toString('base64')}` }, pgliteDataDir: dataDir });
    // 30 users with real memories through the app, and 400 more data keys made the same way a
    // first write makes them (cheap: no model), all wrapped by KEK version 1.
    for (let i = 0; i < 30; i++) {
      const user = `rot-user-${i}`;
      const text = `Rotation note ${i}: ${randomUUID()} is the locker combination for week ${i}.`;
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${await t.token(user)}` },
        payload: { user_id: user, text },
      });
      expect(res.statusCode, res.body).toBe(201);
      memories.push({ user, id: res.json().memory_id, text });
    }
    const hashUser = createUserHasher(t.config.keys.hashKey);
    const v1 = new DataKeys<Queryable>(kekOf([1, k1]), keyRepository);
    for (let i = 0; i < SYNTHETIC_KEYS; i++) {
      const userHash = hashUser(`rot-key-only-${i}`);
      await t.db.withTenant(userHash, (tx) => v1.getOrCreate(tx, userHash));
    }
  });

  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const status = (kek: KeyEncryptionKeys) => withMaintenance(t.config.database, t.db, (maintenance) => keyStatus({ maintenance, kek }));
  const rotate = (kek: KeyEncryptionKeys, onProgress?: (p: RotationProgress) => void, batchSize = 10) =>
    withMaintenance(t.config.database, t.db, (maintenance) =>
      rotateKeys({ db: t.db, maintenance, kek, dataKeys: new DataKeys<Queryable>(kek, keyRepository) }, { batchSize, onProgress }),
    );

  it('re-wraps every key under the newest KEK while the app serves reads and writes: 0 failed requests', async () => {
    const total = memories.length + SYNTHETIC_KEYS;
    const both = kekOf([1, k1], [2, k2]);
    expect((await status(both)).keysByVersion).toEqual(new Map([[1, total]]));
    const app: FastifyInstance = await buildApp(withKek(both), { db: t.db, embedder: testEmbedder(), logLevel: 'silent' });
    try {
      const tokens = new Map<string, string>();
      const auth = async (user: string) => {
        if (!tokens.has(user)) tokens.set(user, await t.token(user));
        return { authorization: `Bearer ${tokens.get(user)}` };
      };
      let rotating = true;
      const outcomes: { op: string; status: number; ms: number; start: number; end: number }[] = [];
      let n = 0;
      const worker = async (w: number) => {
        while (rotating) {
          const m = memories[n++ % memories.length]!;
          const op = ['get', 'list', 'query', 'index', 'first-write'][n % 5]!;
          const user = op === 'first-write' ? `rot-new-${w}-${n}` : m.user;
          const started = performance.now();
          const res =
            op === 'get'
              ? await app.inject({ method: 'GET', url: `/api/v1/memory/${m.id}`, headers: await auth(user) })
              : op === 'list'
                ? await app.inject({ method: 'GET', url: '/api/v1/memory', headers: await auth(user) })
                : op === 'query'
                  ? await app.inject({ method: 'POST', url: '/api/v1/memory/query', headers: await auth(user), payload: { user_id: user, query: 'locker combination', k: 3 } })
                  : await app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { user_id: user, text: `Written during rotation by ${user}.` } });
          const end = performance.now();
          outcomes.push({ op, status: res.statusCode, ms: end - started, start: started, end });
          if (op === 'get' && res.statusCode === 200) expect(res.json().text).toBe(m.text);
        }
      };
      // Warm up, so the rotation overlaps a running load.
      const workers = Array.from({ length: 4 }, (_, w) => worker(w));
      while (outcomes.length < 8) await new Promise((r) => setTimeout(r, 5));

      // A crash part-way: the first run dies after its first page.
      const started = performance.now();
      let pages = 0;
      await expect(
        rotate(both, (p) => {
          if (p.done > 0 && ++pages === 1) throw new Error('simulated crash');
        }),
      ).rejects.toThrow('simulated crash');
      const midway = await status(both);
      expect(midway.keysByVersion.get(2)).toBeGreaterThanOrEqual(10);
      expect(midway.keysByVersion.get(1)).toBeGreaterThan(0);
      // Resumed: only the rest is listed.
      const progress: RotationProgress[] = [];
      const resumed = await rotate(both, (p) => progress.push(p));
      const ended = performance.now();
      const rotationMs = ended - started;
      rotating = false;
      await Promise.all(workers);

      expect(resumed.rotated).toBe(midway.keysByVersion.get(1));
      expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
      const failed = outcomes.filter((o) => o.status >= 300);
      const after = await status(both);
      expect([...after.keysByVersion.keys()]).toEqual([2]);
      expect(after.removable).toEqual([1]);
      expect((await rotate(both)).rotated).toBe(0); // idempotent

      const during = outcomes.filter((o) => o.end >= started && o.start <= ended);
      const sorted = during.map((o) => o.ms).sort((a, b) => a - b);
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1);
      const byOp = Object.fromEntries(['get', 'list', 'query', 'index', 'first-write'].map((op) => [op, during.filter((o) => o.op === op).length]));
      process.stdout.write(
        `[key rotation, ${backend()}] keys re-wrapped: ${total - midway.keysByVersion.get(1)!} before the simulated crash + ${resumed.rotated} resumed = ` +
          `${total - midway.keysByVersion.get(1)! + resumed.rotated} of ${total} (plus ${after.keysByVersion.get(2)! - total} keys created on v2 by first writes); ` +
          `rotation ${rotationMs.toFixed(0)} ms; requests overlapping it: ${during.length} ${JSON.stringify(byOp)}, failed: ${failed.length} of ${outcomes.length} in the whole run; ` +
          `latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms\n`,
      );
      expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
      // Reads and writes were served while keys were being re-wrapped.
      expect(during.length).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });

  it('with only the new KEK configured, every memory still reads', async () => {
    const app = await buildApp(withKek(kekOf([2, k2])), { db: t.db, embedder: testEmbedder(), logLevel: 'silent' });
    try {
      for (const m of memories) {
        const res = await app.inject({ method: 'GET', url: `/api/v1/memory/${m.id}`, headers: { authorization: `Bearer ${await t.token(m.user)}` } });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().text).toBe(m.text);
      }
    } finally {
      await app.close();
    }
  });

  it('engram keys status / rotate, and the chunk re-seal of engram migrate, from the CLI', async () => {
    // Three memories' chunks rewritten as the previous release stored them (old AAD, aad_version 1).
    const hashUser = createUserHasher(t.config.keys.hashKey);
    const current = new DataKeys<Queryable>(kekOf([2, k2]), keyRepository);
    for (const m of memories.slice(0, 3)) {
      const userHash = hashUser(m.user);
      const dek = await t.db.withTenant(userHash, async (tx) => (await current.find(tx, userHash))!);
      const { rows } = await t.owner.query<{ id: string; ordinal: number; ciphertext: Uint8Array }>(
        `SELECT id, ordinal, ciphertext FROM memory_chunks WHERE memory_id = $1`,
        [m.id],
      );
      for (const c of rows) {
        const text = openChunk(dek, { userHash, memoryId: m.id, chunkId: c.id, ordinal: c.ordinal }, c.ciphertext);
        const legacy = seal(dek, text, fieldAad(userHash, 'memory_chunks', c.id, 'text'));
        await t.owner.query(`UPDATE memory_chunks SET ciphertext = $2, aad_version = 1 WHERE id = $1`, [c.id, legacy]);
      }
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      JWT_SECRET,
      ENGRAM_HASH_KEY: t.config.keys.hashKey.toString('base64'),
      ENGRAM_KEK: [[2, k2], [3, k3]].map(([v, k]) => `${v}:${(k as Buffer).toString('base64')}`).join(','),
      LOG_LEVEL: 'warn',
    };
    if (onServer()) env.DATABASE_URL = t.databaseUrl;
    else {
      await t.close(); // one process per embedded data directory
      env.ENGRAM_DATA_DIR = dataDir;
    }
    const cli = (...args: string[]) => run('node', ['--import', 'tsx', 'src/cli/main.ts', 'keys', ...args], { env });
    const before = (await cli('status')).stdout;
    expect(before).toMatch(/chunks under the old AAD: 3 \(run engram migrate\)/);
    expect(before).toMatch(/^\s+2\s+\d+\s+yes$/m);
    expect(before).toMatch(/^\s+3\s+0\s+yes \(newest/m);
    expect(before).toMatch(/not on version 3: run engram keys rotate/);
    const rotated = (await cli('rotate', '--batch-size', '100')).stdout;
    expect(rotated).toMatch(/re-wrapping under KEK version 3: \d+\/\d+/);
    expect(rotated).toMatch(/done: \d+ key\(s\) re-wrapped under version 3/);
    process.stdout.write(`[key rotation, ${backend()}] CLI without load: ${rotated.trim().split('\n').at(-1)}\n`);
    const after = (await cli('status')).stdout;
    expect(after).toMatch(/all keys on version 3/);
    expect(after).toMatch(/removable from ENGRAM_KEK \(wrap no key\): 2/);
    expect(after).toMatch(/chunks under the old AAD: 3/);
    const migrated = await run('node', ['--import', 'tsx', 'src/cli/main.ts', 'migrate'], { env: { ...env, EMBEDDING_THREADS: '1' } });
    expect(migrated.stdout).toMatch(/chunk AAD: re-sealed 3 chunk\(s\), refused 0/);
    expect((await cli('status')).stdout).toMatch(/chunks under the old AAD: 0$/m);
  }, 240_000); // five CLI processes, one loading the model
});
