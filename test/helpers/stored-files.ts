import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from './app.js';
import pg from 'pg';
import { backend, citusWorkers, withDatabase, workerUrl } from './database.js';

/** `read`, or `fallback` when the file or directory is gone: a server removes files (relation
 * cache, temporary files, recycled WAL) while a test walks its directory. */
function unlessGone<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

/** Every regular file below dir. */
export function filesUnder(dir: string): string[] {
  return unlessGone(() => readdirSync(dir, { withFileTypes: true }), []).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : e.isFile() ? [path] : [];
  });
}

/** The files among `files` whose bytes contain `text` (UTF-8). */
export const containing = (files: string[], text: string) => {
  const needle = Buffer.from(text, 'utf8');
  return files.filter((f) => unlessGone(() => readFileSync(f), Buffer.alloc(0)).includes(needle));
};

/**
 * The files that hold the test database once its writes are on disk: PGlite's data directory after
 * the app is closed (PGlite writes it out on close), or PostgreSQL's database directory and WAL
 * after a CHECKPOINT. The PGlite app must have been created with `pgliteDataDir: dataDir`.
 */
export async function storedFiles(t: TestApp, dataDir: string | undefined): Promise<string[]> {
  if (backend() === 'pglite') {
    await t.close();
    return filesUnder(dataDir!);
  }
  const files = await databaseFiles(t.owner);
  if (backend() !== 'citus') return files;
  // On Citus the tenant rows live in the workers' shards: their files too.
  const database = new URL(t.databaseUrl!).pathname.slice(1);
  for (const worker of citusWorkers()) {
    const c = new pg.Client({ connectionString: withDatabase(workerUrl(worker), database) });
    await c.connect();
    try {
      files.push(...(await databaseFiles(c)));
    } finally {
      await c.end();
    }
  }
  return files;
}

/** A server's files of the current database, and its WAL, after a CHECKPOINT. */
async function databaseFiles(q: TestApp['owner']): Promise<string[]> {
  await q.query('CHECKPOINT');
  const { rows } = await q.query<{ dir: string; oid: number }>(
    `SELECT current_setting('data_directory') AS dir, oid FROM pg_database WHERE datname = current_database()`,
  );
  const { dir, oid } = rows[0]!;
  return [...filesUnder(join(dir, 'base', String(oid))), ...filesUnder(join(dir, 'pg_wal'))];
}
