import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { terms } from '../../src/search/keyword/terms.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { containing, storedFiles } from '../helpers/stored-files.js';


/**
 * Issue 6, acceptance 2: the blind keyword index holds no word. A rare indexed word and its stem are
 * in neither the database files nor the keyword tables' contents, yet a query finds the memory by it;
 * equal words of two users do not match; deleting a memory or erasing a user leaves no keyword row.
 */
describe(`blind keyword index (${backend()})`, () => {
  let t: TestApp;
  let dataDir: string | undefined;
  // A made-up word: only this test can have put it in the database.
  const word = `Quarvel${randomUUID().replace(/[^a-f]/g, '').slice(0, 8)}ings`;
  const stem = terms(word)[0]!;
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
  const query = async (user: string, q: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers: await headers(user), payload: { user_id: user, query: q, k: 3 } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { results: { memory_id: string; text: string; scores: { keyword: number | null } }[] };
  };
  const hashOf = (user: string) => createUserHasher(t.config.keys.hashKey)(user);
  beforeAll(async () => {
    if (backend() === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'engram-keyword-'));
    t = await createTestApp({ pgliteDataDir: dataDir });
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('indexes words as keyed integers, per user, behind RLS', async () => {
    expect(stem.length).toBeGreaterThan(8);
    expect(word.toLowerCase()).not.toBe(stem); // the plural is stemmed away: both forms are checked below
    await index('kim', `We ordered two ${word} for the party.`);
    await index('kim', 'Something else entirely about gardening.');
    await index('lee', `Lee also mentions ${word} once.`);
    const found = await query('kim', word.toLowerCase());
    expect(found.results[0]!.text).toContain(word);
    expect(found.results[0]!.scores.keyword).toBeGreaterThan(0);

    // Equal words of two users are different terms.
    const termsOf = async (user: string) =>
      (await t.owner.query<{ term: string }>(`SELECT term::text AS term FROM keyword_postings WHERE user_hash = $1`, [hashOf(user)])).rows.map(
        (r) => r.term,
      );
    const kim = new Set(await termsOf('kim'));
    expect(kim.size).toBeGreaterThan(3);
    expect((await termsOf('lee')).filter((x) => kim.has(x))).toEqual([]);

    // RLS: another tenant sees none of kim's keyword rows.
    const seen = await t.db.withTenant(hashOf('lee'), (tx) =>
      tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM keyword_postings WHERE user_hash = $1`, [hashOf('kim')]),
    );
    expect(seen.rows[0]!.n).toBe(0);
  });

  it('the word and its stem are in neither the keyword tables nor the database files', async () => {
    const visible = `visible-metadata-${randomUUID()}`;
    await index('kim', `Reminder: the ${word} arrive on Monday.`, { tag: visible });
    const dump = await t.owner.query<{ row: string }>(
      `SELECT d::text AS row FROM keyword_docs d UNION ALL SELECT p::text FROM keyword_postings p`,
    );
    expect(dump.rows.length).toBeGreaterThan(5);
    const tables = dump.rows.map((r) => r.row).join('\n').toLowerCase();
    expect(tables).not.toContain(stem);
    expect(tables).not.toContain(word.toLowerCase());

    const files = await storedFiles(t, dataDir);
    // Positive control: plaintext that is stored (metadata) is found, so the scan can fail.
    expect(containing(files, visible).length).toBeGreaterThan(0);
    for (const needle of [word, word.toLowerCase(), stem]) expect(containing(files, needle), needle).toEqual([]);
  });
});

describe(`keyword rows follow their memory (${backend()})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('deleting a memory removes its keyword rows; erasing a user removes all of theirs', async () => {
    const headers = { authorization: `Bearer ${await t.token('max')}` };
    const hash = createUserHasher(t.config.keys.hashKey)('max');
    const count = async () =>
      (
        await t.owner.query<{ docs: number; postings: number }>(
          `SELECT (SELECT count(*)::int FROM keyword_docs WHERE user_hash = $1) AS docs,
                  (SELECT count(*)::int FROM keyword_postings WHERE user_hash = $1) AS postings`,
          [hash],
        )
      ).rows[0]!;
    const ids: string[] = [];
    for (const text of ['Max walks the greyhound daily.', 'Max repairs vintage radios.', 'Max bakes rye bread.']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: 'max', text } });
      ids.push(res.json().memory_id);
    }
    const before = await count();
    expect(before.docs).toBe(3);
    expect(before.postings).toBeGreaterThanOrEqual(9);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/memory/${ids[0]}`, headers })).statusCode).toBe(204);
    const after = await count();
    expect(after.docs).toBe(2);
    expect(after.postings).toBeLessThan(before.postings);

    const erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/memory?user_id=max', headers });
    expect(erased.statusCode, erased.body).toBeLessThan(300);
    expect(await count()).toEqual({ docs: 0, postings: 0 });
  });
});
