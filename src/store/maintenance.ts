import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import type { Database, Queryable } from './database.js';

export const MAINTENANCE_ROLE = 'engram_maintenance';

/**
 * Runs fn in one short transaction as engram_maintenance (see the 1764100000000 migration): it may
 * list tenants and count their key and chunk versions across RLS, and read nothing else. Used to
 * find work; the work itself runs per tenant in Database.withTenant as engram_app.
 */
export type Maintenance = <T>(fn: (q: Queryable) => Promise<T>) => Promise<T>;

/** On the owner's own client (PostgreSQL). One transaction at a time on it. */
export function maintenanceOnClient(client: pg.Client): Maintenance {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: (q: Queryable) => Promise<T>) => {
    const run = queue.then(async () => {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL ROLE ${MAINTENANCE_ROLE}`);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
    queue = run.catch(() => {});
    return run;
  };
}

/** On PGlite: its one connection is the owner; the transaction takes its turn with the app's. */
export function maintenanceOnPGlite(pglite: PGlite): Maintenance {
  return (fn) =>
    pglite.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${MAINTENANCE_ROLE}`);
      return fn(tx);
    });
}

export function pgliteOf(db: Database): PGlite | undefined {
  return db.kind === 'pglite' ? (db as Database & { pglite: PGlite }).pglite : undefined;
}
