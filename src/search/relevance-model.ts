// Written by `npm run bench:calibrate -- --write` (bench/calibrate.ts); do not edit by hand.
import type { LogisticModel, RelevancePath } from './relevance.js';

export const RELEVANCE_MODELS: Record<RelevancePath, LogisticModel> = {
  hybrid: { intercept: -9.5584, weights: { vector: 13.1477, keyword: 11.8886, keywordPresent: -0.1429, context: 10.2756, rerankLift: 0, logRank: -0.5458, first: 0.1555, gap: -7.0833, lead: 8.5815, top: 15.4587, topLead: 3.4892, vector2: -12.1439, keyword2: -13.4052, top2: -20.5039 } },
  'hybrid-reranked': { intercept: -8.7132, weights: { vector: 5.5734, keyword: 7.7504, keywordPresent: -0.5878, context: 8.8887, rerankLift: 9.1876, logRank: -0.6305, first: 0.1141, gap: -8.9255, lead: 8.3336, top: 16.2481, topLead: 2.3921, vector2: -5.409, keyword2: -7.5039, top2: -16.403 } },
  vector: { intercept: -12.8467, weights: { vector: 14.1932, keyword: 0, keywordPresent: 0, context: 9.6668, rerankLift: 0, logRank: -0.5604, first: -0.2993, gap: -7.5055, lead: 8.8922, top: 16.3545, topLead: 2.3474, vector2: -12.781, keyword2: 0, top2: -8.6254 } },
  'vector-reranked': { intercept: -7.2136, weights: { vector: 0.8962, keyword: 0, keywordPresent: 0, context: 3.4871, rerankLift: 14.1417, logRank: -0.9981, first: -0.3661, gap: -10.5107, lead: 10.6871, top: 8.0143, topLead: 3.0054, vector2: -7.9938, keyword2: 0, top2: -0.9764 } },
};
