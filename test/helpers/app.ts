import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { signToken } from '../../src/auth/token-verifier.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { createUseLiteEmbedder } from '../../src/embed/use-lite.js';
import pg from 'pg';
import type { Database, Queryable } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/open.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { openPGlite } from '../../src/store/pglite.js';
import { createPostgresDatabase, onServer } from './database.js';

export const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  /** Everything the app logged, as raw JSON lines. */
  logs: string[];
  token(subject: string, scopes?: string[], ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
  /** The database the app runs on (opened and migrated here, closed by close()). */
  db: Database;
  /** The schema owner (a superuser session): seeds, inspects and tampers, bypassing RLS. */
  owner: Queryable;
  /** For PostgreSQL: the test database's URL (owner login). */
  databaseUrl?: string;
}

let sharedEmbedder: Embedder | undefined;

/** One USE-lite model per test file (worker process), shared by every app the file builds. */
export function testEmbedder(): Embedder {
  sharedEmbedder ??= createUseLiteEmbedder({ threads: 1 });
  return sharedEmbedder;
}

export async function closeTestEmbedder() {
  await sharedEmbedder?.close();
  sharedEmbedder = undefined;
}

export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    JWT_SECRET,
    ENGRAM_KEK: `1:${randomBytes(32).toString('base64')}`,
    ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'trace',
    ...extra,
  };
}

/**
 * Builds the real app on the backend of the current vitest project: an in-memory (or given
 * data-dir) PGlite, or a fresh PostgreSQL database.
 */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    pgliteDataDir?: string;
    embedder?: Embedder;
    /** Wraps the database the app runs on (e.g. to record its statements); the wrapper is what `db` is. */
    wrapDatabase?: (db: Database) => Database;
    /** A server database the caller made (and drops): used instead of a fresh one. */
    databaseUrl?: string;
    /**
     * PostgreSQL: the DATABASE_URL the service connects with, given the test database's URL (e.g. through
     * a pooler). Migrations and `owner` stay on the database's own URL (DATABASE_OWNER_URL).
     */
    serviceUrl?: (databaseUrl: string) => string;
    /** Where the built console is (default dist/console). */
    consoleDir?: string;
  } = {},
): Promise<TestApp> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  let pgDb: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
  const env = testEnv(options.env);
  if (options.databaseUrl) {
    env.DATABASE_URL = options.databaseUrl;
    pgDb = { name: '', url: options.databaseUrl, drop: async () => {} };
  } else if (onServer()) {
    pgDb = await createPostgresDatabase();
    env.DATABASE_URL = options.serviceUrl ? options.serviceUrl(pgDb.url) : pgDb.url;
    if (options.serviceUrl) env.DATABASE_OWNER_URL = pgDb.url;
  } else {
    env.ENGRAM_DATA_DIR = options.pgliteDataDir ?? 'memory://';
  }
  try {
    return await assemble(env, logs, stream, pgDb, options.embedder, options.wrapDatabase, options.consoleDir);
  } catch (err) {
    await pgDb?.drop().catch(() => {}); // a failed start leaves no database behind
    throw err;
  }
}

async function assemble(
  env: Record<string, string>,
  logs: string[],
  stream: Writable,
  pgDb: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined,
  ownEmbedder: Embedder | undefined,
  wrapDatabase: ((db: Database) => Database) | undefined,
  consoleDir?: string,
): Promise<TestApp> {
  const config = loadConfig(env);
  // A caller's embedder (e.g. with other bounds) must make the same vectors as the shared one.
  const embedder = ownEmbedder ?? testEmbedder();
  await embedder.init();
  const metrics = createMetrics();
  const opened = await openDatabase(config.database, {
    migrate: true,
    embedding: { model: embedder.model, dimensions: embedder.dimensions },
    strictRoles: false,
    log: () => {},
    warn: () => {},
    observer: { rlsBlocked: () => metrics.rlsBlocks.inc() },
  });
  const db = wrapDatabase ? wrapDatabase(opened) : opened;
  let owner: Queryable;
  let closeOwner = async () => {};
  if (pgDb) {
    const client = new pg.Client({ connectionString: pgDb.url });
    await client.connect();
    owner = client;
    closeOwner = () => client.end();
  } else {
    owner = (opened as Awaited<ReturnType<typeof openPGlite>>).pglite;
  }
  const app = await buildApp(config, { embedder, db, metrics, logLevel: 'trace', logStream: stream, consoleDir });
  let closed = false;
  return {
    app,
    config,
    logs,
    db,
    owner,
    databaseUrl: pgDb?.url,
    token: (subject, scopes = ['memory:read', 'memory:write'], ttlSeconds = 600) =>
      signToken({ secret: JWT_SECRET, subject, scopes, ttlSeconds }),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await closeOwner();
      await db.close();
      await pgDb?.drop();
    },
  };
}
