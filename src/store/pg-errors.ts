import { Errors, type AppError } from '../errors/app-error.js';

/** Socket-level failures: the server is down, restarting, unreachable, or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that mean "this connection or server is unusable right now", not "this statement is wrong":
 * class 08 (connection exception), 57P01 admin_shutdown (pg_terminate_backend, fast shutdown),
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, in recovery), 53300 too_many_connections,
 * 25P03 idle_in_transaction_session_timeout (the server ended the session).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '25P03']);

/** What node-postgres says when a connection ends, cannot be made in time, or was already broken. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /is not queryable$/,
];

/**
 * Citus reports a worker lost in the middle of a transaction as an internal error (XX000), not a
 * connection exception: the COMMIT (or PREPARE) it could not deliver, or the worker connection's own
 * libpq failure, which carries no SQLSTATE of its own. Seen on Citus 12.1 with a worker stopped
 * between two statements of a transaction (test/integration/citus-outage.test.ts).
 */
const CITUS_LOST_WORKER = [
  /^could not commit transaction for shard \d+ on at least one active node/,
  /^failed to prepare transaction '.*' on host /,
  /^failure on connection marked as essential: /,
  /^execution cannot recover from multiple connection failures/,
  /^SSL SYSCALL error: /,
  /^server closed the connection unexpectedly/,
  /^could not (receive|send) data (from|to) server/,
  /^no connection to the server/,
  /^connection not open/,
];
const INTERNAL_ERROR = 'XX000';

/** 57014 query_canceled: statement_timeout hit (or a cancel). The connection stays usable. */
const STATEMENT_TIMEOUT = '57014';

/** True when err means the connection (or the server) failed, as opposed to the statement. */
export function isConnectionFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code === INTERNAL_ERROR) return CITUS_LOST_WORKER.some((re) => re.test(message));
  return DRIVER_MESSAGES.some((re) => re.test(message));
}

/**
 * A database failure a client should retry (503 DATABASE_UNAVAILABLE with Retry-After), or undefined
 * when err is something else (a bug, a constraint, RLS) that keeps its own handling.
 */
export function toUnavailable(err: unknown): AppError | undefined {
  if (isConnectionFailure(err)) return Errors.databaseUnavailable('the database is unavailable; retry shortly', err);
  if ((err as { code?: unknown } | undefined)?.code === STATEMENT_TIMEOUT) {
    return Errors.databaseUnavailable('the database did not answer in time; retry shortly', err);
  }
  return undefined;
}
