import { describe, expect, it } from 'vitest';
import { HttpReranker } from '../../../src/search/rerank/http-reranker.js';
import { relevanceFeatures, relevanceOf, relevancePath, type LogisticModel, type RelevancePath } from '../../../src/search/relevance.js';
import { RELEVANCE_MODELS } from '../../../src/search/relevance-model.js';

const ranked = (s: ReturnType<typeof scores>, at: Partial<{ score: number; rank: number; next: number; top: number; second: number }> = {}) => {
  const score = at.score ?? s.rerank ?? s.fused + s.context;
  return { scores: s, score, rank: 1, next: score, top: score, second: score, ...at };
};
const scores = (over: Partial<{ vector: number | null; keyword: number | null; fused: number; context: number; rerank: number | null }> = {}) => ({
  vector: 0.5,
  keyword: null,
  fused: 0.15,
  context: 0,
  rerank: null,
  ...over,
});

describe('calibrated relevance', () => {
  it('names the path by keyword index and reranking', () => {
    expect(relevancePath(true, true)).toBe('hybrid-reranked');
    expect(relevancePath(true, false)).toBe('hybrid');
    expect(relevancePath(false, true)).toBe('vector-reranked');
    expect(relevancePath(false, false)).toBe('vector');
  });

  it('reads absent parts as 0 and the reranker as what it added to the retrieval score', () => {
    expect(relevanceFeatures(ranked(scores({ keyword: 0.4, fused: 0.43, context: 0.05, rerank: 0.5 }), { rank: 2, next: 0.3, top: 0.6, second: 0.5 }))).toEqual({
      vector: 0.5,
      keyword: 0.4,
      keywordPresent: 1,
      context: 0.05,
      rerankLift: expect.closeTo(0.02),
      logRank: Math.log(2),
      first: 0,
      gap: expect.closeTo(0.1),
      lead: expect.closeTo(0.2),
      top: 0.6,
      topLead: expect.closeTo(0.1),
      vector2: 0.25,
      keyword2: expect.closeTo(0.16),
      top2: expect.closeTo(0.36),
    });
    expect(relevanceFeatures(ranked(scores()))).toMatchObject({ keyword: 0, keywordPresent: 0, rerankLift: 0, first: 1, gap: 0, lead: 0 });
  });

  it('is a probability on every path, higher for a keyword match than for the same cosine without one', () => {
    for (const path of Object.keys(RELEVANCE_MODELS) as RelevancePath[]) {
      for (const s of [scores(), scores({ vector: 1, keyword: 1, fused: 1, context: 0.3 }), scores({ vector: -1, fused: -0.3 })]) {
        const r = relevanceOf(path, ranked(s));
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(1);
      }
    }
    // A clear keyword match well ahead of the rest, against a weak best hit found by meaning alone.
    expect(relevanceOf('hybrid', ranked(scores({ keyword: 0.8, fused: 0.71 }), { next: 0.3, second: 0.3 }))).toBeGreaterThan(0.5);
    expect(relevanceOf('hybrid', ranked(scores({ vector: 0.3, fused: 0.09 }), { next: 0.08, second: 0.08 }))).toBeLessThan(0.1);
    // Lower in the same list, less relevant.
    const first = relevanceOf('hybrid-reranked', ranked(scores({ keyword: 0.6, fused: 0.57, rerank: 0.6 }), { next: 0.4, second: 0.4 }));
    const third = relevanceOf('hybrid-reranked', ranked(scores({ keyword: 0.3, fused: 0.36, rerank: 0.38 }), { rank: 3, next: 0.35, top: 0.6, second: 0.4 }));
    expect(first).toBeGreaterThan(third);
  });

  it('applies the given model: sigmoid of the weighted parts', () => {
    const zero = { vector: 0, keyword: 0, keywordPresent: 0, context: 0, rerankLift: 0, logRank: 0, first: 0, gap: 0, lead: 0, top: 0, topLead: 0, vector2: 0, keyword2: 0, top2: 0 };
    const model: LogisticModel = { intercept: -1, weights: { ...zero, vector: 2 } };
    const models = { hybrid: model, 'hybrid-reranked': model, vector: model, 'vector-reranked': model };
    expect(relevanceOf('vector', ranked(scores({ vector: 0.5 })), models)).toBe(0.5);
    expect(relevanceOf('vector', ranked(scores({ vector: 1 })), models)).toBeCloseTo(1 / (1 + Math.exp(-1)), 4);
  });

  it("maps an external reranker's score: probabilities as they are, logits through the logistic function", () => {
    const cohere = new HttpReranker({ url: 'http://rerank.test/v2/rerank' });
    expect(cohere.relevance(0.83)).toBe(0.83);
    expect(cohere.relevance(1.2)).toBe(1);
    const tei = new HttpReranker({ url: 'http://tei.test/rerank', format: 'tei' });
    expect(tei.relevance(0)).toBe(0.5);
    expect(tei.relevance(4)).toBeCloseTo(0.982, 3);
    expect(new HttpReranker({ url: 'http://tei.test/rerank', format: 'tei', scoreScale: 'probability' }).relevance(0.3)).toBe(0.3);
  });
});
