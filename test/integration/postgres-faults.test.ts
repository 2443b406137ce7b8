import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/auth/token-verifier.js';
import { runCli, CLI, startServe, type ServeProcess } from '../helpers/cli.js';
import { backend } from '../helpers/database.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';

/** Figures for the report: printed, never asserted on as speed. */
const printFigures = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONNECT_TIMEOUT_MS = 2000;

interface Outcome {
  status: number;
  ms: number;
  memoryId?: string;
  code?: string;
  retryAfter?: string | null;
  phase: string;
}

/**
 * PostgreSQL restart and terminated backends under write load, on a private cluster (the shared
 * server is never touched). The real `engram serve` runs as a child process, so a crash shows as
 * the process exiting. Only the postgres project runs it: the embedded PGlite has no server to lose.
 */
describe.skipIf(backend() !== 'postgres')('PostgreSQL faults under write load (private cluster)', () => {
  let cluster: PrivatePostgres;
  let server: ServeProcess | undefined;
  const secret = randomBytes(32).toString('hex');

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE engram');
    await admin.end();
    const env = {
      ...process.env,
      DATABASE_URL: cluster.url('engram'),
      PORT: '0',
      LOG_LEVEL: 'info',
      EMBEDDING_THREADS: '1',
      RATE_LIMIT_DISABLED: 'true',
      DATABASE_POOL_MAX: '6',
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      JWT_SECRET: secret,
      ENGRAM_KEK: randomBytes(32).toString('base64'),
      ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
    };
    await runCli('node', [...CLI, 'migrate'], { env });
    server = await startServe(env);
  });

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await cluster?.destroy();
  });

  it('survives pg_terminate_backend and a restart: fast 503 + Retry-After meanwhile, the pool recovers, 0 acknowledged writes lost', async () => {
    const { url } = server!;
    const tokens = await Promise.all(
      [0, 1, 2, 3].map((i) => signToken({ secret, subject: `fault-user-${i}`, scopes: ['memory:write', 'memory:read'], ttlSeconds: 600 })),
    );
    const outcomes: Outcome[] = [];
    let phase = 'before';
    let stop = false;

    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const userId = `fault-user-${w % 4}`;
        const started = performance.now();
        const at = phase;
        try {
          const res = await fetch(`${url}/api/v1/memory/index`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens[w % 4]}`, 'content-type': 'application/json' },
            body: JSON.stringify({ user_id: userId, text: `Fault note ${w}-${i}: the user wrote this during ${at}.` }),
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await res.json()) as { memory_id?: string; code?: string };
          outcomes.push({
            status: res.status,
            ms: performance.now() - started,
            memoryId: body.memory_id,
            code: body.code,
            retryAfter: res.headers.get('retry-after'),
            phase: at,
          });
          if (res.status === 503) await sleep(100); // a client that honours the outage, a little
        } catch (err) {
          outcomes.push({ status: 0, ms: performance.now() - started, code: String(err), phase: at });
          await sleep(100);
        }
      }
    };

    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: cluster.url() });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    const terminate = () =>
      admin(`SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'engram') t`);

    // Readers keep more pooled connections busy at once (they need no embedding), so a terminate or a
    // restart hits connections checked out in the middle of a transaction.
    const reads: { status: number; code?: string; retryAfter: string | null }[] = [];
    const reader = async (r: number) => {
      while (!stop) {
        try {
          const res = await fetch(`${url}/api/v1/memory?user_id=fault-user-${r % 4}&limit=50`, {
            headers: { authorization: `Bearer ${tokens[r % 4]}` },
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await res.json()) as { code?: string };
          reads.push({ status: res.status, code: body.code, retryAfter: res.headers.get('retry-after') });
          if (res.status === 503) await sleep(100);
        } catch (err) {
          reads.push({ status: 0, code: String(err), retryAfter: null });
          await sleep(100);
        }
      }
    };
    const load = [...Array.from({ length: 8 }, (_, w) => worker(w)), ...Array.from({ length: 4 }, (_, r) => reader(r))];
    await sleep(2000);
    phase = 'terminate';
    const terminated: number[] = [];
    for (let round = 0; round < 4; round++) {
      terminated.push(((await terminate())[0] as { n: number }).n);
      await sleep(400);
    }
    // On failure: what the process said last, without the per-request lines.
    const lastWords = () =>
      server!
        .output()
        .split('\n')
        .filter((l) => !/"msg":"(request failed|incoming request|request completed)"/.test(l))
        .slice(-15)
        .join('\n');
    const alive = (when: string) => expect(server!.child.exitCode, `engram died ${when}:\n${lastWords()}`).toBeNull();
    alive('after pg_terminate_backend');
    phase = 'outage';
    await cluster.stop();
    alive('when PostgreSQL stopped');
    const readyDuringOutage = await fetch(`${url}/readyz`);
    await sleep(3000);
    await cluster.start();
    phase = 'after';
    await sleep(4000);
    stop = true;
    await Promise.all(load);

    // The process is alive and recovered without help.
    alive('during the outage or the restart');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const acknowledged = outcomes.filter((o) => o.status === 201);
    const unavailable = outcomes.filter((o) => o.status === 503);
    const other = outcomes.filter((o) => o.status !== 201 && o.status !== 503);
    const ids = acknowledged.map((o) => o.memoryId!);
    const owner = new pg.Client({ connectionString: cluster.url('engram') });
    await owner.connect();
    const found = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM memories WHERE id = ANY($1::uuid[])', [ids]);
    const total = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM memories');
    await owner.end();
    const stored = found.rows[0]!.n;
    const max503 = Math.max(0, ...unavailable.map((o) => o.ms));
    const sorted503 = unavailable.map((o) => o.ms).sort((a, b) => a - b);
    const p50 = sorted503[Math.floor(sorted503.length / 2)] ?? 0;
    const byPhase = (p: string) => outcomes.filter((o) => o.phase === p);
    printFigures(
      `[postgres-faults] requests=${outcomes.length} acknowledged(2xx)=${acknowledged.length} stored_of_acknowledged=${stored} ` +
        `lost=${acknowledged.length - stored} rows_total=${total.rows[0]!.n} 503=${unavailable.length} other=${other.length} ` +
        `p50_503_ms=${p50.toFixed(0)} max_503_ms=${max503.toFixed(0)} reads=${reads.length} reads_503=${reads.filter((r) => r.status === 503).length} ` +
        `backends_terminated=${terminated.join('+')} ` +
        `after_restart_2xx=${byPhase('after').filter((o) => o.status === 201).length}`,
    );

    expect(other).toEqual([]); // nothing but 201 or 503: no 500, no dropped connection
    expect(reads.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
    for (const r of reads.filter((x) => x.status === 503)) {
      expect(r.code).toBe('DATABASE_UNAVAILABLE');
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    expect(stored).toBe(acknowledged.length); // 0 acknowledged writes lost
    expect(terminated.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const o of unavailable) {
      expect(o.code).toBe('DATABASE_UNAVAILABLE');
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    // Bounded, not hanging: an outage answer never waits much past the connect timeout.
    expect(max503).toBeLessThan(CONNECT_TIMEOUT_MS + 8000);
    expect(readyDuringOutage.status).toBe(503);
    expect(byPhase('after').some((o) => o.status === 201)).toBe(true);
    expect(server!.output()).not.toMatch(/uncaught|Connection terminated unexpectedly\n\s+at/i);
  }, 120_000);
});
