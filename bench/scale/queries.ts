// The query phase: per size class, Engram's POST /query beside the raw path (the same model + one
// pgvector statement), alternating request by request after a warm-up, at concurrency 1; then, outside
// the timed part, the recall@10 of Engram's vector stage, of the raw statement and of Engram's final
// list against an exact scan of the user's rows, and the time of the search's two statements alone.
import { DataKeys } from '../../src/crypto/data-keys.js';
import { CONTEXT_DEFAULTS } from '../../src/search/context.js';
import { blindQuery, keywordKey } from '../../src/search/keyword/blind-terms.js';
import { SEARCH_DEFAULTS } from '../../src/search/pipeline.js';
import type { Queryable } from '../../src/store/database.js';
import { keyRepository } from '../../src/store/key-repository.js';
import { keywordRepository } from '../../src/store/keyword-repository.js';
import { vectorCandidates } from '../../src/store/vector-search.js';
import { closedLoop, latencySummary, msSince } from '../common.js';
import { rng } from '../synthetic-corpus.js';
import type { ScaleApp } from './app.js';
import type { BenchEmbedder } from './bench-embedder.js';
import { queryFor, type PoolItem } from './corpus.js';
import type { BenchDatabase } from './database.js';
import type { UserPlan } from './load.js';

export interface SizeClass {
  name: string;
  users: UserPlan[];
}

/**
 * small: users around the 10th percentile of sizes; median: around the 50th; entry: the smallest users
 * at or above the exact-scan bound (the first searched through the index, the smallest share of it);
 * largest: the largest users. Up to `perClass` users each (largest: up to 3).
 */
export function sizeClasses(users: readonly UserPlan[], exactBelow: number, perClass: number): SizeClass[] {
  const asc = [...users].sort((a, b) => a.items.length - b.items.length || a.user - b.user);
  const around = (p: number) => {
    const mid = Math.floor((p / 100) * (asc.length - 1));
    const from = Math.max(0, Math.min(asc.length - perClass, mid - Math.floor(perClass / 2)));
    return asc.slice(from, from + perClass);
  };
  const classes: SizeClass[] = [
    { name: 'small', users: around(10) },
    { name: 'median', users: around(50) },
  ];
  const entry = asc.filter((u) => u.items.length >= exactBelow).slice(0, perClass);
  const largest = asc.slice(-Math.min(3, asc.length)).reverse();
  if (entry.length > 0 && entry[0]!.items.length < largest.at(-1)!.items.length) {
    classes.push({ name: 'index-entry', users: entry.filter((u) => !largest.includes(u)) });
  }
  classes.push({ name: 'largest', users: largest });
  return classes;
}

export interface ClassResult {
  name: string;
  sizes: number[];
  queries: number;
  engram: ReturnType<typeof latencySummary>;
  raw: ReturnType<typeof latencySummary>;
  exactMs: number;
  /** Mean recall@10 against the exact top 10: Engram's vector stage, the raw statement, Engram's final list. */
  recallAnn: number;
  recallRaw: number;
  overlapFinal: number;
  /** Queries whose raw statement returned fewer than 10 rows (the user has at least 10). */
  rawShort: number;
  /** The path Engram's vector stage took: exact scan or HNSW. */
  path: 'exact' | 'hnsw' | 'mixed';
  /**
   * Where the time goes, p50 ms: the model on the query (raw path's embed), the raw statement alone,
   * and, replayed untimed-by-the-client in a tenant transaction, Engram's keyword statement and its
   * vector stage (vectorCandidates as the pipeline calls it: 60 nearest, the keyword hits' rows, neighbours).
   */
  stages: { embed: number; rawSql: number; keyword: number; vector: number; vectorP95: number };
}

const K = 10;

