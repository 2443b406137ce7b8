import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { isRlsViolation, type Database, type DatabaseObserver, type Queryable } from './database.js';
import { tenantScripts } from './tenant-context.js';

const BYTEA = 17;
/**
 * bytea in and out through Buffer's hex codec. PGlite's own converters go byte by byte (parseInt of
 * each pair, an array of strings joined): 81 ciphertexts of a query took about 4.6 ms to parse, more
 * than the statement itself (docs/BENCHMARKS.md, "Query speed"). Reads return a Buffer, as pg does.
 */
const BYTEA_PARSERS = { [BYTEA]: (value: string) => Buffer.from(value.slice(2), 'hex') };
const BYTEA_SERIALIZERS = {
  [BYTEA]: (value: unknown) => {
    if (!(value instanceof Uint8Array)) throw new TypeError('bytea parameters must be a Uint8Array');
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  },
};

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
    pglite = await PGlite.create({ dataDir, extensions: { vector }, parsers: BYTEA_PARSERS, serializers: BYTEA_SERIALIZERS });
  } catch (err) {
    await lock?.release();
    throw err;
  }

  return {
    kind: 'pglite',
    topology: 'single',
    pglite,
    async withTenant<T>(userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await pglite.transaction(async (tx) => {
          for (const script of tenantScripts(userHash, 'single')) await tx.exec(script);
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
