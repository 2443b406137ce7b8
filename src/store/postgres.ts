import pg from 'pg';
import { APP_ROLE, isRlsViolation, type Database, type DatabaseObserver, type Queryable } from './database.js';
import { enterTenant } from './tenant-context.js';

export interface PostgresOptions {
  url: string;
  poolMax: number;
  observer?: DatabaseObserver;
}

/** Connects to PostgreSQL. The pool's login may be the app role itself or a role that can SET ROLE to it. */
export async function openPostgres(opts: PostgresOptions): Promise<Database & { pool: pg.Pool }> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolMax, application_name: 'engram' });
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', () => {});

  async function withTenant<T>(userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await enterTenant(client, userHash);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (isRlsViolation(err)) opts.observer?.rlsBlocked();
      throw err;
    } finally {
      client.release();
    }
  }

  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    throw err;
  }

  return {
    kind: 'postgres',
    pool,
    withTenant,
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

/** Describes who the pool logs in as and what the app role may do, for the start-up check. */
export async function describeRoles(db: Queryable): Promise<{ sessionUser: string; sessionSuper: boolean; appRoleSafe: boolean }> {
  const { rows } = await db.query<{ session_user: string; session_super: boolean; app_safe: boolean | null }>(
    `SELECT session_user AS session_user,
            (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user) AS session_super,
            (SELECT NOT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = $1) AS app_safe`,
    [APP_ROLE],
  );
  const row = rows[0]!;
  return { sessionUser: row.session_user, sessionSuper: row.session_super, appRoleSafe: row.app_safe === true };
}

/** A single owner connection for migrations; closed by the caller. */
export async function connectOwner(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'engram-migrate' });
  await client.connect();
  return client;
}
