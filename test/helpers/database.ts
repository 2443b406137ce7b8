import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The database the integration project runs on: embedded PGlite, one PostgreSQL server
 * (TEST_DATABASE_URL), or a Citus cluster: its coordinator (TEST_CITUS_URL) and workers
 * (TEST_CITUS_WORKERS), started by scripts/citus-cluster.sh.
 */
export type Backend = 'pglite' | 'postgres' | 'citus';

export function backend(): Backend {
  const value = process.env.ENGRAM_TEST_DB;
  if (value !== 'pglite' && value !== 'postgres' && value !== 'citus') {
    throw new Error('ENGRAM_TEST_DB must be pglite, postgres or citus');
  }
  return value;
}

/** A PostgreSQL server (one, or a Citus coordinator) rather than the embedded PGlite. */
export const onServer = () => backend() !== 'pglite';

/** Which server a database is made on: the project's (citus or postgres); PostgreSQL outside the tests (benches). */
export type Server = 'postgres' | 'citus';
const projectServer = (): Server => (process.env.ENGRAM_TEST_DB === 'citus' ? 'citus' : 'postgres');

export const adminUrl = (server: Server = projectServer()) =>
  server === 'citus'
    ? (process.env.TEST_CITUS_URL ?? 'postgres://postgres@127.0.0.1:9700/postgres')
    : (process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/** The Citus workers every test database gets (host:port, comma-separated). */
export function citusWorkers(): { host: string; port: number }[] {
  return (process.env.TEST_CITUS_WORKERS ?? '127.0.0.1:9701,127.0.0.1:9702').split(',').map((hp) => {
    const [host, port] = hp.trim().split(':');
    return { host: host!, port: Number(port) };
  });
}

/** A superuser URL of `database` on a worker (same login as the coordinator's admin URL). */
export function workerUrl(worker: { host: string; port: number }, database = 'postgres'): string {
  const u = new URL(adminUrl('citus'));
  u.hostname = worker.host;
  u.port = String(worker.port);
  u.pathname = `/${database}`;
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** fn with a client of its own on `url`, closed afterwards. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Makes `name` a Citus database: the extension on the coordinator and on every worker (each has its
 * own database of that name), the coordinator told where it is, the workers added. What an operator
 * does once (docs/OPERATIONS.md, "Citus"); `engram migrate` then distributes the tables.
 */
export async function makeCitusDatabase(name: string, workers = citusWorkers()): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      await withClient(workerUrl(w), (c) => c.query(`CREATE DATABASE ${name}`));
      await withClient(workerUrl(w, name), (c) => c.query('CREATE EXTENSION citus'));
    }),
  );
  // Adding a worker copies the roles to it, and roles are shared by every database of that server:
  // two test files adding the same worker at once collide there ("tuple concurrently updated"). One
  // at a time, by an advisory lock on the coordinator's postgres database.
  await withClient(adminUrl('citus'), async (lock) => {
    await lock.query(`SELECT pg_advisory_lock(hashtext('engram-test-citus-add-node'))`);
    await withClient(withDatabase(adminUrl('citus'), name), async (c) => {
      const coordinator = new URL(adminUrl('citus'));
      await c.query('CREATE EXTENSION citus');
      await c.query('SELECT citus_set_coordinator_host($1, $2)', [coordinator.hostname, Number(coordinator.port || 5432)]);
      for (const w of workers) await c.query('SELECT citus_add_node($1, $2)', [w.host, w.port]);
    });
  });
}

/** Drops `name` on the coordinator and on every worker. */
export async function dropCitusDatabase(name: string, workers = citusWorkers()): Promise<void> {
  await withClient(adminUrl('citus'), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await Promise.all(workers.map((w) => withClient(workerUrl(w), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))));
}

/**
 * A fresh database for one test file, dropped afterwards: on PostgreSQL, or on the Citus cluster (a
 * Citus database on every node). Fails loudly when the server is unreachable: a missing database is a
 * failure, never a skip.
 */
export async function createPostgresDatabase(
  prefix = 'engram_test',
  server: Server = projectServer(),
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl(server) });
  try {
    await admin.connect();
  } catch (err) {
    const which = server === 'citus' ? 'The Citus coordinator (TEST_CITUS_URL)' : 'PostgreSQL (TEST_DATABASE_URL)';
    throw new Error(`${which} is required here and is unreachable at ${adminUrl(server)}: ${String(err)}`);
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const citus = server === 'citus';
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    if (citus) return dropCitusDatabase(name);
    await withClient(adminUrl(server), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  if (citus) {
    try {
      await makeCitusDatabase(name);
    } catch (err) {
      await drop().catch(() => {});
      throw err;
    }
  }
  return { name, url: withDatabase(adminUrl(server), name), drop };
}

/**
 * Backends of the current database that wait on a lock, on the server or (Citus) on any node: a row
 * lock is taken on the worker that holds the row, while the coordinator's backend waits for it.
 */
export async function lockWaiters(q: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> }): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  const { rows } = await q.query<{ n: number }>(sql);
  let n = rows[0]!.n;
  if (backend() === 'citus') {
    const workers = await q.query<{ result: string }>(`SELECT result FROM run_command_on_workers($1)`, [sql]);
    n += workers.rows.reduce((sum, r) => sum + Number(r.result), 0);
  }
  return n;
}
