import { describe, expect, it } from 'vitest';
import { spreadContext } from '../../../src/search/context.js';
import { bm25Ceiling, fuse } from '../../../src/search/fusion.js';
import type { ChunkHit } from '../../../src/store/memory-repository.js';

const hit = (id: string, score: number): ChunkHit => ({
  chunkId: id,
  memoryId: `m-${id}`,
  ordinal: 0,
  ciphertext: new Uint8Array(),
  source: null,
  metadata: {},
  createdAt: new Date(0),
  score,
});
const kw = (id: string, bm25: number, cosine: number | null) => ({ ...hit(id, bm25), bm25, cosine });

describe('fusion', () => {
  it('the BM25 ceiling counts every query term, found or not', () => {
    const df = new Map([['a', 1]]);
    const found = Math.log(1 + (10 - 1 + 0.5) / 1.5) * 2.2;
    const absent = Math.log(1 + 10.5 / 0.5) * 2.2;
    expect(bm25Ceiling(10, df, ['a'], 1.2)).toBeCloseTo(found);
    expect(bm25Ceiling(10, df, ['a', 'b', 'a'], 1.2)).toBeCloseTo(found + absent);
  });

  it('fuses on an absolute scale: (1-w)·cosine + w·BM25 share, absent parts count 0', () => {
    const out = fuse([hit('v', 0.5), hit('both', 0.4)], { hits: [kw('both', 5, 0.4), kw('k', 10, 0.2)], ceiling: 10 }, { keywordWeight: 0.7 });
    const by = Object.fromEntries(out.map((c) => [c.hit.chunkId, c.scores]));
    expect(by.v).toEqual({ vector: 0.5, keyword: null, fused: expect.closeTo(0.15), context: 0, retrieval: expect.closeTo(0.15) });
    expect(by.both!.keyword).toBe(0.5);
    expect(by.both!.fused).toBeCloseTo(0.3 * 0.4 + 0.7 * 0.5);
    expect(by.k!.fused).toBeCloseTo(0.3 * 0.2 + 0.7 * 1);
    expect(out.map((c) => c.hit.chunkId)).toEqual(['k', 'both', 'v']);
  });

  it('without the keyword side the fused score is the cosine', () => {
    expect(fuse([hit('v', 0.42)], null)[0]!.scores.fused).toBe(0.42);
  });

  it('an unrelated query (no query term in any memory) scores its keyword part 0', () => {
    expect(fuse([hit('v', 0.3)], { hits: [], ceiling: 12 })[0]!.scores.fused).toBeCloseTo(0.09);
  });
});

describe('conversation context', () => {
  it('a candidate gains a share of its best neighbour\'s lead and never passes it', () => {
    const cands = fuse([hit('a', 0.9), hit('b', 0.3), hit('c', 0.5), hit('far', 0.4)], null);
    const out = spreadContext(cands, new Map([['b', ['a', 'x']], ['c', ['b']], ['a', ['b']]]), { span: 2, weight: 0.5 });
    const by = Object.fromEntries(out.map((c) => [c.hit.chunkId, c.scores.retrieval]));
    expect(by.a).toBe(0.9);
    expect(by.b).toBeCloseTo(0.3 + 0.5 * 0.6);
    // The parts stay apart: b's own fusion and its lift.
    const b = out.find((c) => c.hit.chunkId === 'b')!.scores;
    expect(b.fused).toBe(0.3);
    expect(b.context).toBeCloseTo(0.5 * 0.6);
    expect(by.c).toBe(0.5); // its neighbour b (own score 0.3) trails it
    expect(by.far).toBe(0.4);
    expect(out.map((c) => c.hit.chunkId)).toEqual(['a', 'b', 'c', 'far']);
  });
});
