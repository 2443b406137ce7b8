import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { isAppError } from '../../src/errors/app-error.js';
import type { Database, Queryable } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/open.js';
import { openPostgres } from '../../src/store/postgres.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { adminUrl, backend, onServer, withClient } from '../helpers/database.js';
import { startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';

/** Figures for the report: printed, never asserted on as speed. */
const printFigures = (line: string) => process.stdout.write(`${line}\n`);
type User = 'alice' | 'bob';
const USERS: User[] = ['alice', 'bob'];
const POOLED = { DATABASE_POOLER: 'transaction', RATE_LIMIT_DISABLED: 'true' };
/** One tenant's memories (naming user_hash: on Citus a statement reaches one shard). */
const COUNT = 'SELECT count(*)::int AS n FROM memories WHERE user_hash = $1';

/** Every tenant transaction first notes which server backend ran it, in the order they ran. */
function recordBackends(seen: { tenant: string; pid: number }[]) {
  return (db: Database): Database => ({
    ...db,
    withTenant: (tenant, fn) =>
      db.withTenant(tenant, async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        seen.push({ tenant, pid: rows[0]!.pid });
        return fn(tx);
      }),
  });
}

/**
 * Holds the first `n` tenant transactions until `n` are waiting (or a second has passed), then lets
 * them start together: each takes its own client connection from the pool, as under real load, and
 * not one connection reused turn by turn (which a slow, busy machine would otherwise give).
 */
function gathered(db: Database, n: number): Database {
  const waiting: (() => void)[] = [];
  let open = false;
  const release = () => {
    open = true;
    waiting.splice(0).forEach((go) => go());
  };
  return {
    ...db,
    withTenant: async (tenant, fn) => {
      if (!open) {
        await new Promise<void>((go) => {
          waiting.push(go);
          if (waiting.length >= n) release();
          else setTimeout(release, 1000).unref();
        });
      }
      return db.withTenant(tenant, fn);
    },
  };
}

/**
 * Engram behind Debian's PgBouncer (1.18) in transaction mode, one server connection per database:
 * every client transaction, whoever sent it, runs on that one PostgreSQL session. Only what was set
 * with SET LOCAL is gone when the next one starts.
 */
