// Written by `npm run bench:calibrate` (bench/calibrate.ts); do not edit by hand.
import type { LogisticModel, RelevancePath } from './relevance.js';

export const RELEVANCE_MODELS: Record<RelevancePath, LogisticModel> = {
  hybrid: { intercept: -4, weights: { vector: 4, keyword: 4, keywordPresent: 0.5, context: 3, rerankLift: 0 } },
  'hybrid-reranked': { intercept: -4, weights: { vector: 4, keyword: 4, keywordPresent: 0.5, context: 3, rerankLift: 10 } },
  vector: { intercept: -5, weights: { vector: 6, keyword: 0, keywordPresent: 0, context: 3, rerankLift: 0 } },
  'vector-reranked': { intercept: -5, weights: { vector: 6, keyword: 0, keywordPresent: 0, context: 3, rerankLift: 10 } },
};
