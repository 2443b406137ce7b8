// Loading the corpus through Engram's write path (POST /index/batch via app.inject) with precomputed
// vectors, and the ingest comparison with the real model: Engram's batch route against the raw path
// (the same model + one multi-row INSERT into a plain pgvector table), alternated slice by slice.
import { randomUUID } from 'node:crypto';
import { Limits } from '../../src/memory/limits.js';
import { msSince, promisePool } from '../common.js';
import type { BenchEmbedder } from './bench-embedder.js';
import { jittered, render, singleChunk, userNames, type PoolItem } from './corpus.js';
import type { ScaleApp } from './app.js';
import type { BenchDatabase } from './database.js';

export interface UserPlan {
  /** The user's number (rank by size: 0 is the largest). */
  user: number;
  id: string;
  hash: string;
  /** Pool indexes of the user's memories. */
  items: number[];
}

type BatchResult = { stored: number; deduplicated: number; failed: number };

export interface LoadOptions {
  pool: readonly PoolItem[];
  vectors: readonly Float32Array[];
  jitter: number;
  batchSize: number;
  concurrency: number;
}

/** Loads every user's memories; returns the wall seconds. Prints progress with a rate and an estimate of the rest. */
export async function loadCorpus(app: ScaleApp, embedder: BenchEmbedder, users: readonly UserPlan[], opts: LoadOptions): Promise<number> {
  const tasks: { plan: UserPlan; from: number }[] = [];
  for (const plan of users) for (let from = 0; from < plan.items.length; from += opts.batchSize) tasks.push({ plan, from });
  const total = users.reduce((n, u) => n + u.items.length, 0);
  let done = 0;
  let nextReport = 0;
  const tty = process.stdout.isTTY === true;
  embedder.mode = 'precomputed';
  const t0 = process.hrtime.bigint();
  try {
    await promisePool(tasks.length, opts.concurrency, async (i) => {
      const { plan, from } = tasks[i]!;
      const names = userNames(plan.user);
      const texts = plan.items.slice(from, from + opts.batchSize).map((p) => {
        const text = render(opts.pool[p]!, names);
        const piece = singleChunk(text);
        embedder.register(piece, jittered(opts.vectors[p]!, piece, opts.jitter));
        return { text, piece };
      });
      try {
        const res = await app.post<BatchResult>(
          '/api/v1/memory/index/batch',
          plan.id,
          { items: texts.map(({ text }) => ({ text })) },
          200,
        );
        if (res.stored !== texts.length) throw new Error(`batch of ${plan.id}: ${JSON.stringify(res).slice(0, 300)}`);
      } finally {
        for (const { piece } of texts) embedder.forget(piece);
      }
      done += texts.length;
      if (done >= nextReport) {
        // A terminal gets a line rewritten in place every 2%, a log a line every 5%.
        nextReport += Math.max(opts.batchSize, Math.ceil(total / (tty ? 50 : 20)));
        const s = msSince(t0) / 1000;
        const rate = done / s;
        const line = `  loaded ${done}/${total} memories, ${rate.toFixed(0)}/s, ${fmtDuration(s)} so far, about ${fmtDuration((total - done) / rate)} to go`;
        if (tty) process.stdout.write(`\r${line}   `);
        else console.log(line);
      }
    });
  } finally {
    embedder.mode = 'model';
  }
  if (tty) process.stdout.write('\n');
  return msSince(t0) / 1000;
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export interface IngestComparison {
  texts: number;
  /** Model alone on the texts of each slice, one call per slice: texts/s. */
  embedRate: number;
  /** Model + one multi-row INSERT per slice into the raw table: texts/s. */
  rawRate: number;
  /** Engram's batch route (real model), one request of up to 100 items at a time: memories/s. */
  engramRate: number;
}

/**
 * The real model on `count` pool texts written for new users (not in the loaded corpus): slices of
 * 2 batches alternate between the raw path and Engram so that both see the same machine load.
 * The raw table is a plain pgvector table with an HNSW index (distributed by user_hash on Citus).
 */
export async function compareIngest(
  app: ScaleApp,
  db: BenchDatabase,
  embedder: BenchEmbedder,
  opts: { pool: readonly PoolItem[]; count: number; firstUser: number },
): Promise<IngestComparison> {
  const dims = embedder.dimensions;
  await db.owner.query(
    `CREATE TABLE bench_raw_chunks (id uuid NOT NULL, user_hash text NOT NULL, text text NOT NULL, embedding vector(${dims}) NOT NULL,
                                    PRIMARY KEY (user_hash, id))`,
  );
  if (db.backend === 'citus') await db.owner.query(`SELECT create_distributed_table('bench_raw_chunks', 'user_hash')`);
  await db.owner.query(`CREATE INDEX ON bench_raw_chunks USING hnsw (embedding vector_cosine_ops)`);

  const batch = Limits.batchItems;
  const slice = 2 * batch;
  const count = Math.min(opts.count, opts.pool.length);
  let embedS = 0;
  let rawS = 0;
  let engramS = 0;
  embedder.mode = 'model';
  for (let from = 0; from < count; from += slice) {
    // One new user per slice, the same texts for both paths.
    const user = opts.firstUser + from / slice;
    const id = `scale-ingest-${user}`;
    const hash = app.hashUser(id);
    const names = userNames(user);
    const texts = opts.pool.slice(from, Math.min(count, from + slice)).map((item) => render(item, names));

    let t = process.hrtime.bigint();
    const vectors = await embedder.embed(texts.map(singleChunk));
    const embedded = msSince(t) / 1000;
    const params: unknown[] = [hash];
    const values = vectors.map((v, i) => `($${params.push(randomUUID())}, $1, $${params.push(texts[i])}, $${params.push(`[${v.join(',')}]`)}::vector)`);
    await db.raw.query(`INSERT INTO bench_raw_chunks (id, user_hash, text, embedding) VALUES ${values.join(', ')}`, params);
    rawS += msSince(t) / 1000;
    embedS += embedded;

    t = process.hrtime.bigint();
    for (let b = 0; b < texts.length; b += batch) {
      const items = texts.slice(b, b + batch).map((text) => ({ text }));
      const res = await app.post<BatchResult>('/api/v1/memory/index/batch', id, { items }, 200);
      if (res.stored !== items.length) throw new Error(`ingest comparison: ${JSON.stringify(res).slice(0, 300)}`);
    }
    engramS += msSince(t) / 1000;
  }
  await db.owner.query(`DROP TABLE bench_raw_chunks`);
  return { texts: count, embedRate: count / embedS, rawRate: count / rawS, engramRate: count / engramS };
}
