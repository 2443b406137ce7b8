import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** A free TCP port on 127.0.0.1 (the kernel picks it; closed again before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  port: number;
  /** Superuser URL of a database on this cluster. */
  url(database?: string): string;
  /** fast: sessions ended, clean shut-down; immediate: as a crash (recovery at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  /** Stops the cluster (immediately) and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster of its own (initdb into a temp dir, its own port, trust auth), for
 * tests that stop and restart the server: the shared server on 5432 (and the shared Citus workers)
 * are never touched. With `citus`, a Citus node that a test database can add as a worker. Runs the
 * server binaries as the `postgres` OS user when this process is root (PostgreSQL refuses root).
 */
export async function startPrivatePostgres(options: { citus?: boolean } = {}): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(tmpdir(), 'engram-pgfault-'));
  const dataDir = join(root, 'data');
  const asPostgres = userInfo().uid === 0;
  if (asPostgres) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asPostgres ? run('runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]) : run(join(BIN, tool), args);

  const port = await freePort();
  await pg('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // As a Citus node (a worker of its own for fault and growth tests): the extension preloaded,
  // logical decoding for online shard moves, two-phase commit for multi-shard writes.
  const citus = options.citus
    ? ` -c shared_preload_libraries=citus -c wal_level=logical -c max_prepared_transactions=100 -c max_connections=200 -c max_worker_processes=32`
    : ' -c max_connections=50';
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1${citus}`;
  const ctl = (...args: string[]) => pg('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-w', '-t', '60', ...args]);
  const start = async () => {
    await ctl('-o', serverOptions, 'start');
  };
  const stop = async (mode = 'fast') => {
    await ctl('-m', mode, 'stop');
  };
  try {
    await start();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start a private PostgreSQL cluster with ${BIN}: ${String(err)}`);
  }
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop: (mode = 'fast') => stop(mode),
    log: () => {
      try {
        return readFileSync(join(root, 'server.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop('immediate').catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}
