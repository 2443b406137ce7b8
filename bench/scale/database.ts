// The scale bench's databases: a fresh one on the single PostgreSQL server, or a fresh Citus database on
// the coordinator and both workers (test/helpers/database.ts), per-database settings, the HNSW index
// dropped before the load and built after it (timed), and the disk each tenant table takes.
import pg from 'pg';
import { TENANT_TABLES } from '../../src/store/database.js';
import { prepareEmbeddingSpace } from '../../src/store/embedding-space.js';
import { adminUrl, citusWorkers, createPostgresDatabase, withDatabase, workerUrl } from '../../test/helpers/database.js';
import { msSince } from '../common.js';

export type ScaleBackend = 'postgres' | 'citus';

export interface BenchDatabase {
  backend: ScaleBackend;
  name: string;
  url: string;
  /** Superuser connection to the database (the coordinator on Citus): DDL, sizes, exact scans. */
  owner: pg.Client;
  /** A second one for the raw query path (one statement per query, no transaction). */
  raw: pg.Client;
  /** The per-database settings applied on every node (ALTER DATABASE … SET). */
  settings: Record<string, string>;
  drop(): Promise<void>;
}

const connect = async (url: string, name: string) => {
  const c = new pg.Client({ connectionString: url, application_name: name });
  // A connection the server ends (a restart) fails the statement in progress; without a listener the
  // error event would end the process before the bench can drop its database.
  c.on('error', (err) => console.error(`  ${name}: connection error: ${err.message}`));
  await c.connect();
  return c;
};

async function onNode<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connect(url, 'engram-bench-scale');
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The database's URL on every node that holds its data (the server; on Citus the coordinator and the workers). */
function nodeUrls(backend: ScaleBackend, name: string): string[] {
  const coordinator = withDatabase(adminUrl(), name);
  return backend === 'citus' ? [coordinator, ...citusWorkers().map((w) => workerUrl(w, name))] : [coordinator];
}

/**
 * A fresh database for `backend`, with `settings` set on it on every node before anything connects
 * (so that every later session, Citus's own worker connections included, has them).
 */
export async function createBenchDatabase(backend: ScaleBackend, settings: Record<string, string>): Promise<BenchDatabase> {
  process.env.ENGRAM_TEST_DB = backend; // read by the helpers of test/helpers/database.ts
  const created = await createPostgresDatabase('engram_bench_scale');
  try {
    for (const url of nodeUrls(backend, created.name)) {
      await onNode(url, async (c) => {
        for (const [key, value] of Object.entries(settings)) {
          await c.query(`ALTER DATABASE ${created.name} SET ${key} = '${value.replace(/'/g, "''")}'`);
        }
      });
    }
    const owner = await connect(created.url, 'engram-bench-owner');
    // pgvector says here when the HNSW graph outgrows maintenance_work_mem (the build then goes on disk, slower).
    owner.on('notice', (n) => console.log(`  notice from ${backend}: ${n.message}`));
    const raw = await connect(created.url, 'engram-bench-raw');
    let dropped = false;
    return {
      backend,
      name: created.name,
      url: created.url,
      owner,
      raw,
      settings,
      async drop() {
        if (dropped) return;
        dropped = true;
        await owner.end().catch(() => {});
        await raw.end().catch(() => {});
        process.env.ENGRAM_TEST_DB = backend;
        await created.drop();
      },
    };
  } catch (err) {
    await created.drop().catch(() => {});
    throw err;
  }
}

/** A setting as each node's session sees it in this database (checks that ALTER DATABASE reached the workers). */
export async function settingOnNodes(db: BenchDatabase, setting: string): Promise<string[]> {
  const out: string[] = [];
  for (const url of nodeUrls(db.backend, db.name)) {
    out.push(await onNode(url, async (c) => (await c.query<{ v: string }>(`SELECT current_setting($1) AS v`, [setting])).rows[0]!.v));
  }
  return out;
}

/** Drops the HNSW index that the migration built on the empty table (the load then writes no index). */
export async function dropHnsw(db: BenchDatabase): Promise<void> {
  await db.owner.query(`DROP INDEX IF EXISTS memory_chunks_embedding_hnsw`);
}

