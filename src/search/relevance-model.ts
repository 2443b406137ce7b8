// Written by `npm run bench:calibrate -- --write` (bench/calibrate.ts); do not edit by hand.
import type { LogisticModel, RelevancePath } from './relevance.js';

export const RELEVANCE_MODELS: Record<RelevancePath, LogisticModel> = {
  hybrid: { intercept: -9.4939, weights: { vector: 12.8815, keyword: 10.8478, keywordPresent: -0.2378, context: 12.7998, rerankLift: 0, logRank: -0.5401, first: 0.1618, gap: -7.5933, lead: 10.621, top: 16.6645, topLead: 1.6257, vector2: -12.3371, keyword2: -13.5104, top2: -20.49 } },
  'hybrid-reranked': { intercept: -9.4566, weights: { vector: 11.1909, keyword: 5.5684, keywordPresent: -0.331, context: 9.6017, rerankLift: 15.0157, logRank: -0.5391, first: 0.2528, gap: -11.7094, lead: 9.6508, top: 20.1631, topLead: 1.0849, vector2: -11.9708, keyword2: -12.0982, top2: -18.0809 } },
  vector: { intercept: -12.8416, weights: { vector: 13.3765, keyword: 0, keywordPresent: 0, context: 12.7826, rerankLift: 0, logRank: -0.5599, first: -0.2996, gap: -8.887, lead: 8.0892, top: 17.2721, topLead: 3.2686, vector2: -13.2657, keyword2: 0, top2: -8.4397 } },
  'vector-reranked': { intercept: -10.7878, weights: { vector: 1.1276, keyword: 0, keywordPresent: 0, context: -2.2685, rerankLift: 47.9947, logRank: -0.8122, first: -0.6761, gap: -22.1463, lead: 9.1829, top: 24.7075, topLead: 2.7023, vector2: -18.7266, keyword2: 0, top2: -3.5841 } },
};
