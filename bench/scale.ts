// Engram at scale (issue 16, "A million chunks"), on single PostgreSQL and on the Citus cluster, beside the
// raw path in the same run:
//   npm run bench:scale -- [--backend postgres|citus|both] [--chunks N] [--users N] [--largest N] [--pool N]
//                          [--queries N] [--warmup N] [--class-users N] [--concurrency N] [--batch-size N]
//                          [--jitter X] [--ingest-sample N] [--throughput-seconds N] [--throughput-concurrency N]
//                          [--exact-below N] [--ef-search N] [--max-scan-tuples N]
//                          [--maintenance-work-mem SIZE] [--raw-iterative on|off] [--index-during-load] [--keep]
//                          [--seed S] [--data PATH] [--json PATH]
// Defaults: both backends, 1,000,000 chunks for 10,000 users, the largest user 4% of the chunks (40,000).
// Smoke: --chunks 20000 --users 200 --largest 6000 --queries 60.
//
// 1. Corpus: a pool of distinct texts (LoCoMo turns, windows of 1-4 consecutive turns and pairs of turns),
//    embedded once with the real model and cached in bench/results/. User sizes follow a power law
//    (the exponent fitted so the largest user has --largest chunks); each user holds a sample of the
//    pool without repeats, rendered with the user's own speaker names, one chunk per memory; each
//    stored vector is the pool text's real embedding plus a small seeded jitter (bench/scale/corpus.ts).
// 2. Load through Engram's write path: POST /index/batch (app.inject, real JWT, route, chunking,
//    encryption, keyword index, dedup) with an embedder that returns the precomputed vectors; the HNSW
//    index is dropped first and built after the load, as `engram migrate` builds it (timed).
// 3. Queries per size class, Engram and raw alternating at concurrency 1, then recall@10 against an
//    exact scan (bench/scale/queries.ts); then queries per second without the model (query vectors
//    computed beforehand), several clients at once, over the classes' users.
// 4. Ingest with the real model: Engram's batch route vs raw (embed + one INSERT), alternating.
// Each backend gets a fresh database (on Citus: on the coordinator and both workers), dropped at the end
// unless --keep.
import { statfsSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createUseLiteEmbedder } from '../src/embed/use-lite.js';
import { Limits } from '../src/memory/limits.js';
import { DEFAULT_LOCOMO_PATH, intOption, loadLocomo } from './common.js';
import { startScaleApp } from './scale/app.js';
import { BenchEmbedder } from './scale/bench-embedder.js';
import { candidatePool, describeSizes, render, singleChunk, userSample, userSizes } from './scale/corpus.js';
import { buildHnsw, createBenchDatabase, diskUsage, dropHnsw, serverFacts, settingOnNodes, vacuumAnalyze, type BenchDatabase, type ScaleBackend } from './scale/database.js';
import { compareIngest, fmtDuration, loadCorpus, type UserPlan } from './scale/load.js';
import { poolVectors, RESULTS_DIR } from './scale/pool-vectors.js';
import { runClass, sizeClasses, throughput } from './scale/queries.js';
import { printBackend, printSummary, type BackendResult } from './scale/report.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    chunks: { type: 'string' },
    users: { type: 'string' },
    largest: { type: 'string' },
    pool: { type: 'string' },
    queries: { type: 'string' },
    warmup: { type: 'string' },
    'class-users': { type: 'string' },
    concurrency: { type: 'string' },
    'batch-size': { type: 'string' },
    jitter: { type: 'string' },
    'ingest-sample': { type: 'string' },
    'throughput-seconds': { type: 'string' },
    'throughput-concurrency': { type: 'string' },
    'exact-below': { type: 'string' },
    'ef-search': { type: 'string' },
    'max-scan-tuples': { type: 'string' },
    'maintenance-work-mem': { type: 'string' },
    'raw-iterative': { type: 'string', default: 'on' },
    'index-during-load': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'string' },
  },
});
const backends: ScaleBackend[] =
  values.backend === 'both' ? ['postgres', 'citus'] : values.backend === 'postgres' || values.backend === 'citus' ? [values.backend] : [];
