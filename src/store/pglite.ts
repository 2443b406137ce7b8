import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { isRlsViolation, type Database, type DatabaseObserver, type Queryable } from './database.js';
import { enterTenant } from './tenant-context.js';

/**
 * Embedded PostgreSQL (WASM) with pgvector: the same schema, migrations and RLS as the server.
 * One connection; PGlite serialises transactions on it. `memory://` keeps it in memory only.
 * A directory on disk is locked for as long as it is open (data-dir-lock.ts).
 */
export async function openPGlite(
  dataDir = 'memory://',
  observer?: DatabaseObserver,
): Promise<Database & { pglite: PGlite }> {
  let lock: DataDirLock | undefined;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // One process per directory: two PGlite instances on one directory overwrite each other's writes.
    lock = await lockDataDir(dataDir);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({ dataDir, extensions: { vector } });
  } catch (err) {
    await lock?.release();
    throw err;
  }

  return {
    kind: 'pglite',
    pglite,
    async withTenant<T>(userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await pglite.transaction(async (tx) => {
          await enterTenant(tx, userHash);
          return fn(tx);
        });
      } catch (err) {
        if (isRlsViolation(err)) observer?.rlsBlocked();
        throw err;
      }
    },
    stats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async ping() {
      await pglite.query('SELECT 1');
    },
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}
