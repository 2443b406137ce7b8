import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantCatalog } from '../../src/store/tenant-catalog.js';
import type { Queryable } from '../../src/store/database.js';
import { maintenanceOnClient } from '../../src/store/maintenance.js';
import { withMaintenance } from '../../src/store/open.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { byStatus, privateCluster, startLoad, storedIds, type PrivateCluster } from '../helpers/citus-load.js';
import { backend } from '../helpers/database.js';
import type { PrivatePostgres } from '../helpers/private-postgres.js';

const print = (line: string) => process.stdout.write(`[citus growth] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 16, part 3: a deployment grows by adding a worker and rebalancing, online. A test database on
 * the shared coordinator with two workers of its own (private PostgreSQL servers with Citus: a shard
 * move's replication slot waits for every transaction in flight on its source server, and the shared
 * workers serve other test files meanwhile), 8 shards a table so the moves are quick, gets a third
 * worker; citus_rebalance_start moves shard groups onto it (block_writes: writes to a group being
 * copied wait for it) while writers and readers run. Every acknowledged write must be stored and no
 * read may fail.
 */
describe.runIf(backend() === 'citus')('Citus: a third worker and a rebalance under load', () => {
  let cluster: PrivateCluster;
  let third: PrivatePostgres;
  let t: TestApp;
  const users = Array.from({ length: 24 }, (_, i) => `grower-${i}`);

  beforeAll(async () => {
    cluster = await privateCluster('engram_growth', { nodes: 3, workers: 2, shardCount: 8 });
    third = cluster.nodes[2]!;
    t = await createTestApp({ databaseUrl: cluster.url, env: { RATE_LIMIT_DISABLED: 'true', EXPIRY_SWEEP_INTERVAL_MS: '0' } });
    for (const user of users.slice(0, 12)) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${await t.token(user)}` },
        payload: { text: `${user} wrote this before the cluster grew.` },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await cluster?.destroy();
    await closeTestEmbedder();
  });

  it('moves shard groups onto the new worker while writes and reads go on: 0 acknowledged writes lost, 0 failed reads', async () => {
    let phase = 'before';
    const load = startLoad({ app: t.app, users, token: (u) => t.token(u), writers: 2, readers: 2, phase: () => phase });
    await sleep(1500);
    const admin = new pg.Client({ connectionString: t.databaseUrl });
    await admin.connect();
    let moved: number;
    try {
      // The new worker needs the database and the extension; citus_add_node copies the roles, the
      // vector extension and the reference table to it.
      const setup = new pg.Client({ connectionString: third.url() });
      await setup.connect();
      await setup.query(`CREATE DATABASE ${cluster.name}`);
      await setup.end();
      const onThird = new pg.Client({ connectionString: third.url(cluster.name) });
      await onThird.connect();
      await onThird.query('CREATE EXTENSION citus');
      await onThird.end();
      phase = 'rebalance';
      const started = Date.now();
      await admin.query(`SELECT citus_add_node('127.0.0.1', $1)`, [third.port]);
      // block_writes: a move copies a shard group while writes to it wait. The online mode (logical
      // replication) cannot apply rows to a table with forced RLS on PostgreSQL 15: its subscription
      // role is no superuser and RLS binds it ("cannot replicate into relation with row-level
      // security enabled"), so the move never catches up (docs/OPERATIONS.md, "Adding workers").
      const { rows } = await admin.query<{ job: string | null }>(`SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes') AS job`);
      expect(rows[0]!.job).not.toBeNull();
      // Polled rather than citus_job_wait: a stuck job fails the test with its state, not a timeout.
      for (let last = ''; ; await sleep(1000)) {
        const status = await admin.query<{ state: string; details: unknown }>(`SELECT state::text, details FROM citus_rebalance_status()`);
        const { state, details } = status.rows[0]!;
        const seen = `${state} ${JSON.stringify((details as { task_state_counts?: unknown }).task_state_counts)}`;
        if (seen !== last) print(`rebalance: ${seen}`);
        last = seen;
        if (state === 'finished') break;
        if (state !== 'running' && state !== 'scheduled') throw new Error(`rebalance ${state}: ${JSON.stringify(details)}`);
        if (Date.now() - started > 150_000) {
          for (const n of cluster.nodes) print(`node ${n.port} log:\n${n.log().split('\n').slice(-15).join('\n')}`);
          throw new Error(`rebalance still ${seen} after 150 s: ${JSON.stringify(details)}`);
        }
      }
      print(`rebalance job ${rows[0]!.job} finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      phase = 'after';
      await sleep(1500);
      const placements = await admin.query<{ port: number; shards: number }>(
        `SELECT nodeport AS port, count(*)::int AS shards FROM citus_shards WHERE citus_table_type = 'distributed' GROUP BY 1 ORDER BY 1`,
      );
      print(`shard placements per worker: ${placements.rows.map((r) => `${r.port}: ${r.shards}`).join(', ')}`);
      moved = placements.rows.find((r) => r.port === third.port)?.shards ?? 0;
      expect(placements.rows).toHaveLength(3);
    } finally {
      await admin.end();
    }
    const outcomes = await load.stop();
    expect(moved).toBeGreaterThan(0);

    const writes = outcomes.filter((o) => o.op === 'write');
    const reads = outcomes.filter((o) => o.op === 'read');
    const acknowledged = writes.filter((o) => o.memoryId).map((o) => o.memoryId!);
    const stored = await storedIds(t, acknowledged);
    for (const p of ['before', 'rebalance', 'after']) {
      const during = outcomes.filter((o) => o.phase === p);
      print(`${p}: writes ${byStatus(during.filter((o) => o.op === 'write'))}; reads ${byStatus(during.filter((o) => o.op === 'read'))}`);
    }
    print(`acknowledged writes ${acknowledged.length}, stored ${stored.size}, lost ${acknowledged.length - stored.size}; reads ${reads.length}, failed ${reads.filter((o) => o.status !== 200).length}`);
    expect(writes.filter((o) => o.phase === 'rebalance').length).toBeGreaterThan(0);
    expect(acknowledged.length - stored.size).toBe(0);
    expect(reads.filter((o) => o.status !== 200)).toEqual([]);
    expect(writes.filter((o) => o.status >= 300)).toEqual([]);

    // Every user's memories read back through the service after the move, each only its own.
    for (const user of users) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/memory?limit=100', headers: { authorization: `Bearer ${await t.token(user)}` } });
      expect(res.statusCode).toBe(200);
      const mine = acknowledged.filter((id) => outcomes.some((o) => o.memoryId === id && o.user === user));
      const listed = new Set((res.json().memories as { memory_id: string }[]).map((m) => m.memory_id));
      for (const id of mine) expect(listed.has(id), `${user} ${id}`).toBe(true);
    }
  }, 240_000);

  it('after the moves the maintenance role is refused on the moved shards (no column grants), and the service\'s maintenance runner puts them back itself', async () => {
    const owner = new pg.Client({ connectionString: t.databaseUrl });
    await owner.connect();
    try {
      const list = (q: Queryable) => tenantCatalog.keysNotOn(q, 99, '', 1000);
      // Citus creates a moved shard again with the table's grants and policies, not its column grants.
      await expect(maintenanceOnClient(owner)(list)).rejects.toThrow(/permission denied for table user_keys_\d+/);
      // The sweeper and engram keys go through withMaintenance: it copies the grants and goes on.
      const tenants = await withMaintenance(t.config.database, t.db, (m) => m(list));
      const { rows } = await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_keys`);
      expect(tenants.length).toBe(rows[0]!.n);
      expect(await maintenanceOnClient(owner)(list)).toEqual(tenants);
    } finally {
      await owner.end();
    }
  });
});
