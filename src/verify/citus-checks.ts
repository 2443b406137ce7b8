import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { describeCluster } from '../store/citus.js';
import { TENANT_TABLES, type Queryable } from '../store/database.js';
import { keywordRepository } from '../store/keyword-repository.js';
import { memoryRepository } from '../store/memory-repository.js';
import { detectTopology } from '../store/postgres.js';
import { tenantScripts } from '../store/tenant-context.js';
import { updateRepository } from '../store/update-repository.js';
import { vectorCandidates } from '../store/vector-search.js';
import { check, expectThat, type CheckResult } from './check.js';

/** A statement as a repository sends it, captured instead of run. */
type Captured = { sql: string; params: unknown[] };

/** A Queryable that records what it is asked and answers with no rows. */
function recorder(into: Captured[]): Queryable {
  return {
    query: async <R>(sql: string, params: unknown[] = []) => {
      into.push({ sql, params });
      return { rows: [] as R[] };
    },
  };
}

/**
 * The main statements of the service, exactly as the repositories write them, for a user that has no
 * rows: a query's vector and keyword statements, an index, an update, a delete and an erase.
 * (A repository that needs rows back to go on stops after its first statement: that one is kept.)
 */
async function mainStatements(userHash: string, dimensions: number): Promise<Record<string, Captured[]>> {
  const id = randomUUID();
  const embedding = Array.from({ length: dimensions }, (_, i) => (i === 0 ? 1 : 0));
  const capture = async (fn: (q: Queryable) => Promise<unknown>) => {
    const into: Captured[] = [];
    await fn(recorder(into)).catch(() => {});
    return into;
  };
  return {
    'query (vector)': await capture((q) => vectorCandidates(q, { userHash, embedding, dimensions, k: 10, filters: {}, neighbourSpan: 2 })),
    'query (keyword)': await capture((q) => keywordRepository.search(q, userHash, ['1', '2'], 30, {})),
    index: await capture((q) =>
      memoryRepository.insert(q, userHash, { id, source: null, metadata: {}, textCiphertext: Buffer.alloc(1), chunkCount: 1 }, [], 'verify'),
    ),
    update: await capture((q) => updateRepository.update(q, userHash, id, { source: null, metadata: {}, expiresAt: null })),
    delete: await capture((q) => memoryRepository.delete(q, userHash, id)),
    erase: await capture((q) => memoryRepository.deleteAll(q, userHash)),
  };
}

/** How many Citus tasks (shards) the plan of `s` has, explained as the app role in a tenant transaction. */
async function taskCount(client: pg.Client, userHash: string, s: Captured): Promise<number> {
  await client.query('BEGIN');
  for (const script of tenantScripts(userHash, 'citus')) await client.query(script);
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }>(`EXPLAIN (FORMAT JSON) ${s.sql}`, s.params);
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    const counts = [...plan.matchAll(/"Task Count":(\d+)/g)].map((m) => Number(m[1]));
    return counts.length === 0 ? 0 : counts.reduce((a, b) => a + b, 0);
  } finally {
    await client.query('ROLLBACK');
  }
}

/**
 * The database's topology: on one PostgreSQL server, that; on a Citus coordinator, the cluster (nodes
 * and their shards), every tenant table distributed by user_hash in one co-location group, and the
 * router plan of each main statement (one task: one shard).
 */
export async function topologyChecks(client: pg.Client): Promise<CheckResult[]> {
  if ((await detectTopology(client)) !== 'citus') {
    return [await check('4A', 'topology', async () => 'one PostgreSQL server (no citus extension in this database)')];
  }
  return [
    await check('4A', 'citus-cluster', async () => {
      const cluster = await describeCluster(client);
      const workers = cluster.nodes.filter((n) => n.role === 'primary' && !n.coordinator);
      const down = cluster.nodes.filter((n) => !n.active);
      expectThat(down.length === 0, `inactive nodes: ${down.map((n) => `${n.host}:${n.port}`).join(', ')}`);
      const tables = new Map(cluster.tables.map((t) => [t.table, t]));
      const notDistributed = TENANT_TABLES.filter((t) => tables.get(t)?.method !== 'h');
      expectThat(notDistributed.length === 0, `not distributed by user_hash: ${notDistributed.join(', ')} (run engram migrate)`);
      const groups = new Set(TENANT_TABLES.map((t) => tables.get(t)!.colocation));
      expectThat(groups.size === 1, 'the tenant tables are not co-located (one co-location group)');
      expectThat(tables.get('engram_embedding_space')?.method === 'n', 'engram_embedding_space is not a reference table');
      expectThat(workers.length > 0, 'the coordinator has no workers');
      const placed = workers.map((n) => `${n.host}:${n.port} (${n.shards} shard placements)`).join(', ');
      return `${cluster.nodes.length} nodes; ${TENANT_TABLES.length} tables distributed by user_hash, co-located, ${tables.get('memories')!.shards} shards each; workers ${placed}`;
    }),
    await check('4A', 'citus-router-plans', async () => {
      const space = await client.query<{ dimensions: number }>(`SELECT dimensions FROM engram_embedding_space`);
      const dimensions = space.rows[0]?.dimensions;
      expectThat(dimensions, 'no embedding space yet (run engram migrate)');
      const userHash = '0'.repeat(64);
      const seen: string[] = [];
      for (const [name, statements] of Object.entries(await mainStatements(userHash, dimensions))) {
        expectThat(statements.length > 0, `${name}: no statement captured`);
        for (const s of statements) {
          const tasks = await taskCount(client, userHash, s);
          expectThat(tasks === 1, `${name}: a statement runs ${tasks} tasks, not 1: ${s.sql.replace(/\s+/g, ' ').slice(0, 120)}`);
        }
        seen.push(`${name} ${statements.length}`);
      }
      return `one shard per statement (EXPLAIN, 1 task each): ${seen.join(', ')}`;
    }),
  ];
}
