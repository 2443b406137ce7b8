// Filtered vector search against exact search, on a large skewed multi-tenant table:
//   npm run bench:filtered -- [--backend postgres|pglite] [--users N] [--chunks N] [--queries N] [--k K]
//                             [--keep] [--database NAME] [--seed S] [--only small|medium|large]
//                             [--exact-below N] [--ef-search N] [--max-scan-tuples N]
// Defaults: postgres, 1200 users, 200000 chunks (pglite: 200 users, 20000 chunks), 60 queries per size
// bucket, k 10. The corpus is synthetic (bench/synthetic-corpus.ts): Zipf-skewed user sizes,
// clustered 512-d unit vectors, dummy ciphertext. The HNSW index is built after the bulk load with
// prepareEmbeddingSpace, as `engram migrate` builds it.
// For each sampled user and query it calls vectorSearch (src/store/vector-search.ts) inside a tenant transaction (as
// MemoryService does), without and with filters, and compares it with an exact scan (as the owner,
// ordering by an expression the index cannot serve). Prints recall@k, the share of queries that got
// fewer than k results although at least k chunks matched, and latency per size bucket.
// --keep leaves the PostgreSQL database in place and prints its name; --database NAME reuses it
// (loading is skipped when it holds the same corpus). Without --keep the database is dropped at the end.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Database, Queryable } from '../src/store/database.js';
import { prepareEmbeddingSpace } from '../src/store/embedding-space.js';
import type { SearchFilters } from '../src/store/memory-repository.js';
import { migrate } from '../src/store/migrate.js';
import { DEFAULT_VECTOR_SEARCH, vectorSearch, type VectorSearchOptions } from '../src/store/vector-search.js';
import { openPGlite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { adminUrl, createPostgresDatabase, withDatabase } from '../test/helpers/database.js';
import { intOption, msSince, parseBackend, percentile } from './common.js';
import { CORPUS_EPOCH, insertBatch, rng, SyntheticCorpus, vectorText, type CorpusSpec } from './synthetic-corpus.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'postgres' },
    users: { type: 'string' },
    chunks: { type: 'string' },
    queries: { type: 'string' },
    k: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
    database: { type: 'string' },
    'exact-below': { type: 'string' },
    'ef-search': { type: 'string' },
    'max-scan-tuples': { type: 'string' },
    only: { type: 'string' },
  },
});
const backend = parseBackend(values.backend);
if (backend === 'citus') throw new Error('--backend must be pglite or postgres (the filtered-search corpus is one shared index)');
const small = backend === 'pglite';
const spec: CorpusSpec = {
  users: intOption('users', values.users, small ? 200 : 1200, 100_000),
  chunks: intOption('chunks', values.chunks, small ? 20_000 : 200_000, 10_000_000),
  dim: 512,
  seed: intOption('seed', values.seed, 42, 2 ** 31),
  zipf: 1.1,
};
const queriesPerBucket = intOption('queries', values.queries, 60, 10_000);
const k = intOption('k', values.k, 10, 100);
const searchOptions: VectorSearchOptions = {
  exactBelow: intOption('exact-below', values['exact-below'], DEFAULT_VECTOR_SEARCH.exactBelow, 10_000_000),
  efSearch: intOption('ef-search', values['ef-search'], DEFAULT_VECTOR_SEARCH.efSearch, 1000),
  maxScanTuples: intOption('max-scan-tuples', values['max-scan-tuples'], DEFAULT_VECTOR_SEARCH.maxScanTuples, 10_000_000),
};
const MODEL = 'bench-synthetic-512';
const BUCKETS = [
  { name: 'small', min: 1, max: 99 },
  { name: 'medium', min: 100, max: 2_999 },
  { name: 'large', min: 3_000, max: Infinity },
] as const;
const DAY = 86_400_000;
// 'off-topic': no filter, and the query is about a popular topic that is none of the user's own, so
// many other users' chunks lie nearer than any of theirs (the case that drowns a user in the index).
const FILTERS: { name: string; filters: SearchFilters; offTopic?: boolean }[] = [
  { name: 'none', filters: {} },
  { name: 'off-topic', filters: {}, offTopic: true },
  { name: 'source', filters: { source: 'note' } },
  { name: 'metadata', filters: { metadata: { kind: 'preference' } } },
  { name: 'time', filters: { createdAfter: new Date(CORPUS_EPOCH - 60 * DAY) } },
];