/** Builds the HNSW index as `engram migrate` does (prepareEmbeddingSpace); seconds of wall time. */
export async function buildHnsw(db: BenchDatabase, model: string, dimensions: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await prepareEmbeddingSpace(db.owner, model, dimensions);
  return msSince(t0) / 1000;
}

export async function vacuumAnalyze(db: BenchDatabase): Promise<number> {
  const t0 = process.hrtime.bigint();
  await db.owner.query(`VACUUM ANALYZE ${TENANT_TABLES.join(', ')}`);
  return msSince(t0) / 1000;
}

export interface DiskUsage {
  /** Bytes per tenant table, indexes and TOAST included (Citus: over all shards). */
  tables: Record<string, number>;
  /** The HNSW index alone (Citus: all shards' indexes). */
  hnsw: number;
  /** pg_database_size summed over the nodes (catalogs and WAL-free overhead included). */
  database: number;
}

export async function diskUsage(db: BenchDatabase): Promise<DiskUsage> {
  const tables: Record<string, number> = {};
  const sizeFn = db.backend === 'citus' ? 'citus_total_relation_size' : 'pg_total_relation_size';
  for (const t of TENANT_TABLES) {
    const { rows } = await db.owner.query<{ n: string }>(`SELECT ${sizeFn}($1::regclass) AS n`, [t]);
    tables[t] = Number(rows[0]!.n);
  }
  const hnswSql = `SELECT COALESCE(sum(pg_relation_size(oid)), 0)::bigint AS n FROM pg_class
                    WHERE relkind = 'i' AND relname ~ '^memory_chunks_embedding_hnsw(_[0-9]+)?$'`;
  let hnsw = 0;
  let database = 0;
  for (const url of nodeUrls(db.backend, db.name)) {
    await onNode(url, async (c) => {
      // Citus hides shards from pg_class unless asked; the coordinator's own shell index is empty.
      if (db.backend === 'citus') await c.query('SET citus.override_table_visibility = off');
      hnsw += Number((await c.query<{ n: string }>(hnswSql)).rows[0]!.n);
      database += Number((await c.query<{ n: string }>(`SELECT pg_database_size(current_database()) AS n`)).rows[0]!.n);
    });
  }
  return { tables, hnsw, database };
}

/** Server facts worth printing beside the figures. */
export async function serverFacts(db: BenchDatabase): Promise<string> {
  const { rows } = await db.owner.query<{ v: string; sb: string; mwm: string; pmw: string; vec: string; citus: string | null }>(
    `SELECT split_part(version(), ' ', 2) AS v, current_setting('shared_buffers') AS sb,
            current_setting('maintenance_work_mem') AS mwm, current_setting('max_parallel_maintenance_workers') AS pmw,
            (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vec,
            (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS citus`,
  );
  const r = rows[0]!;
  let facts = `PostgreSQL ${r.v}, pgvector ${r.vec}${r.citus ? `, Citus ${r.citus}` : ''}; shared_buffers ${r.sb}, maintenance_work_mem ${r.mwm}, max_parallel_maintenance_workers ${r.pmw}`;
  if (db.backend === 'citus') {
    const urls = nodeUrls(db.backend, db.name).slice(1);
    const workers = await Promise.all(
      urls.map((u) =>
        onNode(u, async (c) => {
          await c.query('SET citus.override_table_visibility = off');
          const w = (await c.query<{ sb: string; mwm: string; shards: string }>(
            `SELECT current_setting('shared_buffers') AS sb, current_setting('maintenance_work_mem') AS mwm,
                    (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^memory_chunks_[0-9]+$') AS shards`,
          )).rows[0]!;
          return `${new URL(u).port}: shared_buffers ${w.sb}, maintenance_work_mem ${w.mwm}, ${w.shards} memory_chunks shards`;
        }),
      ),
    );
    facts += `\n  workers ${workers.join('; ')}`;
  }
  return facts;
}

export const adminUrlFor = (backend: ScaleBackend) => {
  process.env.ENGRAM_TEST_DB = backend;
  return adminUrl();
};
