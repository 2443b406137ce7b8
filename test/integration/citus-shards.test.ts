import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { TENANT_TABLES, type Database, type Queryable } from '../../src/store/database.js';
import { lifecycleRepository } from '../../src/store/lifecycle-repository.js';
import { tenantScripts } from '../../src/store/tenant-context.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend, citusWorkers, withDatabase, workerUrl } from '../helpers/database.js';

/**
 * Issue 16, Citus: every statement a tenant's request sends runs on one shard, that tenant's, and a
 * tenant cannot reach another tenant's rows on a worker even with statements of its own.
 *
 * The app runs on a database wrapper that records every statement of every tenant transaction. Each
 * route is called, and each recorded statement that reads or writes a tenant table is EXPLAINed as
 * the app role in a tenant transaction: the plan must be one Citus task, on the worker that holds the
 * user's shards, reading only the user's shards (each relation in the worker's plan is the shard of
 * its table that holds the user_hash).
 */
interface Recorded {
  userHash: string;
  sql: string;
  params: unknown[];
}

function recording(db: Database, log: Recorded[]): Database {
  const wrap = (tx: Queryable, userHash: string): Queryable => ({
    query: (sql, params) => {
      log.push({ userHash, sql, params: params ?? [] });
      return tx.query(sql, params);
    },
    ...(tx.prepared && {
      prepared: (name, sql, params) => {
        log.push({ userHash, sql, params });
        return tx.prepared!(name, sql, params);
      },
    }),
  });
  return { ...db, withTenant: (userHash, fn) => db.withTenant(userHash, (tx) => fn(wrap(tx, userHash))) };
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

/** Every node of a plan tree, depth first. */
function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

const TENANT_TABLE = new RegExp(`\\b(${TENANT_TABLES.join('|')})\\b`);

describe.runIf(backend() === 'citus')('Citus: one shard per statement, and no way to another tenant on a worker', () => {
  let t: TestApp;
  const log: Recorded[] = [];
  const hash = { alice: '', bob: '' };
  let shardOf: (table: string, userHash: string) => Promise<{ shard: string; port: number }>;

  beforeAll(async () => {
    t = await createTestApp({
      // A low exact-search bound: alice's queries take the HNSW path too.
      env: { VECTOR_SEARCH_EXACT_BELOW: '4', EXPIRY_SWEEP_INTERVAL_MS: '0' },
      wrapDatabase: (db) => recording(db, log),
    });
    const hasher = createUserHasher(t.config.keys.hashKey);
    hash.alice = hasher('alice');
    hash.bob = hasher('bob');
    shardOf = async (table, userHash) => {
      const { rows } = await t.owner.query<{ shard: string; port: number }>(
        `SELECT shard_name AS shard, nodeport AS port
           FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column($1::regclass, $2::text)`,
        [table, userHash],
      );
      return rows[0]!;
    };
  });

  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  const call = async (user: 'alice' | 'bob', method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await t.app.inject({
      method,
      url: `/api/v1/memory${url}`,
      headers: { authorization: `Bearer ${await t.token(user)}` },
      ...(payload && { payload }),
    });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };

  /** EXPLAINs every recorded statement since `from` that touches a tenant table; returns how many. */
  async function expectOneShardEach(from: number): Promise<number> {
    const statements = log.slice(from).filter((r) => TENANT_TABLE.test(r.sql));
    expect(statements.length).toBeGreaterThan(0);
    const owner = new pg.Client({ connectionString: t.databaseUrl });
    await owner.connect();
    // What the coordinator sends to the workers, as it says with citus.log_remote_commands.
    const remote: { command: string; server: string }[] = [];
    owner.on('notice', (n) => {
      if (n.message?.startsWith('issuing ')) remote.push({ command: n.message, server: n.detail ?? '' });
    });
    try {
      for (const s of statements) {
        const where = `${s.sql.replace(/\s+/g, ' ').slice(0, 160)}…`;
        await owner.query('BEGIN');
        for (const script of tenantScripts(s.userHash, 'citus')) await owner.query(script);
        await owner.query('SET LOCAL citus.log_remote_commands = on');
        remote.length = 0;
        let plan: PlanNode;
        try {
          const { rows } = await owner.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${s.sql}`, s.params);
          plan = rows[0]!['QUERY PLAN'][0]!.Plan;
        } finally {
          await owner.query('ROLLBACK');
        }
        const citus = nodes(plan).filter((n) => String(n['Custom Plan Provider'] ?? '').startsWith('Citus'));
        expect(citus, `one distributed scan: ${where}`).toHaveLength(1);
        const job = (citus[0]!['Distributed Query'] as { Job: { 'Task Count': number } }).Job;
        expect(job['Task Count'], `one task: ${where}`).toBe(1);
        // The worker's EXPLAIN names the shards it reads or writes: each must be the user's own.
        const explained = remote.filter((r) => r.command.startsWith('issuing EXPLAIN'));
        expect(explained, where).toHaveLength(1);
        const shards = [...explained[0]!.command.matchAll(/public\.(\w+?_\d+)\b/g)].map((m) => m[1]!);
        expect(shards.length, where).toBeGreaterThan(0);
        for (const shard of new Set(shards)) {
          const table = shard.replace(/_\d+$/, '');
          const expected = await shardOf(table, s.userHash);
          expect(shard, `${where}: the user's own shard of ${table}`).toBe(expected.shard);
          for (const r of remote) expect(r.server, where).toContain(`:${expected.port} `);
        }
      }
    } finally {
      await owner.end();
    }
    return statements.length;
  }

  it('index, batch index and entity extraction: one shard per statement', async () => {
    const from = log.length;
    const texts = [
      'Alice adopted a beagle named Rex in March.',
      'Alice works as a nurse at the Lisbon hospital with Maria Santos.',
      'Alice is learning the cello on Sundays.',
      'Rex is afraid of thunder and hides under the bed.',
    ];
    for (const text of texts) await call('alice', 'POST', '/index', { text, source: 'chat', metadata: { topic: 'life' } });
    await call('alice', 'POST', '/index/batch', { items: [{ text: 'Alice visited Porto in May.' }, { text: 'Alice prefers green tea.' }] });
    await call('alice', 'POST', '/entities', { text: 'Alice met Maria Santos in Lisbon.', persist: true });
    await call('bob', 'POST', '/index', { text: 'Bob keeps a grey cat called Whiskers.' });
    const n = await expectOneShardEach(from);
    process.stdout.write(`[citus one-shard] index: ${n} statements, each one task on the user's shard\n`);
  });

  it('query (exact and HNSW paths, with filters and reranking): one shard per statement', async () => {
    const from = log.length;
    await call('alice', 'POST', '/query', { query: 'what pet does she have?', k: 3 });
    await call('alice', 'POST', '/query', { query: 'music lessons', k: 2, filters: { source: 'chat', metadata: { topic: 'life' } } });
    await call('bob', 'POST', '/query', { query: 'cat', k: 1 });
    await call('alice', 'POST', '/summarize', { query: 'pets', style: 'bullets' });
    expect(log.slice(from).some((r) => r.sql.includes('hnsw.ef_search'))).toBe(true); // the HNSW path ran
    const n = await expectOneShardEach(from);
    process.stdout.write(`[citus one-shard] query: ${n} statements\n`);
  });

  it('update, get, list, export, delete and the expiry sweep: one shard per statement', async () => {
    const list = (await call('alice', 'GET', '/?limit=10')).json().memories as { memory_id: string }[];
    const [first, second] = list;
    const from = log.length;
    await call('alice', 'PATCH', `/${first!.memory_id}`, { text: 'Alice adopted a beagle named Rex in April.', metadata: { topic: 'pets' } });
    await call('alice', 'PATCH', `/${first!.memory_id}`, { ttl_seconds: 3600 });
    await call('alice', 'GET', `/${first!.memory_id}`);
    await call('alice', 'GET', '/?limit=2');
    await call('alice', 'GET', '/export');
    await call('alice', 'DELETE', `/${second!.memory_id}`);
    await t.db.withTenant(hash.alice, (tx) => lifecycleRepository.deleteExpired(tx, hash.alice, 10));
    const n = await expectOneShardEach(from);
    process.stdout.write(`[citus one-shard] update/read/delete: ${n} statements\n`);
  });

  it('erase: one shard per statement, and the other tenant keeps everything', async () => {
    const from = log.length;
    await call('alice', 'DELETE', '/?user_id=alice');
    await expectOneShardEach(from);
    const bob = (await call('bob', 'GET', '/')).json().memories as unknown[];
    expect(bob).toHaveLength(1);
  });

  it('on a worker, the app role with another tenant set reads and writes none of the shard\'s other rows', async () => {
    await call('alice', 'POST', '/index', { text: 'Alice keeps her passport in the blue drawer.' });
    const database = new URL(t.databaseUrl!).pathname.slice(1);
    const { shard, port } = await shardOf('memories', hash.alice);
    const chunks = await shardOf('memory_chunks', hash.alice);
    const keys = await shardOf('user_keys', hash.alice);
    const worker = citusWorkers().find((w) => w.port === port)!;
    // As the superuser: alice's rows are there.
    const admin = new pg.Client({ connectionString: withDatabase(workerUrl(worker), database) });
    await admin.connect();
    const direct = new URL(withDatabase(workerUrl(worker), database));
    direct.username = 'engram_app';
    const attacker = new pg.Client({ connectionString: direct.toString() });
    await attacker.connect();
    try {
      const stored = await admin.query(`SELECT id FROM ${shard} WHERE user_hash = $1`, [hash.alice]);
      expect(stored.rows.length).toBe(1);
      const victim = stored.rows[0]!.id as string;
      for (const tenant of [hash.bob, '', 'f'.repeat(64)]) {
        await attacker.query('BEGIN');
        try {
          if (tenant) await attacker.query(`SET LOCAL app.user_hash = '${tenant}'`);
          for (const sql of [
            `SELECT * FROM ${shard} WHERE user_hash = $1`,
            `SELECT * FROM ${chunks.shard} WHERE user_hash = $1`,
            `SELECT * FROM ${keys.shard} WHERE user_hash = $1`,
            `UPDATE ${shard} SET source = 'stolen' WHERE user_hash = $1 RETURNING id`,
            `DELETE FROM ${chunks.shard} WHERE user_hash = $1 RETURNING id`,
            `DELETE FROM ${keys.shard} WHERE user_hash = $1 RETURNING user_hash`,
          ]) {
            expect((await attacker.query(sql, [hash.alice])).rows, `${sql} as ${tenant || 'no tenant'}`).toEqual([]);
          }
          // The worker's own copy of the table (metadata is synced to workers) routes to the same shard.
          expect((await attacker.query(`SELECT * FROM memories WHERE user_hash = $1`, [hash.alice])).rows).toEqual([]);
        } finally {
          await attacker.query('ROLLBACK');
        }
      }
      // Writing a row into alice's shard as bob, or moving bob's own row to alice: refused on the shard.
      await attacker.query('BEGIN');
      await attacker.query(`SET LOCAL app.user_hash = '${hash.bob}'`);
      await expect(
        attacker.query(`INSERT INTO ${shard} (id, user_hash, text_ciphertext, chunk_count) VALUES ($1, $2, '\\x00', 1)`, [randomUUID(), hash.alice]),
      ).rejects.toThrow(/row-level security/);
      await attacker.query('ROLLBACK');
      await attacker.query('BEGIN');
      await attacker.query(`SET LOCAL app.user_hash = '${hash.bob}'`);
      await expect(attacker.query(`ALTER TABLE ${shard} NO FORCE ROW LEVEL SECURITY`)).rejects.toThrow(/must be owner/);
      await attacker.query('ROLLBACK');
      const after = await admin.query(`SELECT id, source FROM ${shard} WHERE user_hash = $1`, [hash.alice]);
      expect(after.rows).toEqual([{ id: victim, source: null }]);
    } finally {
      await attacker.end();
      await admin.end();
    }
  });
});
