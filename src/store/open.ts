import type { Config } from '../config/schema.js';
import { healingShardGrants, prepareTopology, prepareTopologyBeforeMigrations } from './citus.js';
import type { Database, DatabaseObserver, Queryable } from './database.js';
import { assertEmbeddingSpace, prepareEmbeddingSpace } from './embedding-space.js';
import { maintenanceOnClient, maintenanceOnPGlite, pgliteOf, type Maintenance } from './maintenance.js';
import { migrate, type MigrationClient } from './migrate.js';
import { connectOwner, DEFAULT_POSTGRES_TIMEOUTS, describeRoles, openPostgres } from './postgres.js';
import { openPGlite } from './pglite.js';

export interface EmbeddingSpace {
  model: string;
  dimensions: number;
}

export interface OpenDatabaseOptions {
  /** Apply migrations and prepare the embedding space as the owner before serving. */
  migrate: boolean;
  embedding: EmbeddingSpace;
  /** Refuse a superuser login instead of warning about it. */
  strictRoles: boolean;
  log: (message: string) => void;
  warn: (message: string) => void;
  observer?: DatabaseObserver;
}

type PostgresConfig = Extract<Config['database'], { kind: 'postgres' }>;
/** Timeouts and pooler may be left out (tests, tools): the defaults of postgres.ts apply. */
type DatabaseConfig =
  | Extract<Config['database'], { kind: 'pglite' }>
  | (Omit<PostgresConfig, 'timeouts' | 'pooler'> & Partial<Pick<PostgresConfig, 'timeouts' | 'pooler'>>);

async function prepareAsOwner(owner: MigrationClient, embedding: EmbeddingSpace, log: (m: string) => void) {
  await prepareTopologyBeforeMigrations(owner);
  await migrate(owner, log);
  await prepareEmbeddingSpace(owner, embedding.model, embedding.dimensions);
  await prepareTopology(owner);
}

/** `engram migrate`: migrations plus the embedding space, as the owner. */
export async function migrateDatabase(cfg: DatabaseConfig, embedding: EmbeddingSpace, log: (m: string) => void) {
  if (cfg.kind === 'pglite') {
    const db = await openPGlite(cfg.dataDir);
    try {
      await prepareAsOwner(db.pglite, embedding, log);
    } finally {
      await db.close();
    }
    return;
  }
  const owner = await connectOwner(cfg.ownerUrl, cfg.timeouts?.connectMs);
  try {
    await prepareAsOwner(owner, embedding, log);
  } finally {
    await owner.end();
  }
}

