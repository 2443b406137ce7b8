// The real app on a bench database, as `engram serve` builds it (migrations, roles check, routes), with
// the bench's embedder; the Database handle stays ours so that the bench can call the store directly
// (vectorSearch for the recall of the index stage).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { signToken } from '../../src/auth/token-verifier.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createUserHasher, type UserHasher } from '../../src/crypto/user-hash.js';
import type { Database } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/open.js';
import type { BenchEmbedder } from './bench-embedder.js';

export interface ScaleApp {
  app: FastifyInstance;
  db: Database;
  config: Config;
  hashUser: UserHasher;
  /** An HS256 token for `subject` (read and write), valid for at least half an hour more. */
  token(subject: string): Promise<string>;
  /** POST `url` as `subject` through app.inject; the parsed body, or an error for an unexpected status. */
  post<T>(url: string, subject: string, payload: object, expect: number): Promise<T>;
  close(): Promise<void>;
}

/** Bench secrets, derived from the seed: throwaway values, never a deployment's. */
const secret = (seed: number, what: string) => createHash('sha256').update(`engram-bench-scale:${seed}:${what}`).digest();

export async function startScaleApp(
  url: string,
  embedder: BenchEmbedder,
  opts: { seed: number; poolMax: number; env?: Record<string, string> },
): Promise<ScaleApp> {
  const jwtSecret = secret(opts.seed, 'jwt').toString('base64url');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    JWT_SECRET: jwtSecret,
    ENGRAM_KEK: `1:${secret(opts.seed, 'kek').toString('base64')}`,
    ENGRAM_HASH_KEY: secret(opts.seed, 'hash').toString('base64'),
    RATE_LIMIT_DISABLED: '1',
    DATABASE_URL: url,
    DATABASE_POOL_MAX: String(opts.poolMax),
    // The HNSW build and exact scans of the largest users are not what the service's bound is for.
    DATABASE_STATEMENT_TIMEOUT_MS: '600000',
    ...opts.env,
  };
  const config = loadConfig(env);
  const db = await openDatabase(config.database, {
    migrate: true,
    embedding: { model: embedder.model, dimensions: embedder.dimensions },
    strictRoles: false,
    log: () => {},
    warn: () => {},
  });
  let app: FastifyInstance;
  try {
    app = await buildApp(config, { embedder, db });
  } catch (err) {
    await db.close();
    throw err;
  }
  // Signed once per subject and renewed after half its life: a query's time holds no signing.
  const tokens = new Map<string, { token: string; at: number }>();
  const token = async (subject: string) => {
    const have = tokens.get(subject);
    if (have && Date.now() - have.at < 1_800_000) return have.token;
    const fresh = await signToken({ secret: jwtSecret, subject, scopes: ['memory:read', 'memory:write'], ttlSeconds: 3600 });
    tokens.set(subject, { token: fresh, at: Date.now() });
    return fresh;
  };
  return {
    app,
    db,
    config,
    hashUser: createUserHasher(config.keys.hashKey),
    token,
    async post<T>(path: string, subject: string, payload: object, expect: number): Promise<T> {
      const bearer = await token(subject);
      const res = await app.inject({
        method: 'POST',
        url: path,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        payload,
      });
      if (res.statusCode !== expect) throw new Error(`${path}: HTTP ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res.json() as T;
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