export async function runClass(
  app: ScaleApp,
  db: BenchDatabase,
  embedder: BenchEmbedder,
  cls: SizeClass,
  opts: { pool: readonly PoolItem[]; queries: number; warmup: number; seed: number },
): Promise<ClassResult> {
  const dims = embedder.dimensions;
  const rand = rng(opts.seed ^ 0x51ce ^ cls.name.length);
  const vectorOptions = app.config.vectorSearch;
  // The vector stage as the pipeline asks for it: max(pool, k) nearest; recall is of its first 10.
  const stageK = Math.max(SEARCH_DEFAULTS.pool, K);
  for (const u of cls.users) await app.token(u.id);
  embedder.mode = 'model';

  const engramQuery = async (u: UserPlan, q: string) => {
    const t = process.hrtime.bigint();
    const body = await app.post<{ results: { chunk_id: string }[] }>('/api/v1/memory/query', u.id, { user_id: u.id, query: q, k: K }, 200);
    return { ms: msSince(t), ids: body.results.map((r) => r.chunk_id) };
  };
  const rawQuery = async (u: UserPlan, q: string) => {
    const t = process.hrtime.bigint();
    const [vector] = await embedder.embed([q]);
    const embedMs = msSince(t);
    const { rows } = await db.raw.query<{ id: string }>(
      `SELECT id, memory_id, ciphertext, source, metadata, created_at,
              embedding::vector(${dims}) <=> $2::vector(${dims}) AS distance
         FROM memory_chunks WHERE user_hash = $1
        ORDER BY embedding::vector(${dims}) <=> $2::vector(${dims}) LIMIT ${K}`,
      [u.hash, `[${vector!.join(',')}]`],
    );
    const ms = msSince(t);
    return { ms, embedMs, sqlMs: ms - embedMs, ids: rows.map((r) => r.id), vector: vector! };
  };

  const dataKeys = new DataKeys<Queryable>(app.config.keys.kek, keyRepository);
  const stageMs = { embed: [] as number[], rawSql: [] as number[], keyword: [] as number[], vector: [] as number[] };
  const engramMs: number[] = [];
  const rawMs: number[] = [];
  const exactMs: number[] = [];
  let recallAnn = 0;
  let recallRaw = 0;
  let overlapFinal = 0;
  let rawShort = 0;
  for (let i = 0; i < opts.warmup + opts.queries; i++) {
    const u = cls.users[i % cls.users.length]!;
    const q = queryFor(opts.pool[u.items[Math.floor(rand() * u.items.length)]!]!, rand);
    // Which path goes first alternates, so neither always runs on caches the other warmed.
    let engram: Awaited<ReturnType<typeof engramQuery>>;
    let raw: Awaited<ReturnType<typeof rawQuery>>;
    if (i % 2 === 0) {
      engram = await engramQuery(u, q);
      raw = await rawQuery(u, q);
    } else {
      raw = await rawQuery(u, q);
      engram = await engramQuery(u, q);
    }
    if (i < opts.warmup) continue;
    engramMs.push(engram.ms);
    rawMs.push(raw.ms);

    // Untimed: the exact top 10 (an expression the index cannot serve: a scan of the user's rows) and
    // Engram's vector stage on the same query vector.
    const t = process.hrtime.bigint();
    const { rows } = await db.owner.query<{ id: string }>(
      `SELECT id FROM memory_chunks WHERE user_hash = $1 ORDER BY embedding <=> $2::vector, id LIMIT ${K}`,
      [u.hash, `[${raw.vector.join(',')}]`],
    );
    exactMs.push(msSince(t));
    const exact = new Set(rows.map((r) => r.id));
    // The pipeline's two statements replayed on their own, in a tenant transaction (search/pipeline.ts).
    const ann = await app.db.withTenant(u.hash, async (tx) => {
      const dek = await dataKeys.find(tx, u.hash);
      if (!dek) throw new Error(`${u.id} has no data key`);
      let ts = process.hrtime.bigint();
      const found = await keywordRepository.search(tx, u.hash, blindQuery(keywordKey(dek), q), stageK, {}, { bm25: SEARCH_DEFAULTS.bm25 });
      stageMs.keyword.push(msSince(ts));
      ts = process.hrtime.bigint();
      const candidates = await vectorCandidates(tx, {
        userHash: u.hash,
        embedding: raw.vector,
        dimensions: dims,
        k: stageK,
        filters: {},
        options: vectorOptions,
        include: found.hits.map((h) => h.chunkId),
        neighbourSpan: CONTEXT_DEFAULTS.weight > 0 ? CONTEXT_DEFAULTS.span : 0,
      });
      stageMs.vector.push(msSince(ts));
      return candidates.nearest;
    });
    stageMs.embed.push(raw.embedMs);
    stageMs.rawSql.push(raw.sqlMs);
    const share = (ids: readonly string[]) => ids.slice(0, K).filter((id) => exact.has(id)).length / exact.size;
    recallAnn += share(ann.map((h) => h.chunkId));
    recallRaw += share(raw.ids);
    overlapFinal += share(engram.ids);
    if (raw.ids.length < Math.min(K, u.items.length)) rawShort++;
  }
  const sizes = cls.users.map((u) => u.items.length);
  const exactPaths = sizes.filter((n) => n < vectorOptions.exactBelow).length;
  return {
    name: cls.name,
    sizes,
    queries: opts.queries,
    engram: latencySummary(engramMs),
    raw: latencySummary(rawMs),
    exactMs: latencySummary(exactMs).p50,
    recallAnn: recallAnn / opts.queries,
    recallRaw: recallRaw / opts.queries,
    overlapFinal: overlapFinal / opts.queries,
    rawShort,
    path: exactPaths === sizes.length ? 'exact' : exactPaths === 0 ? 'hnsw' : 'mixed',
    stages: {
      embed: latencySummary(stageMs.embed).p50,
      rawSql: latencySummary(stageMs.rawSql).p50,
      keyword: latencySummary(stageMs.keyword).p50,
      vector: latencySummary(stageMs.vector).p50,
      vectorP95: latencySummary(stageMs.vector).p95,
    },
  };
}

