/**
 * The narrow database surface the domain needs. Two implementations share every SQL statement and
 * migration: PostgreSQL (pg pool, postgres.ts) and embedded PGlite (pglite.ts).
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /**
   * The same, as a named prepared statement: parsed once per connection, and planned once when the
   * server's plan cache settles on a generic plan (after five runs, when that plan costs no more).
   * PostgreSQL only; see queryPrepared.
   */
  prepared?<R = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * For the statements on a query's critical path (the vector and keyword statements): a prepared
 * statement where the backend keeps them (PostgreSQL: about 0.8 ms of parsing and planning saved per
 * vector statement here, docs/BENCHMARKS.md), a plain query elsewhere (PGlite). `name` says what the
 * statement is; each distinct text gets its own prepared statement (filters change the text, so a
 * connection holds a handful per name).
 */
export function queryPrepared<R = Record<string, unknown>>(tx: Queryable, name: string, sql: string, params: unknown[]): Promise<{ rows: R[] }> {
  return tx.prepared ? tx.prepared<R>(name, sql, params) : tx.query<R>(sql, params);
}

/**
 * How the data is laid out, detected once when the database is opened (the domain never asks):
 * 'single' is one PostgreSQL server (or PGlite); 'citus' a Citus cluster where every tenant table is
 * distributed by user_hash (migrations/1765000000001_citus.sql), reached through its coordinator.
 */
export type Topology = 'single' | 'citus';

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly topology: Topology;
  /**
   * Runs fn in one transaction as the app role with `app.user_hash` set for that transaction only
   * (SET LOCAL, tenant-context.ts), so a pooled connection never carries a tenant into its next use.
   */
  withTenant<T>(userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Connections: in the pool, idle, and requests waiting for one (PGlite: one connection). */
  stats(): { total: number; idle: number; waiting: number };
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the store reports as it works (metrics). */
export interface DatabaseObserver {
  /** A statement was refused by a row-level security policy. */
  rlsBlocked(): void;
}

/** PostgreSQL's insufficient_privilege raised by an RLS policy (WITH CHECK, or row_security=off). */
export function isRlsViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === '42501' && /row-level security/i.test(e.message ?? '');
}

export const APP_ROLE = 'engram_app';
/** Tables holding tenant rows: each has user_hash, forced RLS and the four policies. */
export const TENANT_TABLES = [
  'user_keys',
  'memories',
  'memory_chunks',
  'entities',
  'entity_aliases',
  'entity_mentions',
  'entity_relationships',
  'keyword_docs',
  'keyword_postings',
  'memory_history',
] as const;

