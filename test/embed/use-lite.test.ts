import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUseLiteEmbedder } from '../../src/embed/use-lite.js';
import type { Embedder } from '../../src/embed/embedder.js';

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('USE-lite embedder (real model, worker threads)', () => {
  let embedder: Embedder;

  beforeAll(() => {
    embedder = createUseLiteEmbedder({ threads: 2 });
  });

  afterAll(async () => {
    await embedder.close();
  });

  it('reports its model and dimensions', () => {
    expect(embedder.model).toBe('use-lite-512');
    expect(embedder.dimensions).toBe(512);
  });

  it('is not ready before init, ready after; init is idempotent and concurrency-safe', async () => {
    expect(embedder.isReady()).toBe(false);
    await Promise.all([embedder.init(), embedder.init()]);
    expect(embedder.isReady()).toBe(true);
    await embedder.init();
    expect(embedder.isReady()).toBe(true);
  }, 60_000);

  it('returns [] for no texts', async () => {
    expect(await embedder.embed([])).toEqual([]);
  });

  it('returns finite 512-d vectors of about unit length', async () => {
    const vectors = await embedder.embed(['Hello world', 'Ünïcödé and emoji 🐶 text', ' ', '']);
    expect(vectors).toHaveLength(4);
    for (const v of vectors) {
      expect(v).toHaveLength(512);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 2);
    }
  });

  it('preserves input order for a batch embedded concurrently across the pool', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `Memory number ${i}: the user mentioned topic ${i * 7} today.`);
    // Reference vectors, one text at a time.
    const reference: number[][] = [];
    for (const t of texts) {
      const [v] = await embedder.embed([t]);
      reference.push(v!);
    }
    // Same texts as one batch plus two overlapping concurrent calls.
    const [batch, reversed] = await Promise.all([embedder.embed(texts), embedder.embed([...texts].reverse())]);
    expect(batch).toHaveLength(20);
    for (let i = 0; i < texts.length; i++) {
      expect(cosine(batch[i]!, reference[i]!)).toBeGreaterThan(0.9999);
      expect(cosine(reversed[texts.length - 1 - i]!, reference[i]!)).toBeGreaterThan(0.9999);
    }
    // And the vectors really differ from text to text.
    expect(cosine(batch[0]!, batch[1]!)).toBeLessThan(0.9999);
  });

  it('scores semantically close sentences higher than unrelated ones', async () => {
    const [puppy, dog, stocks] = await embedder.embed([
      'I adopted a puppy last week',
      'We got a new dog',
      'The stock market fell',
    ]);
    const close = cosine(puppy!, dog!);
    expect(close).toBeGreaterThan(cosine(puppy!, stocks!));
    expect(close).toBeGreaterThan(cosine(dog!, stocks!));
  });

  it('rejects an invalid threads option', () => {
    expect(() => createUseLiteEmbedder({ threads: 0 })).toThrow(RangeError);
    expect(() => createUseLiteEmbedder({ threads: 1.5 })).toThrow(RangeError);
  });

  it('rejects non-string input without touching the pool', async () => {
    await expect(embedder.embed([42 as unknown as string])).rejects.toThrow(TypeError);
  });

  // Last: closes the file's shared embedder.
  it('close() makes it not ready and later calls reject', async () => {
    await embedder.close();
    expect(embedder.isReady()).toBe(false);
    await expect(embedder.embed(['after close'])).rejects.toThrow(/closed/);
    await expect(embedder.init()).rejects.toThrow(/closed/);
    await embedder.close(); // idempotent
  });
});

describe('USE-lite worker', () => {
  it('rejects bad tasks instead of crashing the thread', async () => {
    const pool = new Piscina({
      filename: fileURLToPath(new URL('../../src/embed/use-lite.worker.js', import.meta.url)),
      minThreads: 1,
      maxThreads: 1,
    });
    try {
      await expect(pool.run({ kind: 'nope' })).rejects.toThrow(/unknown task kind/);
      await expect(pool.run({ kind: 'embed', texts: [1, 2] })).rejects.toThrow(/array of strings/);
      await expect(pool.run({ kind: 'embed', texts: [] })).resolves.toEqual([]);
    } finally {
      await pool.destroy();
    }
  });
});