describe.skipIf(!onServer())(`PgBouncer, transaction mode, one server connection (${backend()})`, () => {
  let bouncer: PgBouncer;
  let t: TestApp;
  const seen: { tenant: string; pid: number }[] = [];
  const tokens = {} as Record<User, string>;

  const as = (user: User) => ({ authorization: `Bearer ${tokens[user]}` });
  const post = (user: User, url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: as(user), payload });
  const get = (user: User, url: string) => t.app.inject({ method: 'GET', url, headers: as(user) });
  const pooledUrl = () => bouncer.through(t.databaseUrl!);
  const databaseName = () => new URL(t.databaseUrl!).pathname.slice(1);

  /** The service as `engram serve` builds it, over the test database (migrated already) through `url`. */
  async function serviceThrough(url: string, pooler: 'none' | 'transaction') {
    if (t.config.database.kind !== 'postgres') throw new Error('PostgreSQL only');
    const logs: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const config: Config = { ...t.config, migrateOnStart: false, database: { ...t.config.database, url, poolMax: 4, pooler } };
    const embedder = testEmbedder();
    const db = await openDatabase(config.database, {
      migrate: false,
      embedding: { model: embedder.model, dimensions: embedder.dimensions },
      strictRoles: false,
      log: () => {},
      warn: (m) => logs.push(m),
    });
    try {
      const app = await buildApp(config, { embedder, db: gathered(db, 4), logLevel: 'info', logStream });
      const close = async () => {
        await app.close();
        await db.close();
      };
      return { app, logs, close };
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  beforeAll(async () => {
    bouncer = await startPgBouncer({ server: adminUrl() });
    t = await createTestApp({ env: { ...POOLED, DATABASE_POOL_MAX: '4' }, serviceUrl: bouncer.through, wrapDatabase: recordBackends(seen) });
    for (const user of USERS) tokens[user] = await t.token(user);
  });

  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await closeTestEmbedder();
  });

  it('two tenants interleaved on one server connection: every response holds only its own user\'s rows', async () => {
    const ids: Record<User, string[]> = { alice: [], bob: [] };
    const index = async (user: User, i: number) => {
      const res = await post(user, '/api/v1/memory/index', { user_id: user, text: `${user} wrote note ${i}: ${user} keeps a garden of tomatoes.`, metadata: { owner: user } });
      expect(res.statusCode, res.body).toBe(201);
      ids[user].push(res.json().memory_id);
    };
    const query = async (user: User) => {
      const res = await post(user, '/api/v1/memory/query', { user_id: user, query: 'who keeps a garden of tomatoes?', k: 50 });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().results as { memory_id: string; text: string; metadata: { owner: string } }[];
    };
    const list = async (user: User) => {
      const res = await get(user, '/api/v1/memory?limit=100');
      expect(res.statusCode, res.body).toBe(200);
      return res.json().memories as { memory_id: string; text: string }[];
    };
    // All of its own rows and nothing else: a transaction run under another tenant's setting would show
    // that tenant's rows or, as every statement also names its user_hash, none of its own.
    const mine = (user: User, rows: { text: string; metadata?: { owner: string } }[]) =>
      rows.every((r) => r.text.startsWith(`${user} wrote`) && (r.metadata === undefined || r.metadata.owner === user));
    const complete = (user: User, rows: { memory_id: string; text: string }[], must: string[]) =>
      mine(user, rows) && must.every((id) => rows.some((r) => r.memory_id === id));
    const shown = (rows: { text: string }[]) => rows.map((r) => r.text).join(' | ');

    await Promise.all([0, 1, 2].flatMap((i) => USERS.map((u) => index(u, i))));
    const before = { alice: [...ids.alice], bob: [...ids.bob] };
    seen.length = 0;
    // Writes, searches and lists of both users at once, alternating.
    const answers = await Promise.all(
      [3, 4, 5, 6].flatMap((i) =>
        USERS.flatMap((u) => [index(u, i).then(() => undefined), query(u).then((rows) => ({ u, rows })), list(u).then((rows) => ({ u, rows }))]),
      ),
    );
    for (const a of answers) if (a) expect(complete(a.u, a.rows, before[a.u]), `${a.u} saw ${shown(a.rows)}`).toBe(true);
    // Then reads alone (no embedding between them): Engram's connections queue for the one server connection.
    const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => USERS[i % 2]!).map((u) => list(u).then((rows) => ({ u, rows }))));
    for (const r of reads) expect(r.rows.map((m) => m.memory_id).sort(), `${r.u} saw ${shown(r.rows)}`).toEqual([...ids[r.u]].sort());
    for (const user of USERS) expect(complete(user, await query(user), ids[user])).toBe(true);

    // Both tenants' transactions ran, in turns, on one and the same PostgreSQL backend ...
    const pids = new Set(seen.map((s) => s.pid));
    const turns = seen.filter((s, i) => i > 0 && s.tenant !== seen[i - 1]!.tenant).length;
    expect(pids.size).toBe(1);
    expect(new Set(seen.map((s) => s.tenant)).size).toBe(2);
    expect(turns).toBeGreaterThanOrEqual(4);
    // ... the pooler's one server connection, shared by several of Engram's client connections.
    const servers = (await bouncer.admin<{ database: string; remote_pid: string }>('SHOW SERVERS')).filter((s) => s.database === databaseName());
    expect(servers.map((s) => Number(s.remote_pid))).toEqual([...pids]);
    const clients = (await bouncer.admin<{ database: string }>('SHOW CLIENTS')).filter((c) => c.database === databaseName());
    expect(clients.length).toBeGreaterThan(1);
    printFigures(`[pgbouncer] ${seen.length} tenant transactions, ${turns} changes of tenant, ${clients.length} Engram connections, 1 server backend`);
  });

  it('the next client on that server connection finds no tenant, no role and no timeout left over', async () => {
    const hash = createUserHasher(t.config.keys.hashKey);
    await post('alice', '/api/v1/memory/index', { user_id: 'alice', text: 'alice wrote a note for the attack test.' });
    const outcomes = {
      committed: (tx: Queryable) => tx.query<{ n: number }>(COUNT, [hash('alice')]),
      'rolled back': async (tx: Queryable) => {
        await tx.query(COUNT, [hash('alice')]);
        throw new Error('the request failed halfway');
      },
    };
    for (const [how, fn] of Object.entries(outcomes)) {
      const seenBefore = seen.length;
      const result = await t.db.withTenant(hash('alice'), fn).catch((e: unknown) => e);
      if (how === 'committed') expect((result as { rows: { n: number }[] }).rows[0]!.n).toBeGreaterThan(0);
      const enginePid = seen[seenBefore]!.pid;

      const left = await withClient(pooledUrl(), async (c) => {
        const session = await c.query<{ pid: number; role: string; tenant: string | null; statement: string; idle: string }>(
          `SELECT pg_backend_pid() AS pid, current_user AS role, current_setting('app.user_hash', true) AS tenant,
                  current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`,
        );
        // As the app role, with no tenant named: RLS shows nothing (alice's rows are there, see above).
        await c.query('BEGIN; SET LOCAL ROLE engram_app');
        const visible = await c.query<{ n: number }>(COUNT, [hash('alice')]);
        await c.query('COMMIT');
        return { ...session.rows[0]!, visible: visible.rows[0]!.n };
      });
      expect(left, how).toEqual({ pid: enginePid, role: 'postgres', tenant: left.tenant === null ? null : '', statement: '0', idle: '0', visible: 0 });
    }
  });

  it('index, query, update, get and delete work, and the server connection holds no named prepared statement', async () => {
    const created = await post('bob', '/api/v1/memory/index', { user_id: 'bob', text: 'bob repairs vintage motorcycles in his shed.' });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().memory_id as string;
    for (let i = 0; i < 3; i++) {
      const found = await post('bob', '/api/v1/memory/query', { user_id: 'bob', query: 'motorcycle repair', k: 3 });
      expect(found.statusCode, found.body).toBe(200);
      expect(found.json().results[0].memory_id).toBe(id);
    }
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/memory/${id}`, headers: as('bob'), payload: { text: 'bob restores old sailing boats.' } });
    expect(patched.statusCode, patched.body).toBe(200);
    const after = await post('bob', '/api/v1/memory/query', { user_id: 'bob', query: 'sailing boats', k: 1 });
    expect(after.json().results[0]).toMatchObject({ memory_id: id, text: 'bob restores old sailing boats.' });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/memory/${id}`, headers: as('bob') })).statusCode).toBe(204);
    expect((await get('bob', `/api/v1/memory/${id}`)).statusCode).toBe(404);

    const statements = await withClient(pooledUrl(), (c) => c.query<{ name: string }>('SELECT name FROM pg_prepared_statements'));
    expect(statements.rows).toEqual([]);
  });

  it('statement_timeout and idle_in_transaction_session_timeout still end stuck work, per transaction', async () => {
    const timeouts = { connectMs: 5000, statementMs: 200, idleInTransactionMs: 300 };
    const bounded = await openPostgres({ url: pooledUrl(), poolMax: 1, pooler: 'transaction', timeouts });
    try {
      const slow = await bounded.withTenant('', (tx) => tx.query('SELECT pg_sleep(2)')).catch((e: unknown) => e);
      expect(isAppError(slow) && slow.code).toBe('DATABASE_UNAVAILABLE');
      expect(isAppError(slow) && slow.retryAfter).toBeGreaterThan(0);
      const idle = await bounded
        .withTenant('', async (tx) => {
          await new Promise((r) => setTimeout(r, 1000)); // a transaction left open, e.g. by a stuck caller
          return tx.query('SELECT 1');
        })
        .catch((e: unknown) => e);
      expect(isAppError(idle) && idle.code).toBe('DATABASE_UNAVAILABLE');
      // The pooler's server connection was ended by the server; the next transaction gets a new one.
      await expect(bounded.withTenant('', (tx) => tx.query('SELECT 1'))).resolves.toBeDefined();
    } finally {
      await bounded.close();
    }
  });

  it('without DATABASE_POOLER=transaction: refused at start-up, or (timeouts ignored by the pooler) named prepared statements collide', async () => {
    const refused = await serviceThrough(pooledUrl(), 'none').catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/unsupported startup parameter: statement_timeout.*Set DATABASE_POOLER=transaction/);

    // Each user has a memory, so that a query runs the (named) vector and keyword statements.
    for (const u of USERS) expect((await post(u, '/api/v1/memory/index', { user_id: u, text: `${u} waters a small garden.` })).statusCode).toBe(201);

    // A pooler told to drop the timeouts lets Engram in: then it warns, and its named prepared
    // statements meet each other on the shared server connection (42P05, a 500 for the request).
    const lax = await startPgBouncer({ server: adminUrl(), ignoreStartupParameters: ['statement_timeout', 'idle_in_transaction_session_timeout'] });
    try {
      for (const pooler of ['none', 'transaction'] as const) {
        // The server connection outlives the service's client connections: start each run without names.
        await withClient(lax.through(t.databaseUrl!), (c) => c.query('DEALLOCATE ALL'));
        const { app, logs, close } = await serviceThrough(lax.through(t.databaseUrl!), pooler);
        try {
          const statuses: number[] = [];
          for (let round = 0; round < 3 && !statuses.includes(500); round++) {
            const burst = Array.from({ length: 16 }, (_, i) => USERS[i % 2]!).map((u) =>
              app.inject({ method: 'POST', url: '/api/v1/memory/query', headers: as(u), payload: { user_id: u, query: 'a garden' } }),
            );
            statuses.push(...(await Promise.all(burst)).map((r) => r.statusCode));
          }
          const named = await withClient(lax.through(t.databaseUrl!), (c) => c.query<{ name: string }>('SELECT name FROM pg_prepared_statements'));
          const collisions = logs.filter((l) => l.includes('"code":"42P05"'));
          const warned = logs.some((l) => l.includes('statement_timeout = 0 ms, not the 30000 ms asked for'));
          if (pooler === 'none') {
            expect(warned).toBe(true);
            expect(statuses).toContain(500);
            expect(collisions.length).toBeGreaterThan(0);
            expect(named.rows.some((r) => r.name.startsWith('engram_'))).toBe(true);
          } else {
            expect(warned).toBe(false);
            expect(statuses.every((s) => s === 200)).toBe(true);
            expect(collisions).toEqual([]);
            expect(named.rows).toEqual([]);
          }
        } finally {
          await close();
        }
      }
    } finally {
      await lax.stop();
    }
  });
});