if (backends.length === 0) throw new Error('--backend must be postgres, citus or both');
const chunks = intOption('chunks', values.chunks, 1_000_000, 20_000_000);
const users = intOption('users', values.users, Math.max(1, Math.round(chunks / 100)), 1_000_000);
const largest = intOption('largest', values.largest, Math.max(1, Math.round(chunks * 0.04)), chunks);
const queries = intOption('queries', values.queries, 200, 100_000);
const warmup = intOption('warmup', values.warmup, 20, 10_000);
const perClass = intOption('class-users', values['class-users'], 10, 1000);
const concurrency = intOption('concurrency', values.concurrency, 4, 64);
const batchSize = intOption('batch-size', values['batch-size'], Limits.batchItems, Limits.batchItems);
const seed = intOption('seed', values.seed, 16, 2 ** 31);
const jitter = Number(values.jitter ?? 0.15);
if (!(jitter >= 0 && jitter < 2)) throw new Error('--jitter must be in [0, 2)');
const ingestSample = values['ingest-sample'] === '0' ? 0 : intOption('ingest-sample', values['ingest-sample'], 2000, 100_000);
const throughputSeconds = values['throughput-seconds'] === '0' ? 0 : intOption('throughput-seconds', values['throughput-seconds'], 30, 3600);
const throughputConcurrency = intOption('throughput-concurrency', values['throughput-concurrency'], 4, 64);
if (values['maintenance-work-mem'] !== undefined && !/^[0-9]+(kB|MB|GB)$/.test(values['maintenance-work-mem'])) {
  throw new Error('--maintenance-work-mem must be like 512MB or 4GB');
}
if (values['raw-iterative'] !== 'on' && values['raw-iterative'] !== 'off') throw new Error('--raw-iterative must be on or off');
const searchEnv: Record<string, string> = {};
for (const [flag, env] of [
  ['exact-below', 'VECTOR_SEARCH_EXACT_BELOW'],
  ['ef-search', 'VECTOR_SEARCH_EF_SEARCH'],
  ['max-scan-tuples', 'VECTOR_SEARCH_MAX_SCAN_TUPLES'],
] as const) {
  if (values[flag] !== undefined) searchEnv[env] = String(intOption(flag, values[flag], 1, 100_000_000));
}

// ---------------------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------------------
const { sizes, exponent } = userSizes(users, chunks, largest);
const candidates = candidatePool(loadLocomo(values.data ?? DEFAULT_LOCOMO_PATH), seed);
const poolSize = intOption('pool', values.pool, Math.min(candidates.length, Math.ceil(Math.max(...sizes) * 1.25)), candidates.length);
const pool = candidates.slice(0, poolSize);
const d = describeSizes(sizes);
console.log(
  `Scale bench: ${chunks} chunks (one per memory) for ${users} users on ${backends.join(' and ')}; ` +
    `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
console.log(
  `user sizes: power law r^-${exponent.toFixed(3)}; min ${d.min}, p10 ${d.p10}, median ${d.median}, p90 ${d.p90}, p99 ${d.p99}, ` +
    `max ${d.max} (largest: ${d.top.join(', ')})`,
);
console.log(`pool: ${poolSize} distinct texts of ${candidates.length} candidates; jitter ${jitter} (cosine to the base ≈ ${(1 / Math.sqrt(1 + jitter * jitter)).toFixed(3)})`);
// About 16 KB a memory on disk, tenant tables and indexes (15.3 KB on PostgreSQL, 16.1 KB on Citus at
// 20,000 memories: docs/BENCHMARKS.md, "Scale"), plus the WAL.
const estimate = chunks * 16 * 1024;
for (const path of ['/tmp', '/var/lib/postgresql']) {
  try {
    const s = statfsSync(path);
    console.log(`disk: ${path} has ${((s.bavail * s.bsize) / 2 ** 30).toFixed(1)} GiB free; this run needs about ${(estimate / 2 ** 30).toFixed(1)} GiB per backend (more while the WAL is kept)`);
  } catch {
    // not there: nothing to say
  }
}

// A long bound per call: the pool is embedded in calls of 64 texts, on a machine that may be busy.
const real = createUseLiteEmbedder({ timeoutMs: 600_000 });
const embedder = new BenchEmbedder(real);
await embedder.init();
const baseTexts = pool.map((item) => singleChunk(render(item)));
const { vectors, embedded, seconds: embedSeconds } = await poolVectors(real, baseTexts);
console.log(`pool vectors: ${embedded} embedded now${embedded ? ` in ${fmtDuration(embedSeconds)}` : ''}, ${poolSize - embedded} from the cache`);

// ---------------------------------------------------------------------------------------------------
// Per backend
// ---------------------------------------------------------------------------------------------------
let current: BenchDatabase | undefined;
process.once('SIGINT', () => {
  console.error('\ninterrupted' + (values.keep ? '' : ': dropping the bench database'));
  void (values.keep ? Promise.resolve() : (current?.drop() ?? Promise.resolve())).finally(() => process.exit(130));
});

const results: BackendResult[] = [];
try {
  for (const backend of backends) results.push(await runBackend(backend));
} finally {
  await embedder.close();
}
for (const r of results) printBackend(r);
printSummary(results);
const jsonPath = values.json ?? `${RESULTS_DIR}scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  jsonPath,
  JSON.stringify({ args: values, chunks, users, largest, exponent, sizes: d, poolSize, jitter, results }, null, 2),
);
console.log(`\nfigures written to ${jsonPath}`);

/**
 * The HNSW build's memory, set on the bench database on every node. pgvector builds the graph in
 * memory up to maintenance_work_mem (about 3.5 KB a 512-d vector here), and a parallel build reserves
 * all of maintenance_work_mem as shared memory up front. Single server: room for the whole graph, at
 * most 4GB, PostgreSQL's parallel workers allowed. Citus builds the 32 shards' indexes many at a time
 * on each worker: each shard gets room for twice its share (the largest users make some shards
 * bigger), at most 1GB, and no parallel workers per shard, or every concurrent shard build would
 * reserve its maintenance_work_mem of shared memory at once (4GB each exhausted this machine's memory).
 */