const corpus = new SyntheticCorpus(spec);
console.log(
  `Filtered vector search bench: backend ${backend}, ${spec.users} users, ${corpus.totalChunks} chunks, ` +
    `dim ${spec.dim}, Zipf ${spec.zipf}, k=${k}, ${queriesPerBucket} queries per bucket × ${FILTERS.length} filters`,
);
console.log(
  `search: exact below ${searchOptions.exactBelow} chunks, ef_search ${searchOptions.efSearch}, ` +
    `max_scan_tuples ${searchOptions.maxScanTuples}`,
);
console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
const sorted = [...corpus.sizes].sort((a, b) => b - a);
console.log(`user sizes: largest ${sorted.slice(0, 5).join(', ')}; median ${sorted[Math.floor(sorted.length / 2)]}; smallest ${sorted.at(-1)}`);

// ---------------------------------------------------------------------------------------------------
// Database: fresh or kept, migrated, loaded, indexed
// ---------------------------------------------------------------------------------------------------
let db: Database;
let owner: Queryable;
let cleanup = async () => {};
if (backend === 'postgres') {
  let name = values.database;
  let url: string;
  if (name) {
    url = withDatabase(adminUrl(), name);
  } else {
    const created = await createPostgresDatabase('engram_bench_filtered');
    name = created.name;
    url = created.url;
  }
  const client = new pg.Client({ connectionString: url, application_name: 'engram-bench-owner' });
  await client.connect();
  owner = client;
  const pgdb = await openPostgres({ url, poolMax: 2 });
  db = pgdb;
  const dbName = name;
  cleanup = async () => {
    await pgdb.close();
    await client.end();
    if (values.keep) {
      console.log(`kept database ${dbName}: reuse it with --database ${dbName}; drop it with DROP DATABASE ${dbName}`);
      return;
    }
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    console.log(`dropped database ${dbName}`);
  };
} else {
  const lite = await openPGlite('memory://');
  db = lite;
  owner = lite.pglite;
  cleanup = () => lite.close();
}
process.once('SIGINT', () => {
  console.error('interrupted');
  void cleanup().finally(() => process.exit(130));
});

try {
  await migrate(owner as Queryable & { exec?: (sql: string) => Promise<unknown> });
  await owner.query(`CREATE TABLE IF NOT EXISTS bench_corpus (spec jsonb NOT NULL)`);
  const { rows: have } = await owner.query<{ spec: CorpusSpec }>(`SELECT spec FROM bench_corpus`);
  const sameSpec = (o: CorpusSpec) => (Object.keys(spec) as (keyof CorpusSpec)[]).every((key) => o[key] === spec[key]);
  if (have.length && sameSpec(have[0]!.spec)) {
    console.log('reusing the loaded corpus');
  } else {
    if (have.length) throw new Error('this database holds another corpus: use a fresh one');
    const t0 = process.hrtime.bigint();
    let loaded = 0;
    for (const batch of corpus.rows(500)) {
      await insertBatch(owner, corpus, batch, backend === 'postgres');
      loaded += batch.length;
      if (loaded % 20_000 < 500) process.stdout.write(`\rloaded ${loaded}/${corpus.totalChunks}`);
    }
    console.log(`\nloaded ${loaded} chunks in ${(msSince(t0) / 1000).toFixed(1)} s`);
    const t1 = process.hrtime.bigint();
    if (backend === 'postgres') await owner.query(`SET maintenance_work_mem = '1GB'`);
    await prepareEmbeddingSpace(owner, MODEL, spec.dim);
    console.log(`HNSW index built in ${(msSince(t1) / 1000).toFixed(1)} s`);
    await owner.query(backend === 'postgres' ? 'VACUUM ANALYZE memories, memory_chunks' : 'ANALYZE');
    await owner.query(`INSERT INTO bench_corpus (spec) VALUES ($1::jsonb)`, [JSON.stringify(spec)]);
  }
  await runQueries();
} finally {
  await cleanup();
}

