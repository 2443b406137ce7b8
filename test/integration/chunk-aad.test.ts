import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DataKeys } from '../../src/crypto/data-keys.js';
import { fieldAad, open, seal } from '../../src/crypto/envelope.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { resealLegacyChunks } from '../../src/memory/chunk-reseal.js';
import type { Queryable } from '../../src/store/database.js';
import { keyRepository } from '../../src/store/key-repository.js';
import { memoryRepository } from '../../src/store/memory-repository.js';
import { withMaintenance } from '../../src/store/open.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * The chunk AAD binds a chunk to its memory and position, and chunks stored under the old AAD
 * (tenant and chunk id only) are re-sealed at start-up after checking them against their memory.
 */
describe(`chunk AAD (${backend()})`, () => {
  let t: TestApp;
  let hashUser: (id: string) => string;
  let keys: DataKeys<Queryable>;

  beforeAll(async () => {
    t = await createTestApp();
    hashUser = createUserHasher(t.config.keys.hashKey);
    keys = new DataKeys<Queryable>(t.config.keys.kek, keyRepository);
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  const auth = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const index = async (user: string, text: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { user_id: user, text } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { memory_id: string; chunk_ids: string[] };
  };
  const query = async (user: string, q: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers: await auth(user), payload: { user_id: user, query: q, k: 50 } });
  const expectDecryptFailed = (res: Awaited<ReturnType<typeof query>>) => {
    expect(res.statusCode, res.body).toBe(500);
    expect(res.json().code).toBe('DECRYPT_FAILED');
  };
  const dekOf = (userHash: string) => t.db.withTenant(userHash, async (tx) => (await keys.find(tx, userHash))!);
  const chunksOf = async (memoryId: string) =>
    (
      await t.owner.query<{ id: string; ordinal: number; ciphertext: Uint8Array; aad_version: number }>(
        `SELECT id, ordinal, ciphertext, aad_version FROM memory_chunks WHERE memory_id = $1 ORDER BY ordinal`,
        [memoryId],
      )
    ).rows;
  /** A long text: sentences of ~100 characters, so the default 800-character chunker makes several chunks. */
  const longText = (topic: string, n: number) =>
    Array.from({ length: n }, (_, i) => `Sentence ${i} about ${topic} is here and it is padded out to be long enough to matter for chunking.`).join(' ');

  it('a chunk moved to another memory of the same user fails to open', async () => {
    const user = `mover-${randomUUID()}`;
    const a = await index(user, 'Alpha: the garage code is 4711.');
    const b = await index(user, 'Beta: the dog is called Rex.');
    expect((await query(user, 'garage code')).statusCode).toBe(200);
    // Chunk id and ciphertext unchanged; only the row now claims to belong to memory B, position 1.
    await t.owner.query(`UPDATE memory_chunks SET memory_id = $2, ordinal = 1 WHERE id = $1`, [a.chunk_ids[0], b.memory_id]);
    expectDecryptFailed(await query(user, 'garage code'));
  });

  it('chunks swapped in position within one memory fail to open', async () => {
    const user = `swapper-${randomUUID()}`;
    const m = await index(user, longText('tides', 20));
    expect(m.chunk_ids.length).toBeGreaterThan(1);
    expect((await query(user, 'tides')).statusCode).toBe(200);
    const [c0, c1] = m.chunk_ids;
    await t.owner.query(`UPDATE memory_chunks SET ordinal = 1000 WHERE id = $1`, [c0]);
    await t.owner.query(`UPDATE memory_chunks SET ordinal = 0 WHERE id = $1`, [c1]);
    await t.owner.query(`UPDATE memory_chunks SET ordinal = 1 WHERE id = $1`, [c0]);
    expectDecryptFailed(await query(user, 'tides'));
  });

  it('chunks under the old AAD are re-sealed at start-up and stay readable; moved or downgraded ones are refused', async () => {
    const user = `legacy-${randomUUID()}`;
    const userHash = hashUser(user);
    const long = await index(user, longText('lighthouses', 20));
    const short = await index(user, 'Short legacy memory about lanterns.');
    const moved = await index(user, 'A memory whose old chunk will be moved.');
    const target = await index(user, 'The memory it is moved to.');
    const dek = await dekOf(userHash);
    const texts = new Map<string, string>();
    // Rewrite every chunk of these memories as the previous release stored it.
    for (const m of [long, short, moved, target]) {
      for (const c of await chunksOf(m.memory_id)) {
        const { rows } = await t.owner.query<{ memory_id: string }>(`SELECT memory_id FROM memory_chunks WHERE id = $1`, [c.id]);
        const text = open(dek, c.ciphertext, Buffer.from(`engram:v2|memory_chunks.text|${userHash}|${rows[0]!.memory_id}|${c.id}|${c.ordinal}`)).toString('utf8');
        texts.set(c.id, text);
        const legacy = seal(dek, text, fieldAad(userHash, 'memory_chunks', c.id, 'text'));
        await t.owner.query(`UPDATE memory_chunks SET ciphertext = $2, aad_version = 1 WHERE id = $1`, [c.id, legacy]);
      }
    }
    // A legacy chunk the old chunker cut through an emoji: its halves were stored as U+FFFD.
    const emojiId = randomUUID();
    const emojiChunks = [randomUUID(), randomUUID()];
    const emojiText = `${'x'.repeat(10)}😀${'y'.repeat(10)}`;
    await t.db.withTenant(userHash, (tx) =>
      memoryRepository.insert(
        tx,
        userHash,
        { id: emojiId, source: null, metadata: {}, textCiphertext: seal(dek, emojiText, fieldAad(userHash, 'memories', emojiId, 'text')), chunkCount: 2 },
        [`${'x'.repeat(10)}\uD83D`, `\uDE00${'y'.repeat(10)}`].map((piece, i) => ({
          id: emojiChunks[i]!,
          ordinal: i,
          ciphertext: seal(dek, piece, fieldAad(userHash, 'memory_chunks', emojiChunks[i]!, 'text')),
          aadVersion: 1,
          embedding: new Array(512).fill(0.02),
        })),
        testEmbedder().model,
      ),
    );
    // The old AAD did not notice this move; the re-seal must.
    await t.owner.query(`UPDATE memory_chunks SET memory_id = $2, ordinal = 1 WHERE id = $1`, [moved.chunk_ids[0], target.memory_id]);

    // Before the re-seal, the serving path refuses old chunks whatever the column says.
    expectDecryptFailed(await query(user, 'lighthouses'));

    // A restart (MIGRATE_ON_START, the default) re-seals them before serving.
    const restarted = await buildApp(t.config, { db: t.db, embedder: testEmbedder(), logLevel: 'silent' });
    await restarted.close();
    const version = async (id: string) => (await t.owner.query<{ v: number }>(`SELECT aad_version AS v FROM memory_chunks WHERE id = $1`, [id])).rows[0]!.v;
    for (const id of [...long.chunk_ids, ...short.chunk_ids, ...target.chunk_ids, ...emojiChunks]) expect(await version(id), id).toBe(2);
    expect(await version(moved.chunk_ids[0]!)).toBe(1); // refused: left unreadable

    // Everything of the good memories is readable, byte for byte, through the real query path.
    await t.owner.query(`DELETE FROM memory_chunks WHERE id = $1`, [moved.chunk_ids[0]]);
    const res = await query(user, 'lighthouses lanterns');
    expect(res.statusCode, res.body).toBe(200);
    const hits = res.json().results as { chunk_id: string; text: string }[];
    for (const id of [...long.chunk_ids, ...short.chunk_ids]) expect(hits.find((h) => h.chunk_id === id)?.text).toBe(texts.get(id));

    // Done: a second run finds nothing. Now set a current chunk back to version 1 after moving it:
    // the downgrade does not launder the move.
    await t.owner.query(`UPDATE memory_chunks SET memory_id = $2, ordinal = 5, aad_version = 1 WHERE id = $1`, [short.chunk_ids[0], long.memory_id]);
    const again = await withMaintenance(t.config.database, t.db, (maintenance) => resealLegacyChunks({ db: t.db, maintenance, dataKeys: keys }));
    expect(again).toEqual({ resealed: 0, refused: 1 });
    expect(await version(short.chunk_ids[0]!)).toBe(1);
    expectDecryptFailed(await query(user, 'lanterns'));
  });
});
