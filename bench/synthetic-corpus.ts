// A synthetic multi-tenant corpus for the filtered vector search bench: many users with Zipf-skewed
// sizes, clustered 512-d unit vectors, and the columns the search filters on (source, metadata,
// created_at). Deterministic for a seed, so a kept database and a fresh one hold the same data.
import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../src/store/database.js';

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function randomUnit(rand: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = gaussian(rand);
  return normalise(v);
}

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

export interface CorpusSpec {
  users: number;
  chunks: number;
  dim: number;
  seed: number;
  /** Zipf exponent of user sizes (rank r gets ∝ r^-s chunks). */
  zipf: number;
}

export const SOURCES = [
  ['chat', 0.7],
  ['email', 0.2],
  ['note', 0.1],
] as const;
export const KINDS = [
  ['event', 0.4],
  ['fact', 0.3],
  ['plan', 0.2],
  ['preference', 0.1],
] as const;
/** created_at spans this many days back from CORPUS_EPOCH. */
export const SPAN_DAYS = 365;
export const CORPUS_EPOCH = Date.UTC(2026, 0, 1);

const TOPICS = 256;
const TOPIC_WEIGHT = 1.0;
const USER_WEIGHT = 0.35;
const NOISE_WEIGHT = 0.9;

/**
 * Vectors are topic centre + user direction + noise, normalised: a user's chunks lean to a few
 * favourite topics (shared with other users, Zipf-popular) and slightly to the user's own direction,
 * so a small user's neighbours are drowned among other users' chunks on the same topics.
 */
export class SyntheticCorpus {
  readonly sizes: number[];
  readonly userHashes: string[];
  private readonly topics: Float32Array[];
  private readonly userDirs: Float32Array[];
  private readonly favourites: number[][];

  constructor(readonly spec: CorpusSpec) {
    const rand = rng(spec.seed);
    const weights = Array.from({ length: spec.users }, (_, r) => (r + 1) ** -spec.zipf);
    const total = weights.reduce((a, b) => a + b, 0);
    this.sizes = weights.map((w) => Math.max(1, Math.round((w / total) * spec.chunks)));
    this.userHashes = this.sizes.map((_, u) => createHash('sha256').update(`bench-user-${spec.seed}-${u}`).digest('hex'));
    this.topics = Array.from({ length: TOPICS }, () => randomUnit(rand, spec.dim));
    this.userDirs = this.sizes.map(() => randomUnit(rand, spec.dim));
    this.favourites = this.sizes.map(() => Array.from({ length: 5 }, () => this.popularTopic(rand)));
  }

