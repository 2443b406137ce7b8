import { describe, expect, it } from 'vitest';
import { HttpReranker } from '../../../src/search/rerank/http-reranker.js';
import { relevanceFeatures, relevanceOf, relevancePath, type LogisticModel, type RelevancePath } from '../../../src/search/relevance.js';
import { RELEVANCE_MODELS } from '../../../src/search/relevance-model.js';

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
    expect(relevanceFeatures(scores({ keyword: 0.4, fused: 0.43, context: 0.05, rerank: 0.5 }))).toEqual({
      vector: 0.5,
      keyword: 0.4,
      keywordPresent: 1,
      context: 0.05,
      rerankLift: expect.closeTo(0.02),
    });
    expect(relevanceFeatures(scores())).toMatchObject({ keyword: 0, keywordPresent: 0, rerankLift: 0 });
  });

  it('is a probability on every path, higher for a keyword match than for the same cosine without one', () => {
    for (const path of Object.keys(RELEVANCE_MODELS) as RelevancePath[]) {
      for (const s of [scores(), scores({ vector: 1, keyword: 1, fused: 1, context: 0.3 }), scores({ vector: -1, fused: -0.3 })]) {
        const r = relevanceOf(path, s);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(1);
      }
    }
    expect(relevanceOf('hybrid', scores({ keyword: 0.8, fused: 0.71 }))).toBeGreaterThan(relevanceOf('hybrid', scores()));
  });

  it('applies the given model: sigmoid of the weighted parts', () => {
    const model: LogisticModel = { intercept: -1, weights: { vector: 2, keyword: 0, keywordPresent: 0, context: 0, rerankLift: 0 } };
    const models = { hybrid: model, 'hybrid-reranked': model, vector: model, 'vector-reranked': model };
    expect(relevanceOf('vector', scores({ vector: 0.5 }), models)).toBe(0.5);
    expect(relevanceOf('vector', scores({ vector: 1 }), models)).toBeCloseTo(1 / (1 + Math.exp(-1)), 4);
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
