import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Queryable } from './database.js';

/** Migrations are plain SQL files, applied in order by node-pg-migrate with its advisory lock. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface MigrationClient extends Queryable {
  /** Runs a script that may hold several statements (the migration files). */
  exec?(sql: string): Promise<unknown>;
}

export async function migrate(client: MigrationClient, log: (msg: string) => void = () => {}): Promise<string[]> {
  // node-pg-migrate wants a connected pg ClientBase; it only calls query(). PGlite's query() takes one
  // statement at a time, so parameterless SQL (a whole migration file) goes through exec().
  // node-pg-migrate rethrows database errors as plain Errors with the stack in the message; keep the
  // original (with its SQLSTATE code) so callers can tell a missing privilege from a broken migration.
  // The first failure is kept: the runner's clean-up (unlocking) still succeeds after it.
  let databaseError: unknown;
  const dbClient = {
    query: async (sql: string, params?: unknown[]) => {
      try {
        if (client.exec && (!params || params.length === 0)) {
          const results = (await client.exec(sql)) as { rows: unknown[] }[];
          return results.at(-1) ?? { rows: [] };
        }
        return await client.query(sql, params);
      } catch (err) {
        databaseError ??= err;
        throw err;
      }
    },
  };
  const applied = await runner({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- structural subset of pg.ClientBase
    dbClient: dbClient as any,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'engram_migrations',
    checkOrder: true,
    log: () => {},
    // Errors are thrown to the caller, which says what to do about them; logging them here too
    // printed the same failure twice, with a stack trace, at info level.
    logger: { debug: () => {}, info: () => {}, warn: log, error: () => {} },
  }).catch((err: unknown) => {
    throw databaseError ?? err;
  });
  const names = applied.map((m) => m.name);
  for (const name of names) log(`applied migration ${name}`);
  return names;
}
