import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { toUnavailable } from '../../src/store/pg-errors.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { byStatus, privateCluster, startLoad, storedIds, type Outcome, type PrivateCluster } from '../helpers/citus-load.js';
import { backend } from '../helpers/database.js';
import type { PrivatePostgres } from '../helpers/private-postgres.js';

const print = (line: string) => process.stdout.write(`[citus outage] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 16, part 3: one worker stops under load. A test database on the shared coordinator with two
 * workers of its own (private servers: stopping one touches no other test), a mixed load over users of
 * both. While the worker is down, its users get 503 DATABASE_UNAVAILABLE with Retry-After and the
 * other worker's users are served as before; once it is back the service serves them again by itself
 * (no restart), and every acknowledged write is stored.
 */
describe.runIf(backend() === 'citus')('Citus: a worker down under load', () => {
  let cluster: PrivateCluster;
  let nodes: PrivatePostgres[];
  let t: TestApp;
  const users = Array.from({ length: 16 }, (_, i) => `outage-user-${i}`);
  /** The port of the worker holding each user's shards. */
  const home = new Map<string, number>();

  beforeAll(async () => {
    cluster = await privateCluster('engram_outage', { nodes: 2, workers: 2, shardCount: 8 });
    nodes = cluster.nodes;
    t = await createTestApp({ databaseUrl: cluster.url, env: { RATE_LIMIT_DISABLED: 'true', EXPIRY_SWEEP_INTERVAL_MS: '0' } });
    const hash = createUserHasher(t.config.keys.hashKey);
    for (const user of users) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${await t.token(user)}` },
        payload: { text: `${user} wrote this before the outage.` },
      });
      expect(res.statusCode, res.body).toBe(201);
      const { rows } = await t.owner.query<{ port: number }>(
        `SELECT nodeport AS port FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('user_keys', $1::text)`,
        [hash(user)],
      );
      home.set(user, rows[0]!.port);
    }
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await cluster?.destroy();
    await closeTestEmbedder();
  });

  it('only the stopped worker\'s users get 503 with Retry-After; the others are served; it recovers by itself; 0 acknowledged writes lost', async () => {
    const [up, down] = nodes as [PrivatePostgres, PrivatePostgres];
    const onDown = (o: Outcome) => home.get(o.user) === down.port;
    expect(users.filter((u) => home.get(u) === down.port).length).toBeGreaterThan(0);
    expect(users.filter((u) => home.get(u) === up.port).length).toBeGreaterThan(0);

    let phase = 'before';
    const load = startLoad({ app: t.app, users, token: (u) => t.token(u), writers: 2, readers: 2, phase: () => phase });
    await sleep(1500);
    phase = 'outage';
    await down.stop('immediate');
    await sleep(4000);
    phase = 'restarting';
    await down.start();
    // Served again without a restart of the service: a request of the stopped worker's users succeeds.
    const downUser = users.find((u) => home.get(u) === down.port)!;
    const started = Date.now();
    for (;;) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/memory?limit=1', headers: { authorization: `Bearer ${await t.token(downUser)}` } });
      if (res.statusCode === 200) break;
      expect(Date.now() - started, `still ${res.statusCode} ${res.body}`).toBeLessThan(30_000);
      await sleep(200);
    }
    print(`served again ${((Date.now() - started) / 1000).toFixed(1)} s after the worker started`);
    await sleep(2000);
    phase = 'after';
    await sleep(2000);
    const outcomes = await load.stop();

    for (const p of ['before', 'outage', 'restarting', 'after']) {
      const during = outcomes.filter((o) => o.phase === p);
      print(`${p}: stopped worker's users ${byStatus(during.filter(onDown))}; other users ${byStatus(during.filter((o) => !onDown(o)))}`);
    }
    // Everyone else was served throughout.
    expect(outcomes.filter((o) => !onDown(o) && o.status >= 300)).toEqual([]);
    // The stopped worker's users: 503 DATABASE_UNAVAILABLE with Retry-After, nothing else went wrong.
    const refused = outcomes.filter((o) => onDown(o) && o.status >= 300);
    expect(refused.filter((o) => o.phase === 'outage').length).toBeGreaterThan(0);
    for (const o of refused) {
      expect(o, JSON.stringify(o)).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    // None before the stop (a request sent before it may be answered after it), none once recovered.
    expect(refused.filter((o) => o.endPhase === 'before' || o.phase === 'after')).toEqual([]);
    expect(outcomes.filter((o) => onDown(o) && o.phase === 'after' && o.status < 300).length).toBeGreaterThan(0);

    const acknowledged = outcomes.filter((o) => o.memoryId).map((o) => o.memoryId!);
    const stored = await storedIds(t, acknowledged);
    print(`acknowledged writes ${acknowledged.length}, stored ${stored.size}, lost ${acknowledged.length - stored.size}; refused ${refused.length} (all 503 + Retry-After)`);
    expect(acknowledged.length - stored.size).toBe(0);
  }, 120_000);

  // A worker lost between a transaction's statements and its COMMIT: Citus answers XX000 ("could not
  // commit transaction for shard …", or the worker connection's libpq error), which must be a 503 for
  // the client to retry, not a 500. Once seen in CI under load; here made to happen every time.
  it('a worker lost before COMMIT is reported as unavailable, not as an internal error', async () => {
    const [up, down] = nodes as [PrivatePostgres, PrivatePostgres];
    await t.owner.query('CREATE TABLE outage_probe (k text, v int)');
    await t.owner.query(`SELECT create_distributed_table('outage_probe', 'k', colocate_with => 'none')`);
    const keyOn = async (port: number) => {
      for (let i = 0; ; i++) {
        const { rows } = await t.owner.query<{ port: number }>(
          `SELECT nodeport AS port FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('outage_probe', $1::text)`,
          [`k${i}`],
        );
        if (rows[0]!.port === port) return `k${i}`;
      }
    };
    const [onDown, onUp] = [await keyOn(down.port), await keyOn(up.port)];
    const cases: Record<string, string[]> = { 'one shard': [onDown], 'two shards (two-phase commit)': [onDown, onUp] };
    for (const [name, keys] of Object.entries(cases)) {
      const client = new pg.Client({ connectionString: cluster.url });
      client.on('error', () => {});
      await client.connect();
      let failure: unknown;
      try {
        await client.query('BEGIN');
        for (const k of keys) await client.query('INSERT INTO outage_probe VALUES ($1, 1)', [k]);
        await down.stop('immediate');
        await client.query('COMMIT').catch((err: unknown) => (failure = err));
      } finally {
        await client.end().catch(() => {});
        await down.start();
      }
      const e = failure as { code?: string; message?: string } | undefined;
      print(`${name}: COMMIT with the worker stopped: ${e?.code} ${JSON.stringify(e?.message)}`);
      expect(e, name).toBeDefined();
      expect(toUnavailable(failure)?.code, `${name}: ${e?.code} ${e?.message}`).toBe('DATABASE_UNAVAILABLE');
    }
  }, 60_000);
});
