import type { HitScores } from './pipeline.js';
import { RELEVANCE_MODELS } from './relevance-model.js';

/**
 * Calibrated relevance: the estimated probability, in [0, 1], that a hit is relevant to its query,
 * so that a threshold means the same for every query ("0.5: more likely relevant than not").
 *
 * A logistic model on the hit's score parts, one per path, because each path sees other parts:
 * - `hybrid`: keyword index on, not reranked (rerank: false, or the reranker skipped, failed, timed out);
 * - `hybrid-reranked`: keyword index on, reranked by the offline reranker;
 * - `vector`, `vector-reranked`: the same with the keyword index off (KEYWORD_INDEX_ENABLED=false).
 * The models are fitted on the LoCoMo development split's tuning conversations by `npm run
 * bench:calibrate` (bench/calibrate.ts), which writes relevance-model.ts and reports the expected
 * calibration error on the held-out conversations (docs/BENCHMARKS.md, "Calibrated relevance").
 *
 * An external reranker (RERANK_URL) is not modelled: its own score is mapped (HttpReranker.relevance:
 * Cohere-style scores are already probabilities, TEI's raw logits go through the logistic function).
 */
export type RelevancePath = 'hybrid' | 'hybrid-reranked' | 'vector' | 'vector-reranked';

export const RELEVANCE_FEATURES = ['vector', 'keyword', 'keywordPresent', 'context', 'rerankLift'] as const;
export type RelevanceFeature = (typeof RELEVANCE_FEATURES)[number];

export interface LogisticModel {
  intercept: number;
  weights: Record<RelevanceFeature, number>;
}

export function relevancePath(keywordIndex: boolean, reranked: boolean): RelevancePath {
  return `${keywordIndex ? 'hybrid' : 'vector'}${reranked ? '-reranked' : ''}`;
}

/** The model's inputs from a hit's scores: absent parts count 0; rerankLift is what the reranker added. */
export function relevanceFeatures(scores: HitScores): Record<RelevanceFeature, number> {
  const retrieval = scores.fused + scores.context;
  return {
    vector: scores.vector ?? 0,
    keyword: scores.keyword ?? 0,
    keywordPresent: scores.keyword === null ? 0 : 1,
    context: scores.context,
    rerankLift: scores.rerank === null ? 0 : scores.rerank - retrieval,
  };
}

export function logistic(model: LogisticModel, features: Record<RelevanceFeature, number>): number {
  let z = model.intercept;
  for (const f of RELEVANCE_FEATURES) z += model.weights[f] * features[f];
  return 1 / (1 + Math.exp(-z));
}

/** A hit's calibrated relevance on its path, rounded to 4 decimals. */
export function relevanceOf(path: RelevancePath, scores: HitScores, models = RELEVANCE_MODELS): number {
  return Math.round(logistic(models[path], relevanceFeatures(scores)) * 10_000) / 10_000;
}
