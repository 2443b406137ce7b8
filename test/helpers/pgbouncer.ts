import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './private-postgres.js';

const run = promisify(execFile);
/** Debian's package (scripts/install-pgbouncer.sh, run by scripts/prepare-tests.sh). */
export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** The PostgreSQL server every database name is forwarded to (a URL; only host and port are used). */
  server: string;
  poolMode?: 'session' | 'transaction';
  /** Server connections per database and user. */
  poolSize?: number;
  /** PgBouncer's ignore_startup_parameters (e.g. statement_timeout): accepted, and dropped. */
  ignoreStartupParameters?: string[];
}

export interface PgBouncer {
  port: number;
  /** `url` (a URL of the server) with host and port replaced by the pooler's: the same database and login. */
  through(url: string): string;
  /** A statement on the admin console (SHOW SERVERS, SHOW POOLS, ...): its rows. */
  admin<R = Record<string, unknown>>(command: string): Promise<R[]>;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of its own for one test file: a config in a temp dir, a free port on 127.0.0.1, trust
 * auth (the login is passed on to the server, which trusts it too), every database name forwarded to
 * `server`. Never the package's service on 6432. PgBouncer refuses to run as root: as root it is
 * started with `-u postgres`.
 */
export async function startPgBouncer(opts: PgBouncerOptions): Promise<PgBouncer> {
  if (!existsSync(PGBOUNCER_BIN)) {
    throw new Error(`PgBouncer is required here and ${PGBOUNCER_BIN} is missing: run bash scripts/prepare-tests.sh (or set PGBOUNCER_BIN)`);
  }
  const server = new URL(opts.server);
  const login = decodeURIComponent(server.username) || 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'engram-pgbouncer-'));
  const port = await freePort();
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    'admin_users = pgbouncer',
    `pool_mode = ${opts.poolMode ?? 'transaction'}`,
    `default_pool_size = ${opts.poolSize ?? 1}`,
    'max_client_conn = 200',
    ...(opts.ignoreStartupParameters?.length ? [`ignore_startup_parameters = ${opts.ignoreStartupParameters.join(',')}`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), `${ini}\n`);
  writeFileSync(join(dir, 'userlist.txt'), `"${login}" ""\n"pgbouncer" ""\n`);
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(join(dir, f), uid, gid);
  }

  const args = [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')];
  const child: ChildProcess = spawn(PGBOUNCER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test that times out or a worker that exits early never leaves a pgbouncer behind.
  const orphan = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphan);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pgbouncer did not start:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/process up/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pgbouncer exited with ${code}:\n${output}`));
    });
  });

  return {
    port,
    through(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async admin<R>(command: string) {
      // The admin console speaks the simple query protocol only: no parameters.
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'pgbouncer', database: 'pgbouncer' });
      await c.connect();
      try {
        return (await c.query(command)).rows as R[];
      } finally {
        await c.end();
      }
    },
    async stop() {
      process.off('exit', orphan);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // immediate shutdown: every client and server connection is closed
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
