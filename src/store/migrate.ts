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
  const dbClient = {
    query: async (sql: string, params?: unknown[]) => {
      if (client.exec && (!params || params.length === 0)) {
        const results = (await client.exec(sql)) as { rows: unknown[] }[];
        return results.at(-1) ?? { rows: [] };
      }
      return client.query(sql, params);
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
    logger: { debug: () => {}, info: () => {}, warn: log, error: log },
  });
  const names = applied.map((m) => m.name);
  for (const name of names) log(`applied migration ${name}`);
  return names;
}
