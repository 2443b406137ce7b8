// Shared helpers of the benchmarks in bench/: the real app on a throwaway database, the LoCoMo data,
// a bounded promise pool and latency percentiles. Benchmarks print figures; they never assert on speed.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOverrides } from '../src/app.js';
import { signToken } from '../src/auth/token-verifier.js';
import { loadConfig } from '../src/config/load.js';
import { createPostgresDatabase } from '../test/helpers/database.js';
import type { Config } from '../src/config/schema.js';

/** PGlite, one PostgreSQL server (TEST_DATABASE_URL), or the Citus cluster (TEST_CITUS_URL, scripts/citus-cluster.sh). */
export type Backend = 'pglite' | 'postgres' | 'citus';

export function parseBackend(value: string | undefined): Backend {
  if (value === undefined || value === 'pglite') return 'pglite';
  if (value === 'postgres' || value === 'citus') return value;
  throw new Error(`--backend must be pglite, postgres or citus (got ${value})`);
}

/** A positive integer option within [1, max]. */
export function intOption(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer in 1..${max} (got ${value})`);
  return n;
}

// ---------------------------------------------------------------------------------------------------
// The app on a throwaway database
// ---------------------------------------------------------------------------------------------------

const JWT_SECRET = randomBytes(48).toString('base64url');

export interface BenchApp {
  app: FastifyInstance;
  config: Config;
  backend: Backend;
  /** Milliseconds spent building the app (model load, database open and migrations). */
  startupMs: number;
  /** A real HS256 token for `subject` with read and write scopes. */
  token(subject: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Builds the real app as `engram serve` would, with explicit throwaway secrets: PGlite in memory, or
 * a fresh PostgreSQL database `engram_bench_<rand>` created from TEST_DATABASE_URL and dropped by close().
 * Only errors are logged. An interrupt (Ctrl-C) still drops the database.
 */
export async function startBenchApp(
  backend: Backend,
  extraEnv: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<BenchApp> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    JWT_SECRET,
    ENGRAM_KEK: `1:${randomBytes(32).toString('base64')}`,
    ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
    // Benchmarks measure the service, not its rate limits.
    RATE_LIMIT_DISABLED: '1',
    ...extraEnv,
  };
  let dropDatabase = async () => {};
  if (backend !== 'pglite') {
    const created = await createPostgresDatabase('engram_bench', backend);
    env.DATABASE_URL = created.url;
    dropDatabase = created.drop;
  } else {
    env.ENGRAM_DATA_DIR = 'memory://';
  }

  const onSignal = () => {
    console.error('interrupted: dropping the bench database');
    void dropDatabase().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);

  const config = loadConfig(env);
  let app: FastifyInstance;
  const t0 = process.hrtime.bigint();
  try {
    app = await buildApp(config, overrides);
  } catch (err) {
    process.removeListener('SIGINT', onSignal);
    await dropDatabase();
    throw err;
  }
  const startupMs = msSince(t0);
  let closed = false;
  return {
    app,
    config,
    backend,
    startupMs,
    token: (subject) =>
      signToken({ secret: JWT_SECRET, subject, scopes: ['memory:read', 'memory:write'], ttlSeconds: 3600 }),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await app.close();
      } finally {
        await dropDatabase();
        process.removeListener('SIGINT', onSignal);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// LoCoMo
// ---------------------------------------------------------------------------------------------------

export interface LocomoTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

export interface LocomoQa {
  question: string;
  answer?: unknown;
  evidence?: string[];
  category: number;
}

export interface LocomoSample {
  sample_id: string;
  conversation: Record<string, unknown>;
  qa: LocomoQa[];
}

export interface LocomoSession {
  session: number;
  date: string;
  turns: LocomoTurn[];
}

/** `../shared/data/locomo-dev.json` relative to the repository root (resolved from this file). */
export const DEFAULT_LOCOMO_PATH = fileURLToPath(new URL('../../shared/data/locomo-dev.json', import.meta.url));

export function loadLocomo(path: string = DEFAULT_LOCOMO_PATH): LocomoSample[] {
  if (!existsSync(path)) {
    throw new Error(
      `LoCoMo data not found at ${path}. The benchmarks expect ../shared/data/locomo-dev.json next to the ` +
        'repository (see ../shared/data/README.md), or pass --data <path>.',
    );
  }
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(data) || data.length === 0) throw new Error(`${path}: expected a non-empty JSON array of conversations`);
  for (const s of data as LocomoSample[]) {
    if (typeof s?.sample_id !== 'string' || typeof s.conversation !== 'object' || !Array.isArray(s.qa)) {
      throw new Error(`${path}: an item lacks sample_id, conversation or qa`);
    }
  }
  return data as LocomoSample[];
}

/** The sessions of a conversation in order: `session_N` turns with `session_N_date_time`. */
export function sessionsOf(sample: LocomoSample): LocomoSession[] {
  const sessions: LocomoSession[] = [];
  for (const [key, value] of Object.entries(sample.conversation)) {
    const m = /^session_(\d+)$/.exec(key);
    if (!m || !Array.isArray(value)) continue;
    const session = Number(m[1]);
    const date = sample.conversation[`session_${session}_date_time`];
    sessions.push({ session, date: typeof date === 'string' ? date : '', turns: value as LocomoTurn[] });
  }
  return sessions.sort((a, b) => a.session - b.session);
}

/** The memory text of one turn: `"<speaker>: <text>"`, plus the image caption when the turn has one. */
export function turnText(turn: LocomoTurn): string {
  const caption = turn.blip_caption?.trim();
  return caption ? `${turn.speaker}: ${turn.text} [image: ${caption}]` : `${turn.speaker}: ${turn.text}`;
}

// ---------------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------------

export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs `count` tasks with at most `concurrency` in flight; task i is `task(i)`. After a task throws no new
 * task starts; the pool waits for those in flight and then rethrows the first error.
 */
/**
 * A closed loop: `clients` callers, each calling `task` again as soon as its last call returned, until
 * `ms` have passed (a call under way then finishes). `task` gets a running number across all callers.
 * Returns the calls completed.
 */
export async function closedLoop(ms: number, clients: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  let done = 0;
  const deadline = Date.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        await task(next++);
        done++;
      }
    }),
  );
  return done;
}

export async function promisePool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < count && !failure) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure) throw failure.error;
}

/** Nearest-rank percentile of `values` (p in 0..100); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function latencySummary(values: readonly number[]) {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? values.reduce((a, b) => Math.max(a, b)) : Number.NaN,
  };
}
