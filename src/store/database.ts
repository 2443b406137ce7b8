/**
 * The narrow database surface the domain needs. Two implementations share every SQL statement and
 * migration: PostgreSQL (pg pool, postgres.ts) and embedded PGlite (pglite.ts).
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs fn in one transaction as the app role with `app.user_hash` set for that transaction only
   * (set_config(..., true)), so a pooled connection never carries a tenant into its next use.
   */
  withTenant<T>(userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const APP_ROLE = 'engram_app';

