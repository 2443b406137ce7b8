import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from './app.js';
import { backend } from './database.js';

/** Every regular file below dir. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : e.isFile() ? [path] : [];
  });
}

/** The files among `files` whose bytes contain `text` (UTF-8). */
export const containing = (files: string[], text: string) => {
  const needle = Buffer.from(text, 'utf8');
  return files.filter((f) => readFileSync(f).includes(needle));
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
  await t.owner.query('CHECKPOINT');
  const { rows } = await t.owner.query<{ dir: string; oid: number }>(
    `SELECT current_setting('data_directory') AS dir, oid FROM pg_database WHERE datname = current_database()`,
  );
  const { dir, oid } = rows[0]!;
  return [...filesUnder(join(dir, 'base', String(oid))), ...filesUnder(join(dir, 'pg_wal'))];
}
