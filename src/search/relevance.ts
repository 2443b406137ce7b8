import type { HitScores, RankedHit, SearchHit } from './pipeline.js';
import { RELEVANCE_MODELS } from './relevance-model.js';

/**
 * Calibrated relevance: the estimated probability, in [0, 1], that a hit is relevant to its query,
 * so that a threshold means the same for every query ("0.5: more likely relevant than not").
 *
 * A logistic model on the hit's score parts and on where it stands among the query's hits (its rank,
 * its distance to the best hit, the best hit's score: a query whose best hit scores low has likely
 * nothing relevant), one per path, because each path sees other parts:
 * - `hybrid`: keyword index on, not reranked (rerank: false, or the reranker skipped, failed, timed out);
 * - `hybrid-reranked`: keyword index on, reranked by the offline reranker;
 * - `vector`, `vector-reranked`: the same with the keyword index off (KEYWORD_INDEX_ENABLED=false).
 * The models are fitted on the LoCoMo development split's tuning conversations by `npm run
 * bench:calibrate` (bench/calibrate.ts), which writes relevance-model.ts and reports the expected
 * calibration error on the held-out conversations (docs/BENCHMARKS.md, "Calibrated relevance"). The
 * fit sees each question asked of its own conversation and of another one, where nothing answers it:
 * the probabilities assume about half of all queries have an answer among the user's memories.
 *
 * An external reranker (RERANK_URL) is not modelled: its own score is mapped (HttpReranker.relevance:
 * Cohere-style scores are already probabilities, TEI's raw logits go through the logistic function).
 */
export type RelevancePath = 'hybrid' | 'hybrid-reranked' | 'vector' | 'vector-reranked';

export const RELEVANCE_FEATURES = [
  'vector',
  'keyword',
  'keywordPresent',
  'context',
  'rerankLift',
  'logRank',
  'first',
  'gap',
  'lead',
  'top',
  'topLead',
  'vector2',
  'keyword2',
  'top2',
] as const;
export type RelevanceFeature = (typeof RELEVANCE_FEATURES)[number];

export interface LogisticModel {
  intercept: number;
  weights: Record<RelevanceFeature, number>;
}

export function relevancePath(keywordIndex: boolean, reranked: boolean): RelevancePath {
  return `${keywordIndex ? 'hybrid' : 'vector'}${reranked ? '-reranked' : ''}`;
}

/**
 * A hit among its query's hits: its parts, its final score, its 1-based rank, the score of the hit
 * after it (its own when none), and the best and second-best scores.
 */
export interface RankedScores {
  scores: HitScores;
  score: number;
  rank: number;
  next: number;
  top: number;
  second: number;
}

/**
 * The model's inputs: the parts (absent ones count 0; rerankLift is what the reranker added), the rank
 * (its log, and whether it is the first), the gap to the best hit, the lead over the next one, the best
 * score and its lead over the second, and the squares that let the fit bend (a very high keyword share
 * is less telling than a high one: a question's own words spread over many chatty turns).
 */
export function relevanceFeatures({ scores, score, rank, next, top, second }: RankedScores): Record<RelevanceFeature, number> {
  const retrieval = scores.fused + scores.context;
  const vector = scores.vector ?? 0;
  const keyword = scores.keyword ?? 0;
  return {
    vector,
    keyword,
    keywordPresent: scores.keyword === null ? 0 : 1,
    context: scores.context,
    rerankLift: scores.rerank === null ? 0 : scores.rerank - retrieval,
    logRank: Math.log(rank),
    first: rank === 1 ? 1 : 0,
    gap: top - score,
    lead: score - next,
    top,
    topLead: top - second,
    vector2: vector * vector,
    keyword2: keyword * keyword,
    top2: top * top,
  };
}

export function logistic(model: LogisticModel, features: Record<RelevanceFeature, number>): number {
  let z = model.intercept;
  for (const f of RELEVANCE_FEATURES) z += model.weights[f] * features[f];
  return 1 / (1 + Math.exp(-z));
}

const round4 = (p: number) => Math.round(p * 10_000) / 10_000;

/** A hit's calibrated relevance on its path, rounded to 4 decimals. */
export function relevanceOf(path: RelevancePath, hit: RankedScores, models = RELEVANCE_MODELS): number {
  return round4(logistic(models[path], relevanceFeatures(hit)));
}

/**
 * The relevance of each hit of a ranked list (best first): the external reranker's own mapping when
 * it scored them, else the path's model. `beyond`: the score of the first candidate left out of the
 * list, the last hit's "next" (absent: its own score).
 */
export function withRelevance(
  hits: readonly RankedHit[],
  path: RelevancePath,
  options: { external?: (score: number) => number; beyond?: number } = {},
): SearchHit[] {
  const top = hits[0]?.score ?? 0;
  const second = hits[1]?.score ?? top;
  return hits.map((h, i) => {
    const next = hits[i + 1]?.score ?? options.beyond ?? h.score;
    const relevance = options.external
      ? round4(options.external(h.score))
      : relevanceOf(path, { scores: h.scores, score: h.score, rank: i + 1, next, top, second });
    return { ...h, relevance };
  });
}
