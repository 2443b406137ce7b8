import { createHash } from 'node:crypto';
import pg from 'pg';
import { APP_ROLE, isRlsViolation, type Database, type DatabaseObserver, type Queryable, type Topology } from './database.js';
import { isConnectionFailure, toUnavailable } from './pg-errors.js';
import { tenantScripts } from './tenant-context.js';

/** Every wait on PostgreSQL is bounded (config: DATABASE_*_TIMEOUT_MS). */
export interface PostgresTimeouts {
  /** Opening a connection, and waiting for a free one when the pool is exhausted. */
  connectMs: number;
  /** Server-side `statement_timeout`; the client also gives up on a silent socket a little later. */
  statementMs: number;
  /** Server-side `idle_in_transaction_session_timeout`: a stuck transaction cannot hold locks forever. */
  idleInTransactionMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = { connectMs: 5000, statementMs: 30_000, idleInTransactionMs: 60_000 };

/**
 * The client as the domain sees it: plain queries, and prepared statements named after what they are
 * and a digest of their text (pg refuses one name for two texts on a connection; it parses each name
 * once per connection and the server keeps it until the connection closes). Behind a transaction-mode
 * pooler the server connection changes under the client, so there are no named statements at all:
 * queryPrepared falls back to a plain (unnamed) query.
 */
function tenantQueryable(client: pg.PoolClient, pooler: Pooler): Queryable {
  // pg's own signatures (rows typed QueryResultRow) are wider than Queryable's; the client is one.
  const plain: Queryable = client;
  if (pooler === 'transaction') return { query: (sql, params) => plain.query(sql, params) };
  const byConfig = client as unknown as { query<R>(config: pg.QueryConfig): Promise<{ rows: R[] }> };
  return {
    query: (sql, params) => plain.query(sql, params),
    prepared: (name, sql, params) =>
      byConfig.query({ name: `engram_${name}_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`, text: sql, values: params }),
  };
}

/**
 * What sits between the pool and PostgreSQL (config: DATABASE_POOLER). 'none': a session is a client's
 * own (a direct connection, or a session-mode pool), so the timeouts are startup parameters and the
 * vector and keyword statements are named prepared statements. 'transaction': a transaction-mode pooler
 * (PgBouncer pool_mode=transaction) hands each transaction whichever server connection is free, so
 * nothing may outlive a transaction: no startup parameters but application_name (PgBouncer refuses
 * the others), no named prepared statements, and the timeouts set with SET LOCAL in each transaction.
 */
export type Pooler = 'none' | 'transaction';

/** The timeouts as the first statements of a transaction (a transaction-mode pooler's sessions are shared). */
function transactionTimeouts(t: PostgresTimeouts): string {
  const ms = (n: number) => `'${Math.trunc(n)}ms'`;
  return `SET LOCAL statement_timeout = ${ms(t.statementMs)}; SET LOCAL idle_in_transaction_session_timeout = ${ms(t.idleInTransactionMs)}`;
}

/** How much longer than statement_timeout the client waits on a socket that says nothing (a dead peer). */
const CLIENT_GRACE_MS = 5000;

export interface PostgresOptions {
  url: string;
  poolMax: number;
  timeouts?: PostgresTimeouts;
  /** Default 'none'. */
  pooler?: Pooler;
  observer?: DatabaseObserver;
}

/**
 * Connects to PostgreSQL. The pool's login may be the app role itself or a role that can SET ROLE to it.
 * A server restart, failover or terminated backend never crashes the process: broken connections are
 * dropped from the pool, the failing request gets DATABASE_UNAVAILABLE (503), and the pool reconnects
 * on demand.
 */
export async function openPostgres(opts: PostgresOptions): Promise<Database & { pool: pg.Pool }> {
  const timeouts = opts.timeouts ?? DEFAULT_POSTGRES_TIMEOUTS;
  const pooler = opts.pooler ?? 'none';
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax,
    application_name: 'engram',
    connectionTimeoutMillis: timeouts.connectMs,
    ...(pooler === 'none' && {
      statement_timeout: timeouts.statementMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    }),
    query_timeout: timeouts.statementMs + CLIENT_GRACE_MS,
    keepAlive: true,
  });
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  // And no client's error ever goes unheard, from its first connection on: pg can emit one between the
  // pool handing a client out and withTenant's listener below (a FATAL read in the same packet as the
  // handshake's ReadyForQuery). Such a client is not queryable; its first query fails and it is released
  // as broken.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });

  async function checkout(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (err) {
      throw toUnavailable(err) ?? err;
    }
  }

  let topology: Topology = 'single';
  // On Citus the coordinator's wait for a worker connection is bounded like ours for the coordinator
  // (citus.node_connection_timeout defaults to 30 s: a worker lost to the network would hold requests).
  const citusTimeout = () => (topology === 'citus' ? `SET LOCAL citus.node_connection_timeout = ${Math.trunc(timeouts.connectMs)}; ` : '');
  // BEGIN, (the timeouts,) the tenant: one round trip on one server, two on Citus (tenant-context.ts).
  const begin = (userHash: string) => {
    const [first, ...rest] = tenantScripts(userHash, topology);
    const timeoutsFirst = pooler === 'none' ? '' : `${transactionTimeouts(timeouts)}; `;
    return [`BEGIN; ${timeoutsFirst}${citusTimeout()}${first}`, ...rest];
  };

  async function withTenant<T>(userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await checkout();
    // pg emits 'error' on a checked-out client whose connection ends between two queries (a terminated
    // backend, a restart); without a listener that is an uncaught exception. Held for the whole checkout.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      for (const script of begin(userHash)) await client.query(script);
      const result = await fn(tenantQueryable(client, pooler));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isConnectionFailure(err)) broken ??= err as Error;
      // A dead connection has no transaction to roll back; the server already did.
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      if (isRlsViolation(err)) opts.observer?.rlsBlocked();
      throw toUnavailable(err) ?? err;
    } finally {
      // Released as broken, the pool destroys the client instead of handing it out again. The pool's
      // own idle listener takes over on release, so removing ours leaves no gap.
      client.release(broken);
      client.off('error', onError);
    }
  }

  try {
    topology = await detectTopology(pool);
  } catch (err) {
    await pool.end();
    throw explainRefusedStartup(err);
  }

  return {
    kind: 'postgres',
    topology,
    pool,
    withTenant,
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async ping() {
      try {
        await pool.query('SELECT 1');
      } catch (err) {
        throw toUnavailable(err) ?? err;
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * PgBouncer refuses a connection whose startup packet carries a setting it does not track (here
 * statement_timeout): say what that means and what to set, rather than only "unsupported startup
 * parameter".
 */
function explainRefusedStartup(err: unknown): unknown {
  const message = (err as { message?: unknown } | undefined)?.message;
  if (typeof message !== 'string' || !/unsupported startup parameter/i.test(message)) return err;
  return new Error(
    `DATABASE_URL refused the connection (${message}): it leads to a connection pooler such as PgBouncer, which ` +
      'accepts no session settings. Set DATABASE_POOLER=transaction (docs/OPERATIONS.md, "Connection poolers: PgBouncer")',
    { cause: err },
  );
}

/** A database with the citus extension is a Citus coordinator: its tenant tables are distributed. */
export async function detectTopology(db: Queryable): Promise<Topology> {
  const { rows } = await db.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
  return rows[0]?.citus ? 'citus' : 'single';
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
export async function connectOwner(url: string, connectTimeoutMs = DEFAULT_POSTGRES_TIMEOUTS.connectMs): Promise<pg.Client> {
  // No statement_timeout here: building an index over existing rows may legitimately take long.
  const client = new pg.Client({ connectionString: url, application_name: 'engram-migrate', connectionTimeoutMillis: connectTimeoutMs });
  await client.connect();
  return client;
}
