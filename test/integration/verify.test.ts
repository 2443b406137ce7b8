import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEYWORD_TERMS_VERSION } from '../../src/search/keyword/terms.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { verify } from '../../src/verify/verify.js';
import { closeTestEmbedder, createTestApp, JWT_SECRET, type TestApp } from '../helpers/app.js';
import { backend, onServer } from '../helpers/database.js';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `engram verify` against a live server: all PASS when healthy, FAIL when isolation is weakened. */
describe(`engram verify (${backend()})`, () => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_READ_PER_MIN: '20', LOG_LEVEL: 'warn', REDIS_URL: REDIS } });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // As the server does (server.ts): the sweeper's first pass runs at once.
    t.app.expirySweeper.start();
    await vi.waitFor(async () => expect(await t.app.metrics.registry.getSingleMetricAsString('memory_expiry_sweeps_total')).toMatch(/outcome="ok"} 1/));
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('passes every check it can run against a healthy deployment', async () => {
    const results = await verify({
      url,
      signingSecret: JWT_SECRET,
      databaseUrl: t.databaseUrl,
      redisUrl: REDIS,
    });
    const failed = results.filter((r) => r.status === 'FAIL');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    const passed = results.filter((r) => r.status === 'PASS').map((r) => r.name);
    expect(passed).toEqual(expect.arrayContaining(['redis', 'health', 'metrics', 'expiry-sweeper', 'no-token', 'bad-tokens', 'cross-tenant', 'tenant-isolation', 'rate-limit']));
    if (onServer()) {
      expect(passed).toEqual(expect.arrayContaining(['rls-forced', 'rls-policies', 'app-role', 'indexes', 'keyword-terms', 'wrong-user-ciphertext']));
      // The topology: one server, or the Citus cluster with one shard per main statement.
      const topology = backend() === 'citus' ? ['citus-cluster', 'citus-router-plans'] : ['topology'];
      expect(passed).toEqual(expect.arrayContaining(topology));
      for (const r of results.filter((x) => topology.includes(x.name))) process.stdout.write(`[verify ${backend()}] ${r.name}: ${r.detail}\n`);
      expect(results.filter((r) => r.status === 'SKIP')).toEqual([]);
    }
  });

  it('fails when RLS is no longer forced, or Redis does not answer', async () => {
    if (onServer()) await t.owner.query('ALTER TABLE memories NO FORCE ROW LEVEL SECURITY');
    try {
      const results = await verify({ url, databaseUrl: t.databaseUrl, redisUrl: 'redis://127.0.0.1:1' });
      const byName = Object.fromEntries(results.map((r) => [r.name, r]));
      expect(byName.redis!.status).toBe('FAIL');
      if (onServer()) {
        expect(byName['rls-forced']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('memories') });
      }
    } finally {
      if (onServer()) await t.owner.query('ALTER TABLE memories FORCE ROW LEVEL SECURITY');
    }
  });

  it("says what the service uses: Redis given but not used by the service fails; the service's own Redis passes without --redis-url", async () => {
    const plain = await createTestApp({ env: { LOG_LEVEL: 'warn' } });
    try {
      const plainUrl = await plain.app.listen({ host: '127.0.0.1', port: 0 });
      const given = await verify({ url: plainUrl, redisUrl: REDIS });
      expect(given.find((r) => r.name === 'redis')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('the service does not use Redis') });
      const notGiven = await verify({ url: plainUrl });
      expect(notGiven.find((r) => r.name === 'redis')).toMatchObject({ status: 'SKIP', detail: expect.stringContaining('does not use Redis') });
      // Its sweeper never started (as with EXPIRY_SWEEP_INTERVAL_MS=0): said, not passed.
      expect(notGiven.find((r) => r.name === 'expiry-sweeper')).toMatchObject({ status: 'SKIP', detail: expect.stringContaining('off on this node') });
    } finally {
      await plain.close();
    }
    const own = await verify({ url });
    expect(own.find((r) => r.name === 'redis')).toMatchObject({ status: 'PASS', detail: expect.stringContaining('the service uses Redis') });
  });

  it('fails while a user has a keyword index built by older term rules, until it is rebuilt', async () => {
    if (!onServer()) return; // the database checks need a server's URL
    const headers = { authorization: `Bearer ${await t.token('old-index')}` };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: 'old-index', text: 'Zoë flew to Kraków.' } });
    expect(res.statusCode).toBe(201);
    await t.owner.query(`UPDATE user_keys SET keyword_terms = 1 WHERE user_hash = $1`, [createUserHasher(t.config.keys.hashKey)('old-index')]);
    try {
      const results = await verify({ url, databaseUrl: t.databaseUrl });
      expect(results.find((r) => r.name === 'keyword-terms')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/^1 of \d+ users .* run engram reindex/) });
    } finally {
      await t.owner.query(`UPDATE user_keys SET keyword_terms = $2 WHERE user_hash = $1`, [createUserHasher(t.config.keys.hashKey)('old-index'), KEYWORD_TERMS_VERSION]);
    }
    const results = await verify({ url, databaseUrl: t.databaseUrl });
    expect(results.find((r) => r.name === 'keyword-terms')?.status).toBe('PASS');
  });
});