/** Opens the database the service runs on, checks the roles and the embedding space. */
export async function openDatabase(cfg: DatabaseConfig, opts: OpenDatabaseOptions): Promise<Database> {
  if (cfg.kind === 'pglite') {
    const db = await openPGlite(cfg.dataDir, opts.observer);
    try {
      if (opts.migrate) await prepareAsOwner(db.pglite, opts.embedding, opts.log);
      else await assertEmbeddingSpace(db.pglite, opts.embedding.model, opts.embedding.dimensions);
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }

  if (opts.migrate) {
    try {
      await migrateDatabase(cfg, opts.embedding, opts.log);
    } catch (err) {
      throw explainMigrationFailure(err, cfg);
    }
  }
  const db = await openPostgres({ url: cfg.url, poolMax: cfg.poolMax, timeouts: cfg.timeouts, pooler: cfg.pooler, observer: opts.observer });
  try {
    await checkRoles(db.pool, opts);
    await checkSessionTimeout(db.pool, cfg, opts);
    // As engram_app (a login granted it NOINHERIT has no rights of its own), with no tenant set.
    await db.withTenant('', (tx) => assertEmbeddingSpace(tx, opts.embedding.model, opts.embedding.dimensions));
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

async function checkRoles(db: Queryable, opts: OpenDatabaseOptions) {
  const roles = await describeRoles(db);
  if (!roles.appRoleSafe) {
    throw new Error('role engram_app is missing, a superuser, or bypasses RLS: run `engram migrate` and check the role');
  }
  if (roles.sessionSuper) {
    const message =
      `DATABASE_URL logs in as "${roles.sessionUser}", a superuser or BYPASSRLS role. Every query still runs as ` +
      'engram_app under RLS, but a login that can leave that role is a larger blast radius: log in as engram_app ' +
      '(or a role granted it) and keep the owner for DATABASE_OWNER_URL';
    if (opts.strictRoles) throw new Error(message);
    opts.warn(message);
  }
}

/**
 * With DATABASE_POOLER=none the statement timeout is a startup parameter. A pooler told to ignore it
 * (PgBouncer's ignore_startup_parameters) lets the connection through without it: no statement is
 * bounded, and behind a transaction-mode pool the named prepared statements fail under load. The
 * session then shows another statement_timeout than the one asked for (a startup parameter overrides
 * the role's and the database's settings): say so.
 */
async function checkSessionTimeout(db: Queryable, cfg: Extract<DatabaseConfig, { kind: 'postgres' }>, opts: OpenDatabaseOptions) {
  if ((cfg.pooler ?? 'none') !== 'none') return;
  const wanted = (cfg.timeouts ?? DEFAULT_POSTGRES_TIMEOUTS).statementMs;
  const { rows } = await db.query<{ ms: string }>(`SELECT setting AS ms FROM pg_settings WHERE name = 'statement_timeout'`);
  const actual = Number(rows[0]?.ms);
  if (actual === wanted) return;
  opts.warn(
    `DATABASE_URL's sessions have statement_timeout = ${actual} ms, not the ${wanted} ms asked for at connect: the startup ` +
      'parameters were dropped, probably by a connection pooler (PgBouncer ignore_startup_parameters). Behind a ' +
      'transaction-mode pooler set DATABASE_POOLER=transaction (docs/OPERATIONS.md, "Connection poolers: PgBouncer")',
  );
}

/**
 * A login that may not change the schema (the usual app login) fails the start-up migration with
 * "permission denied for schema public": say which login was used and the two ways out.
 */
function explainMigrationFailure(err: unknown, cfg: Extract<DatabaseConfig, { kind: 'postgres' }>): unknown {
  const e = err as { code?: string; message?: string };
  if (e?.code !== '42501') return err;
  const login = new URL(cfg.ownerUrl).username || '(default user)';
  const which = cfg.ownerUrl === cfg.url ? 'DATABASE_URL (DATABASE_OWNER_URL is unset)' : 'DATABASE_OWNER_URL';
  return new Error(
    `cannot apply migrations as "${login}" from ${which}: ${e.message}. MIGRATE_ON_START is on, so serve migrates first: ` +
      'set DATABASE_OWNER_URL to the schema owner\'s login, or run `engram migrate` once as the owner and start with MIGRATE_ON_START=false',
  );
}

/**
 * Runs fn with a maintenance runner for `db`: on PGlite its own connection, on PostgreSQL one
 * extra connection as the owner (DATABASE_OWNER_URL), closed afterwards.
 */
export async function withMaintenance<T>(cfg: DatabaseConfig, db: Database, fn: (m: Maintenance) => Promise<T>): Promise<T> {
  const pglite = pgliteOf(db);
  if (pglite) return fn(maintenanceOnPGlite(pglite));
  if (cfg.kind !== 'postgres') throw new Error('a PostgreSQL database needs a PostgreSQL configuration');
  const owner = await connectOwner(cfg.ownerUrl);
  try {
    const maintenance = maintenanceOnClient(owner);
    return await fn(db.topology === 'citus' ? healingShardGrants(maintenance, owner) : maintenance);
  } finally {
    await owner.end();
  }
}

/** The database for CLI maintenance commands (keys, re-seal): no model, no embedding-space check. */
export async function openForMaintenance(cfg: DatabaseConfig): Promise<Database> {
  return cfg.kind === 'pglite' ? openPGlite(cfg.dataDir) : openPostgres({ url: cfg.url, poolMax: 2, pooler: cfg.pooler });
}