export interface ThroughputResult {
  seconds: number;
  concurrency: number;
  queries: number;
  qps: number;
  latency: ReturnType<typeof latencySummary>;
}

/**
 * Queries per second of the service without the model: `concurrency` clients send POST /query for
 * `seconds`, round robin over the classes' users (each class an equal share), with the query vectors
 * computed beforehand (the embedder answers them from memory). What the database and Engram's own
 * work sustain; the model's throughput (bench:embed) bounds a real deployment separately.
 */
export async function throughput(
  app: ScaleApp,
  embedder: BenchEmbedder,
  classes: readonly SizeClass[],
  opts: { pool: readonly PoolItem[]; seconds: number; concurrency: number; seed: number },
): Promise<ThroughputResult> {
  const rand = rng(opts.seed ^ 0x7a11);
  const users = classes.flatMap((c) => c.users.map((u, i) => ({ u, i }))).sort((a, b) => a.i - b.i).map((x) => x.u);
  const work = Array.from({ length: 200 }, (_, i) => {
    const u = users[i % users.length]!;
    return { u, q: queryFor(opts.pool[u.items[Math.floor(rand() * u.items.length)]!]!, rand) };
  });
  embedder.mode = 'model';
  const texts = [...new Set(work.map((w) => w.q))];
  const vectors = await embedder.embed(texts);
  texts.forEach((t, i) => embedder.register(t, vectors[i]!));
  for (const u of users) await app.token(u.id);
  embedder.mode = 'precomputed';
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();
  try {
    await closedLoop(opts.seconds * 1000, opts.concurrency, async (i) => {
      const { u, q } = work[i % work.length]!;
      const t = process.hrtime.bigint();
      await app.post('/api/v1/memory/query', u.id, { user_id: u.id, query: q, k: K }, 200);
      latencies.push(msSince(t));
    });
  } finally {
    embedder.mode = 'model';
    for (const t of texts) embedder.forget(t);
  }
  const seconds = msSince(t0) / 1000;
  return { seconds, concurrency: opts.concurrency, queries: latencies.length, qps: latencies.length / seconds, latency: latencySummary(latencies) };
}
