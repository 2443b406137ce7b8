import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reindexCommand } from '../../src/cli/reindex.js';
import { KEYWORD_TERMS_VERSION } from '../../src/search/keyword/terms.js';
import { openPGlite } from '../../src/store/pglite.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * `engram reindex`: memories written while the keyword index was off get their index, for every user,
 * with one progress line per user, and each user's index is marked as built by the current term rules.
 */
describe(`engram reindex (${backend()})`, () => {
  let t: TestApp | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('indexes the memories of every user written while the index was off', { timeout: 300_000 }, async () => {
    if (backend() === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'engram-reindex-'));
    const env = {
      KEYWORD_INDEX_ENABLED: 'false',
      ENGRAM_KEK: `1:${randomBytes(32).toString('base64')}`,
      ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
    };
    t = await createTestApp({ env, pgliteDataDir: dataDir });
    for (const [user, text] of [
      ['ann', 'Ann grows chillies on the balcony.'],
      ['ann', 'Ann is learning the accordion.'],
      ['bo', 'Bo collects enamel pins.'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${await t.token(user)}` },
        payload: { user_id: user, text },
      });
      expect(res.statusCode).toBe(201);
    }
    const countDocs = `SELECT (SELECT count(*)::int FROM keyword_docs) AS docs, (SELECT count(*)::int FROM keyword_postings) AS postings`;
    expect((await t.owner.query(countDocs)).rows[0]).toEqual({ docs: 0, postings: 0 });
    // New users start at the current term rules; these two stand for users of an older release.
    const versions = `SELECT array_agg(DISTINCT keyword_terms) AS v FROM user_keys`;
    expect((await t.owner.query(versions)).rows[0]).toEqual({ v: [KEYWORD_TERMS_VERSION] });
    await t.owner.query(`UPDATE user_keys SET keyword_terms = 1`);

    const config = { ...t.config, search: { keywordIndex: true } };
    if (backend() === 'pglite') await t.close(); // one connection: the command opens the directory itself
    const lines: string[] = [];
    expect(await reindexCommand(config, [], (line) => lines.push(line))).toBe(3);
    expect(lines.filter((l) => /^\[\d\/2\] user [0-9a-f]{12}…: \d chunks indexed$/.test(l))).toHaveLength(2);
    expect(lines.at(-1)).toBe('reindexed 2 users, 3 chunks');

    let counts: unknown;
    let after: unknown;
    if (backend() === 'pglite') {
      const db = await openPGlite(config.database.kind === 'pglite' ? config.database.dataDir : '');
      counts = (await db.pglite.query(countDocs)).rows[0];
      after = (await db.pglite.query(versions)).rows[0];
      await db.close();
    } else {
      counts = (await t.owner.query(countDocs)).rows[0];
      after = (await t.owner.query(versions)).rows[0];
    }
    expect(after).toEqual({ v: [KEYWORD_TERMS_VERSION] });
    expect(counts).toEqual({ docs: 3, postings: expect.any(Number) });
    expect((counts as { postings: number }).postings).toBeGreaterThanOrEqual(9);
  });
});