function buildSettings(backend: ScaleBackend): Record<string, string> {
  const mb = (bytes: number, cap: number) => `${Math.min(cap, Math.max(64, Math.ceil(bytes / 2 ** 20)))}MB`;
  const perVector = 3.5 * 1024;
  if (backend === 'postgres') return { maintenance_work_mem: values['maintenance-work-mem'] ?? mb(chunks * perVector, 4096) };
  const shards = 32; // citus.shard_count unless changed
  return {
    maintenance_work_mem: values['maintenance-work-mem'] ?? mb((2 * chunks * perVector) / shards, 1024),
    max_parallel_maintenance_workers: '0',
  };
}

async function runBackend(backend: ScaleBackend): Promise<BackendResult> {
  console.log(`\n--- ${backend} ---`);
  const settings = buildSettings(backend);
  // The raw statement's session: pgvector 0.8's iterative scan, so that a filtered HNSW walk goes on
  // until it has k rows of the user (without it a large user's answer is often short).
  if (values['raw-iterative'] === 'on') settings['hnsw.iterative_scan'] = 'relaxed_order';
  const db = await createBenchDatabase(backend, settings);
  current = db;
  console.log(
    `  database ${db.name}; on its nodes: maintenance_work_mem ${(await settingOnNodes(db, 'maintenance_work_mem')).join(', ')}, ` +
      `max_parallel_maintenance_workers ${(await settingOnNodes(db, 'max_parallel_maintenance_workers')).join(', ')}`,
  );
  try {
    const app = await startScaleApp(db.url, embedder, { seed, poolMax: concurrency + 2, env: searchEnv });
    try {
      const facts = await serverFacts(db);
      if (!values['index-during-load']) await dropHnsw(db);
      const plans: UserPlan[] = sizes.map((n, user) => {
        const id = `scale-u${user}`;
        return { user, id, hash: app.hashUser(id), items: userSample(user, n, poolSize, seed) };
      });
      console.log(`  loading ${chunks} memories, ${concurrency} batches of ${batchSize} in flight …`);
      const loadSeconds = await loadCorpus(app, embedder, plans, { pool, vectors, jitter, batchSize, concurrency });
      let hnswSeconds: number | null = null;
      if (!values['index-during-load']) {
        console.log('  building the HNSW index …');
        hnswSeconds = await buildHnsw(db, embedder.model, embedder.dimensions);
      }
      const vacuumSeconds = await vacuumAnalyze(db);
      console.log(`  HNSW ${hnswSeconds === null ? 'kept during the load' : `built in ${fmtDuration(hnswSeconds)}`}, VACUUM ANALYZE ${fmtDuration(vacuumSeconds)}`);
      const disk = await diskUsage(db);

      const classes = [];
      const chosen = sizeClasses(plans, app.config.vectorSearch.exactBelow, perClass);
      for (const cls of chosen) {
        console.log(`  queries: ${cls.name} (${cls.users.length} users, ${cls.users.map((u) => u.items.length).join(', ')} chunks) …`);
        const c = await runClass(app, db, embedder, cls, { pool, queries, warmup, seed });
        classes.push(c);
        // At once, so that a run cut short still has the classes it finished.
        console.log(
          `    p95 Engram ${c.engram.p95.toFixed(1)} ms / raw ${c.raw.p95.toFixed(1)} ms = ${(c.engram.p95 / c.raw.p95).toFixed(2)}×; ` +
            `recall@10 vector stage ${c.recallAnn.toFixed(3)}, raw ${c.recallRaw.toFixed(3)}`,
        );
      }
      let qps = null;
      if (throughputSeconds > 0) {
        console.log(`  throughput: ${throughputConcurrency} clients for ${throughputSeconds} s, query vectors precomputed …`);
        qps = await throughput(app, embedder, chosen, { pool, seconds: throughputSeconds, concurrency: throughputConcurrency, seed });
      }
      let ingest = null;
      if (ingestSample > 0) {
        console.log(`  ingest with the real model: ${ingestSample} texts, Engram and raw alternating …`);
        ingest = await compareIngest(app, db, embedder, { pool, count: ingestSample, firstUser: users + 1 });
      }
      const result: BackendResult = { backend, facts, memories: chunks, loadSeconds, hnswSeconds, vacuumSeconds, disk, classes, qps, ingest };
      printBackend(result);
      return result;
    } finally {
      await app.close();
    }
  } finally {
    current = undefined;
    if (values.keep) {
      await db.owner.end();
      await db.raw.end();
      console.log(`  kept database ${db.name} (drop it on every node with DROP DATABASE ${db.name} WITH (FORCE))`);
    } else {
      await db.drop();
      console.log(`  dropped database ${db.name}`);
    }
  }
}