  get totalChunks(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  private popularTopic(rand: () => number): number {
    // Zipf-ish popularity over topics: a few topics are everyone's.
    return Math.min(TOPICS - 1, Math.floor(TOPICS * rand() ** 2.5));
  }

  /** A vector as one of this user's chunks or queries would be: mostly favourite topics. */
  vector(user: number, rand: () => number): Float32Array {
    const fav = this.favourites[user]!;
    const topic = rand() < 0.75 ? fav[Math.floor(rand() * fav.length)]! : this.popularTopic(rand);
    const t = this.topics[topic]!;
    const d = this.userDirs[user]!;
    const noiseScale = NOISE_WEIGHT / Math.sqrt(this.spec.dim);
    const v = new Float32Array(this.spec.dim);
    for (let i = 0; i < v.length; i++) v[i] = TOPIC_WEIGHT * t[i]! + USER_WEIGHT * d[i]! + noiseScale * gaussian(rand);
    return normalise(v);
  }

  /** A query on a popular topic that is none of this user's favourites: the user's chunks are far. */
  offTopicVector(user: number, rand: () => number): Float32Array {
    const fav = new Set(this.favourites[user]);
    let topic = this.popularTopic(rand);
    while (fav.has(topic)) topic = (topic + 1) % TOPICS;
    const t = this.topics[topic]!;
    const noiseScale = NOISE_WEIGHT / Math.sqrt(this.spec.dim);
    const v = new Float32Array(this.spec.dim);
    for (let i = 0; i < v.length; i++) v[i] = TOPIC_WEIGHT * t[i]! + noiseScale * gaussian(rand);
    return normalise(v);
  }

  /** Every chunk of every user, in batches; `user` of each row, source, kind and created_at. */
  *rows(batch: number): Generator<ChunkRow[]> {
    const rand = rng(this.spec.seed ^ 0x5eed);
    let out: ChunkRow[] = [];
    for (let u = 0; u < this.sizes.length; u++) {
      for (let i = 0; i < this.sizes[u]!; i++) {
        out.push({
          user: u,
          embedding: this.vector(u, rand),
          source: pick(SOURCES, rand()),
          kind: pick(KINDS, rand()),
          createdAt: new Date(CORPUS_EPOCH - Math.floor(rand() * SPAN_DAYS * 86_400_000)),
        });
        if (out.length === batch) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length) yield out;
  }
}

export interface ChunkRow {
  user: number;
  embedding: Float32Array;
  source: string;
  kind: string;
  createdAt: Date;
}

function pick<T extends string>(table: readonly (readonly [T, number])[], x: number): T {
  let acc = 0;
  for (const [value, p] of table) {
    acc += p;
    if (x < acc) return value;
  }
  return table.at(-1)![0];
}

/** pgvector's binary wire format (vector_recv): int16 dim, int16 unused, float4 big-endian. */
export function vectorBinary(v: Float32Array): Buffer {
  const b = Buffer.alloc(4 + 4 * v.length);
  b.writeInt16BE(v.length, 0);
  for (let i = 0; i < v.length; i++) b.writeFloatBE(v[i]!, 4 + 4 * i);
  return b;
}

export const vectorText = (v: Float32Array | number[]) => `[${Array.from(v, (x) => x.toFixed(6)).join(',')}]`;

const DUMMY_CIPHERTEXT = Buffer.alloc(60, 0xab);

/**
 * Loads one batch as the owner: a memory per chunk (multi-row inserts). PostgreSQL gets the vectors
 * in pgvector's binary format (pg sends Buffer parameters as binary); PGlite gets text literals.
 */
export async function insertBatch(db: Queryable, corpus: SyntheticCorpus, rows: ChunkRow[], binary: boolean) {
  const memoryIds = rows.map(() => randomUUID());
  const mParams: unknown[] = [DUMMY_CIPHERTEXT];
  const mValues: string[] = [];
  const cParams: unknown[] = [DUMMY_CIPHERTEXT];
  const cValues: string[] = [];
  rows.forEach((r, i) => {
    const meta = JSON.stringify({ kind: r.kind });
    const base = mParams.length;
    mParams.push(memoryIds[i], corpus.userHashes[r.user], r.source, meta, r.createdAt);
    mValues.push(`($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}::jsonb, $1, 1, $${base + 5})`);
    const cb = cParams.length;
    cParams.push(
      randomUUID(),
      corpus.userHashes[r.user],
      memoryIds[i],
      binary ? vectorBinary(r.embedding) : vectorText(r.embedding),
      r.source,
      meta,
      r.createdAt,
    );
    cValues.push(
      `($${cb + 1}, $${cb + 2}, $${cb + 3}, 0, $1, $${cb + 4}::vector, 'bench-synthetic-512', $${cb + 5}, $${cb + 6}::jsonb, $${cb + 7})`,
    );
  });
  await db.query(
    `INSERT INTO memories (id, user_hash, source, metadata, text_ciphertext, chunk_count, created_at) VALUES ${mValues.join(',')}`,
    mParams,
  );
  await db.query(
    `INSERT INTO memory_chunks (id, user_hash, memory_id, ordinal, ciphertext, embedding, embedding_model, source, metadata, created_at)
     VALUES ${cValues.join(',')}`,
    cParams,
  );
}
