import { Budget } from './compose.js';
import { unitLine, wordCount, type SentenceUnit } from './sentences.js';
import type { SummaryStyle } from './types.js';

/**
 * Extractive summarization over sentence embeddings:
 *  1. salience = the mean of two scores: cosine similarity to the centroid of all sentences (what
 *     the text is mostly about) and TextRank centrality (PageRank over the cosine-similarity graph:
 *     sentences many others resemble, scaled onto the same range), times a prior that discounts
 *     fragments (< 12 words, "Thanks!", "Hey Mel!") and questions (in chat, the answer carries the content);
 *  2. with a focus (the query of a query summary), salience is averaged with similarity to it;
 *  3. Maximal Marginal Relevance picks sentences one at a time: salience minus similarity to what
 *     is already picked, so near-duplicates are left out; a sentence that would overflow
 *     `maxChars` is skipped, and picking stops at `maxSentences`;
 *  4. the picked sentences are shown in reading order (timeline: by memory time).
 * Pure and deterministic: no I/O, the caller embeds.
 */

export interface ExtractiveOptions {
  style: SummaryStyle;
  maxSentences: number;
  maxChars: number;
  /** Embedding of what the summary should be about (a query), if any. */
  focus?: number[];
  tuning?: Partial<ExtractiveTuning>;
}

export interface Picked {
  unit: SentenceUnit;
  /** The sentence as shown ("Speaker: text"), possibly cut to fit. */
  line: string;
}

/** The algorithm's constants (overridable for experiments; the service uses these). */
export const EXTRACTIVE_TUNING = {
  /** Weight of salience against redundancy in MMR. */
  mmrLambda: 0.6,
  /** Share of TextRank (vs centroid similarity) in salience. */
  rankWeight: 0.5,
  /** Sentences with fewer words are discounted in proportion. */
  fullSentenceWords: 12,
  questionPrior: 0.75,
  /** Share of query similarity in the score of a query summary. */
  focusWeight: 0.5,
};
export type ExtractiveTuning = typeof EXTRACTIVE_TUNING;

const DAMPING = 0.85;
const PAGERANK_ITERATIONS = 50;

export function extractiveSummary(units: readonly SentenceUnit[], vectors: readonly number[][], opts: ExtractiveOptions): Picked[] {
  if (units.length !== vectors.length) throw new Error('extractive: one vector per sentence expected');
  if (units.length === 0) return [];
  const v = vectors.map(normalize);
  const sim = v.map((a) => v.map((b) => dot(a, b)));
  const tune = { ...EXTRACTIVE_TUNING, ...opts.tuning };
  const salience = salienceScores(units, v, sim, tune, opts.focus);

  const budget = new Budget(opts.style, opts.maxSentences, opts.maxChars);
  const picked: number[] = [];
  const open = new Set(units.map((_, i) => i));
  while (!budget.full && open.size > 0) {
    let best = -1;
    let bestScore = -Infinity;
    for (const i of open) {
      const redundancy = picked.length ? Math.max(...picked.map((j) => sim[i]![j]!)) : 0;
      const mmr = tune.mmrLambda * salience[i]! - (1 - tune.mmrLambda) * redundancy;
      if (mmr > bestScore) {
        bestScore = mmr;
        best = i;
      }
    }
    open.delete(best);
    const unit = units[best]!;
    if (!budget.fits(unitLine(unit), unit.chunk.createdAt)) continue;
    budget.take(unitLine(unit), unit.chunk.createdAt);
    picked.push(best);
  }

  let result: Picked[];
  if (picked.length > 0) {
    result = picked.map((i) => ({ unit: units[i]!, line: unitLine(units[i]!) }));
  } else {
    // Not even one sentence fits max_chars: the most salient one, cut.
    const top = salience.indexOf(Math.max(...salience));
    const unit = units[top]!;
    result = [{ unit, line: budget.truncate(unitLine(unit), unit.chunk.createdAt) }];
  }
  return result.sort((a, b) =>
    opts.style === 'timeline'
      ? a.unit.chunk.createdAt.getTime() - b.unit.chunk.createdAt.getTime() || a.unit.position - b.unit.position
      : a.unit.position - b.unit.position,
  );
}

function salienceScores(
  units: readonly SentenceUnit[],
  v: number[][],
  sim: number[][],
  tune: ExtractiveTuning,
  focus?: number[],
): number[] {
  const centroid = normalize(v.reduce((acc, x) => acc.map((s, d) => s + x[d]!), new Array<number>(v[0]!.length).fill(0)));
  const central = v.map((x) => dot(x, centroid));
  // TextRank scaled onto the centroid similarities' range, so the sum weighs both alike. Scores stay
  // on the cosine scale (not stretched to 0..1): a near-duplicate's redundancy can outweigh them in MMR.
  const rank = textRank(sim);
  const rankScale = Math.max(...central) / Math.max(...rank);
  let scores = units.map(
    (u, i) => ((1 - tune.rankWeight) * central[i]! + tune.rankWeight * rank[i]! * rankScale) * prior(u.text, tune),
  );
  if (focus) {
    const f = normalize(focus);
    scores = scores.map((s, i) => (1 - tune.focusWeight) * s + tune.focusWeight * dot(v[i]!, f));
  }
  return scores;
}

function prior(text: string, tune: ExtractiveTuning): number {
  const words = Math.min(1, wordCount(text) / tune.fullSentenceWords);
  return text.trimEnd().endsWith('?') ? words * tune.questionPrior : words;
}

/** PageRank over the graph whose edge weights are the positive cosine similarities. */
export function textRank(sim: readonly number[][]): number[] {
  const n = sim.length;
  const weights = sim.map((row, i) => row.map((s, j) => (i === j ? 0 : Math.max(0, s))));
  const outSum = weights.map((row) => row.reduce((a, b) => a + b, 0));
  let rank = new Array<number>(n).fill(1 / n);
  for (let iter = 0; iter < PAGERANK_ITERATIONS; iter++) {
    const next = new Array<number>(n).fill((1 - DAMPING) / n);
    for (let j = 0; j < n; j++) {
      // A sentence similar to nothing spreads its rank evenly (a dangling node).
      if (outSum[j] === 0) {
        for (let i = 0; i < n; i++) next[i]! += (DAMPING * rank[j]!) / n;
        continue;
      }
      const share = (DAMPING * rank[j]!) / outSum[j]!;
      for (let i = 0; i < n; i++) next[i]! += share * weights[j]![i]!;
    }
    const delta = next.reduce((a, x, i) => a + Math.abs(x - rank[i]!), 0);
    rank = next;
    if (delta < 1e-9) break;
  }
  return rank;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normalize(a: readonly number[]): number[] {
  const norm = Math.sqrt(dot(a, a));
  return norm > 0 ? a.map((x) => x / norm) : a.slice();
}