// ---------------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------------
async function exact(userHash: string, q: string, filters: SearchFilters): Promise<{ ids: string[]; matching: number }> {
  const params: unknown[] = [userHash, q, k];
  const where = ['user_hash = $1'];
  if (filters.source !== undefined) where.push(`source = $${params.push(filters.source)}`);
  if (filters.metadata) where.push(`metadata @> $${params.push(JSON.stringify(filters.metadata))}::jsonb`);
  if (filters.createdAfter) where.push(`created_at >= $${params.push(filters.createdAfter)}`);
  // `embedding <=> q` (no cast) is not the indexed expression: always an exact scan.
  const { rows } = await owner.query<{ id: string; n: string }>(
    `SELECT id, count(*) OVER () AS n FROM memory_chunks WHERE ${where.join(' AND ')}
      ORDER BY embedding <=> $2::vector, id LIMIT $3`,
    params,
  );
  return { ids: rows.map((r) => r.id), matching: Number(rows[0]?.n ?? 0) };
}

async function runQueries() {
  const rand = rng(spec.seed ^ 0xbeef);
  console.log('');
  console.log('bucket  (chunks)    users  filter    queries  recall@k  short  p50 ms  p95 ms  exact p50 ms');
  for (const bucket of BUCKETS) {
    if (values.only && values.only !== bucket.name) continue;
    const members = corpus.sizes.flatMap((n, u) => (n >= bucket.min && n <= bucket.max ? [u] : []));
    if (members.length === 0) continue;
    // Up to 30 users spread over the bucket's range of sizes.
    const step = Math.max(1, members.length / 30);
    const sample = Array.from({ length: Math.min(30, members.length) }, (_, i) => members[Math.floor(i * step)]!);
    for (const { name, filters, offTopic } of FILTERS) {
      let recallSum = 0;
      let recallN = 0;
      let eligible = 0;
      let short = 0;
      const latencies: number[] = [];
      const exactLatencies: number[] = [];
      for (let i = 0; i < queriesPerBucket; i++) {
        const user = sample[i % sample.length]!;
        const userHash = corpus.userHashes[user]!;
        const q = offTopic ? corpus.offTopicVector(user, rand) : corpus.vector(user, rand);
        const t0 = process.hrtime.bigint();
        const hits = await db.withTenant(userHash, (tx) =>
          vectorSearch(tx, userHash, Array.from(q), spec.dim, k, filters, searchOptions),
        );
        latencies.push(msSince(t0));
        const t1 = process.hrtime.bigint();
        const truth = await exact(userHash, vectorText(q), filters);
        exactLatencies.push(msSince(t1));
        if (truth.ids.length > 0) {
          const got = new Set(hits.map((h) => h.chunkId));
          recallSum += truth.ids.filter((id) => got.has(id)).length / truth.ids.length;
          recallN++;
        }
        if (truth.matching >= k) {
          eligible++;
          if (hits.length < k) short++;
        }
      }
      const range = `${bucket.min}-${Number.isFinite(bucket.max) ? bucket.max : '∞'}`;
      console.log(
        `${bucket.name.padEnd(7)} ${range.padEnd(11)} ${String(members.length).padStart(5)}  ${name.padEnd(9)} ` +
          `${String(queriesPerBucket).padStart(7)}  ${(recallN ? recallSum / recallN : NaN).toFixed(3).padStart(8)}  ` +
          `${(eligible ? (100 * short) / eligible : 0).toFixed(1).padStart(4)}%  ${percentile(latencies, 50).toFixed(1).padStart(6)}  ` +
          `${percentile(latencies, 95).toFixed(1).padStart(6)}  ${percentile(exactLatencies, 50).toFixed(1).padStart(12)}`,
      );
    }
  }
  console.log('');
  console.log(
    'recall@k: share of the exact top k (same user, same filters) that the service returned; short: queries with ' +
      'fewer than k results among those where at least k chunks match.',
  );
}
