import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { containing, storedFiles } from '../helpers/stored-files.js';

/**
 * Acceptance 4 and 5: a ciphertext moved to another row or tenant, or altered by one byte, fails
 * to decrypt with a clear DECRYPT_FAILED error and the service keeps serving; a unique marker
 * indexed as text is nowhere in the database files or the logs.
 */
describe(`data at rest (${backend()})`, () => {
  let t: TestApp;
  let dataDir: string | undefined;

  const headers = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const index = async (user: string, text: string, metadata?: object) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index',
      headers: await headers(user),
      payload: { user_id: user, text, metadata },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { memory_id: string; chunk_ids: string[] };
  };
  const getMemory = async (user: string, id: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/memory/${id}`, headers: await headers(user) });
  const ciphertext = async (id: string) =>
    (await t.owner.query<{ c: Uint8Array }>(`SELECT text_ciphertext AS c FROM memories WHERE id = $1`, [id])).rows[0]!.c;
  const setCiphertext = (id: string, c: Uint8Array) =>
    t.owner.query(`UPDATE memories SET text_ciphertext = $2 WHERE id = $1`, [id, Buffer.from(c)]);

  const expectDecryptFailed = async (res: Awaited<ReturnType<typeof getMemory>>) => {
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      code: 'DECRYPT_FAILED',
      detail: 'stored data failed its integrity check and cannot be decrypted',
      request_id: expect.any(String),
    });
  };

  beforeAll(async () => {
    if (backend() === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'engram-at-rest-'));
    t = await createTestApp({ pgliteDataDir: dataDir });
  });

  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a ciphertext copied into another user\'s row fails to decrypt, cleanly', async () => {
    const a = await index('alice', 'Alice: my bank PIN hint is the year I moved.');
    const b = await index('bob', 'Bob: nothing special.');
    await setCiphertext(b.memory_id, await ciphertext(a.memory_id));
    await expectDecryptFailed(await getMemory('bob', b.memory_id));
    // The owner's own copy still opens, and the service keeps serving.
    expect((await getMemory('alice', a.memory_id)).json().text).toContain('PIN hint');
  });

  it('a ciphertext copied to another row of the same user fails to decrypt', async () => {
    const one = await index('carol', 'Carol first note.');
    const two = await index('carol', 'Carol second note.');
    await setCiphertext(two.memory_id, await ciphertext(one.memory_id));
    await expectDecryptFailed(await getMemory('carol', two.memory_id));
  });

  it('a ciphertext altered by one byte fails to decrypt, wherever the byte is', async () => {
    const m = await index('dave', 'Dave likes long walks by the river.');
    const original = Buffer.from(await ciphertext(m.memory_id));
    for (const position of [0, 5, 20, original.length - 1]) {
      const altered = Buffer.from(original);
      altered[position] = altered[position]! ^ 0x01;
      await setCiphertext(m.memory_id, altered);
      await expectDecryptFailed(await getMemory('dave', m.memory_id));
    }
    await setCiphertext(m.memory_id, original.subarray(0, 10)); // truncated
    await expectDecryptFailed(await getMemory('dave', m.memory_id));
    await setCiphertext(m.memory_id, original);
    expect((await getMemory('dave', m.memory_id)).statusCode).toBe(200);
  });

  it('a chunk ciphertext altered in place fails the query with DECRYPT_FAILED, not a crash', async () => {
    const m = await index('erin', 'Erin plays the cello in an orchestra.');
    await t.owner.query(`UPDATE memory_chunks SET ciphertext = set_byte(ciphertext, 30, get_byte(ciphertext, 30) # 1) WHERE id = $1`, [
      m.chunk_ids[0],
    ]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers: await headers('erin'),
      payload: { user_id: 'erin', query: 'music instrument' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('DECRYPT_FAILED');
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('a unique marker indexed as text is in neither the database files nor the logs', async () => {
    const marker = `zebra-marker-${randomUUID()}`;
    const visible = `visible-metadata-${randomUUID()}`;
    const text = `My locker code is ${marker}. Please remember it for next week.`;
    const { memory_id } = await index('alice', text, { tag: visible });
    expect((await getMemory('alice', memory_id)).json().text).toBe(text);
    const q = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers: await headers('alice'),
      payload: { user_id: 'alice', query: `locker code ${marker}`, k: 1 },
    });
    expect(q.json().results[0].text).toContain(marker);

    const files = await storedFiles(t, dataDir);
    expect(files.length).toBeGreaterThan(20);
    // Positive control: the scan does find what is stored in plaintext (metadata), so it can fail.
    expect(containing(files, visible).length).toBeGreaterThan(0);
    expect(containing(files, marker)).toEqual([]);

    const logs = t.logs.join('');
    expect(logs).toContain('"msg":"request completed"'); // trace-level logs were captured
    expect(logs).not.toContain(marker);
    expect(logs).not.toContain('locker code');
  });
});
