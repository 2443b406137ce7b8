// The corpus of the scale bench (bench/scale.ts): a pool of distinct texts made from LoCoMo turns, a
// skewed size per user, each user's sample of the pool rendered with the user's own names, each stored
// vector the pool text's real embedding plus a small deterministic jitter, and queries derived from a
// user's own memories. Everything is deterministic for a seed.
import { createHash } from 'node:crypto';
import { chunkText } from '../../src/memory/chunker.js';
import { sessionsOf, type LocomoSample } from '../common.js';
import { rng } from '../synthetic-corpus.js';

/** One pool item: consecutive or paired turns of one conversation (speaker 0 = speaker_a, 1 = speaker_b). */
export interface PoolItem {
  turns: { speaker: 0 | 1; text: string }[];
  /** The conversation's speaker names, as the base text is rendered (and embedded). */
  names: [string, string];
}

/** Rendered texts stay below this, so that each is one chunk (the chunker cuts at 800) even with longer names. */
const MAX_BASE_CHARS = 680;
/** Pairs (turn i, turn i+d) of a conversation for d in 2..MAX_GAP, after windows of 1..4 consecutive turns of a session. */
const MAX_GAP = 60;

export function render(item: PoolItem, names: readonly [string, string] = item.names): string {
  return item.turns.map((t) => `${names[t.speaker]}: ${t.text}`).join(' ');
}

/**
 * Every candidate pool item of the data (windows of 1–4 consecutive turns of a session, and pairs of
 * turns d = 2..60 apart in a conversation), distinct and short enough, in a seeded random order that does
 * not depend on how many are wanted: a pool of N is a prefix of a pool of M > N (the vector cache grows).
 */
export function candidatePool(samples: readonly LocomoSample[], seed: number): PoolItem[] {
  const seen = new Set<string>();
  const out: PoolItem[] = [];
  const add = (item: PoolItem) => {
    const text = render(item);
    if (text.length > MAX_BASE_CHARS || seen.has(text)) return;
    seen.add(text);
    out.push(item);
  };
  for (const sample of samples) {
    const a = String(sample.conversation.speaker_a ?? 'A');
    const b = String(sample.conversation.speaker_b ?? 'B');
    const names: [string, string] = [a, b];
    const sessions = sessionsOf(sample).map((session) =>
      session.turns
        .filter((t) => typeof t.text === 'string' && t.text.trim())
        .map((t) => ({ speaker: (t.speaker === b ? 1 : 0) as 0 | 1, text: t.text.replace(/\s+/g, ' ').trim() })),
    );
    for (const turns of sessions) {
      for (let w = 1; w <= 4; w++) for (let i = 0; i + w <= turns.length; i++) add({ turns: turns.slice(i, i + w), names });
    }
    const all = sessions.flat();
    for (let d = 2; d <= MAX_GAP; d++) for (let i = 0; i + d < all.length; i++) add({ turns: [all[i]!, all[i + d]!], names });
  }
  const rand = rng(seed ^ 0x9001);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// User sizes: a power law r^-s over users ranked by size, s chosen so that the largest user holds the
// wanted share; the total is exact.
// ---------------------------------------------------------------------------------------------------

export function userSizes(users: number, chunks: number, largest: number): { sizes: number[]; exponent: number } {
  if (chunks < users) throw new Error('--chunks must be at least --users (every user has a chunk)');
  if (largest * users < chunks) throw new Error('--largest is too small for this many chunks per user');
  const sum = (s: number) => {
    let t = 0;
    for (let r = 1; r <= users; r++) t += r ** -s;
    return t;
  };
  // sum(s) falls from `users` (s = 0) towards 1; we want sum(s) = chunks / largest.
  const target = chunks / largest;
  let lo = 0;
  let hi = 8;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (sum(mid) > target) lo = mid;
    else hi = mid;
  }
  const s = (lo + hi) / 2;
  const c = chunks / sum(s);
  const sizes = Array.from({ length: users }, (_, r) => Math.max(1, Math.round(c * (r + 1) ** -s)));
  // Rounding leaves a small difference: the largest users absorb it.
  let diff = chunks - sizes.reduce((a, b) => a + b, 0);
  for (let r = 0; diff !== 0; r = (r + 1) % users) {
    const step = Math.sign(diff);
    if (sizes[r]! + step < 1) continue;
    sizes[r]! += step;
    diff -= step;
  }
  return { sizes, exponent: s };
}

