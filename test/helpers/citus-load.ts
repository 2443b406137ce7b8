import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import type { TestApp } from './app.js';
import { randomBytes } from 'node:crypto';
import { adminUrl, dropCitusDatabase, makeCitusDatabase, withDatabase } from './database.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

/** One request of a load loop, as the client saw it. */
export interface Outcome {
  user: string;
  op: 'write' | 'read';
  status: number;
  code?: string;
  retryAfter?: string;
  memoryId?: string;
  /** The test's phase when the request was sent, and when its answer came. */
  phase: string;
  endPhase: string;
}

export interface Load {
  /** Stops the loops after their current request; resolves with every outcome. */
  stop(): Promise<Outcome[]>;
  outcomes: Outcome[];
}

/**
 * A mixed load on the real app (in process): `writers` loops index a new memory for the next user,
 * `readers` loops query or list the next user's memories; each outcome is tagged with the phase the
 * test is in when the request starts.
 */
export function startLoad(opts: {
  app: FastifyInstance;
  users: string[];
  token: (user: string) => Promise<string>;
  writers: number;
  readers: number;
  phase: () => string;
}): Load {
  const outcomes: Outcome[] = [];
  let stopped = false;
  let n = 0;
  const request = async (user: string, op: Outcome['op'], inject: InjectOptions) => {
    const phase = opts.phase();
    const res = await opts.app.inject(inject);
    const body = String(res.headers['content-type'] ?? '').includes('json') ? res.json() : {};
    outcomes.push({
      user,
      op,
      status: res.statusCode,
      code: body.code,
      retryAfter: res.headers['retry-after']?.toString(),
      memoryId: op === 'write' && res.statusCode < 300 ? body.memory_id : undefined,
      phase,
      endPhase: opts.phase(),
    });
  };
  const loop = async (op: Outcome['op'], offset: number) => {
    for (let i = offset; !stopped; i += 7) {
      const user = opts.users[i % opts.users.length]!;
      const headers = { authorization: `Bearer ${await opts.token(user)}` };
      if (op === 'write') {
        const text = `Load note ${n++} for ${user}: written while the cluster changes.`;
        await request(user, op, { method: 'POST', url: '/api/v1/memory/index', headers, payload: { text } });
      } else if (i % 2 === 0) {
        await request(user, op, { method: 'POST', url: '/api/v1/memory/query', headers, payload: { query: 'what was written?', k: 3 } });
      } else {
        await request(user, op, { method: 'GET', url: '/api/v1/memory?limit=5', headers });
      }
    }
  };
  const loops = [
    ...Array.from({ length: opts.writers }, (_, w) => loop('write', w)),
    ...Array.from({ length: opts.readers }, (_, r) => loop('read', r + 3)),
  ];
  return {
    outcomes,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** Which of `ids` are stored, read as the superuser on the coordinator (all shards). */
export async function storedIds(t: TestApp, ids: string[]): Promise<Set<string>> {
  const { rows } = await t.owner.query<{ id: string }>(`SELECT id FROM memories WHERE id = ANY($1::uuid[])`, [ids]);
  return new Set(rows.map((r) => r.id));
}

/** A Citus database on the shared coordinator with the given workers, and `shardCount` shards per table. */
export async function citusDatabase(name: string, workers: { host: string; port: number }[], shardCount: number) {
  const url = withDatabase(adminUrl('citus'), name);
  const admin = new pg.Client({ connectionString: adminUrl('citus') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(`ALTER DATABASE ${name} SET citus.shard_count = ${Math.trunc(shardCount)}`);
  } finally {
    await admin.end();
  }
  await makeCitusDatabase(name, workers);
  return url;
}

export interface PrivateCluster {
  /** The database (superuser URL on the shared coordinator). */
  name: string;
  url: string;
  /** Private servers: the database's workers first, then spares not added yet. */
  nodes: PrivatePostgres[];
  destroy(): Promise<void>;
}

/**
 * A test database on the shared coordinator whose workers are private servers (Citus nodes of the
 * test's own): stopping, filling or draining them touches no other test, and no other test's
 * transactions hold them up. `workers` of the `nodes` servers are added; the rest wait as spares.
 */
export async function privateCluster(prefix: string, opts: { nodes: number; workers: number; shardCount: number }): Promise<PrivateCluster> {
  const nodes = await Promise.all(Array.from({ length: opts.nodes }, () => startPrivatePostgres({ citus: true })));
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const destroy = async () => {
    await dropCitusDatabase(name, []).catch(() => {});
    await Promise.all(nodes.map((n) => n.destroy()));
  };
  try {
    const workers = nodes.slice(0, opts.workers).map((n) => ({ host: '127.0.0.1', port: n.port }));
    return { name, url: await citusDatabase(name, workers, opts.shardCount), nodes, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** Counts of outcomes by status, as "200×12 503×3". */
export function byStatus(outcomes: Outcome[]): string {
  const counts = new Map<number, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ') || 'none';
}