export function describeSizes(sizes: readonly number[]) {
  const sorted = [...sizes].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { min: sorted[0]!, p10: at(10), median: at(50), p90: at(90), p99: at(99), max: sorted.at(-1)!, top: sorted.slice(-5).reverse() };
}

// ---------------------------------------------------------------------------------------------------
// Users: names, samples of the pool, texts and vectors
// ---------------------------------------------------------------------------------------------------

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'da', 'fe', 'go', 'ha', 'ji', 'ma', 'no', 'pa', 're', 'si', 'tu', 'ze'];
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const syl = (n: number, count: number) => {
  let out = '';
  for (let i = 0; i < count; i++, n = Math.floor(n / SYLLABLES.length)) out += SYLLABLES[n % SYLLABLES.length];
  return out;
};

/**
 * The user's two speaker names, made of syllables from the user's number: unique per user (up to
 * 20^5 users), and never one user's first name for another's second (two syllables against three), so
 * every rendered text belongs to one user only.
 */
export function userNames(user: number): [string, string] {
  const last = cap(syl(Math.floor(user / 400), 3));
  return [`${cap(syl(user % 400, 2))} ${last}`, `${cap(syl(user % 400, 2))}n ${last}`];
}

/** `count` distinct pool indexes for a user, seeded (a partial Fisher–Yates over a sparse map). */
export function userSample(user: number, count: number, poolSize: number, seed: number): number[] {
  if (count > poolSize) throw new Error(`a user with ${count} chunks needs a pool of at least ${count} texts (--pool)`);
  const rand = rng((seed * 2654435761) ^ (user + 1));
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (poolSize - i));
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(vj);
  }
  return out;
}

/** The one chunk Engram makes of a text (the embedder is asked for exactly this string). */
export function singleChunk(text: string): string {
  const pieces = chunkText(text);
  if (pieces.length !== 1) throw new Error(`a corpus text became ${pieces.length} chunks: ${text.slice(0, 80)}…`);
  return pieces[0]!;
}

/**
 * The stored vector of a user's text: the base text's real embedding plus Gaussian noise of norm about
 * `jitter` seeded by the text (cosine to the base about 1/√(1+jitter²)), normalised. Without it a pool
 * text held by several users would be the same vector several times, and pgvector's HNSW keeps
 * identical vectors as one graph element (up to 10 heap pointers each): a smaller, easier index than
 * real data gives.
 */
export function jittered(base: Float32Array, text: string, jitter: number): number[] {
  const seed = createHash('sha1').update(text).digest().readUInt32LE(0);
  const rand = rng(seed);
  const scale = jitter / Math.sqrt(base.length);
  const v = new Array<number>(base.length);
  let norm = 0;
  for (let i = 0; i < base.length; i++) {
    const u = 1 - rand();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    const x = base[i]! + scale * g;
    v[i] = x;
    norm += x * x;
  }
  const n = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/**
 * A query about one of the user's memories: up to 10 words of one of its turns, from a seeded offset,
 * without the speaker. Never a stored text, so both paths embed it with the model.
 */
export function queryFor(item: PoolItem, rand: () => number): string {
  const turn = item.turns[Math.floor(rand() * item.turns.length)]!;
  const words = turn.text.split(' ');
  if (words.length <= 10) return words.join(' ');
  const from = Math.floor(rand() * (words.length - 9));
  return words.slice(from, from + 10).join(' ');
}
