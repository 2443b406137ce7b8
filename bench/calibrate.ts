// Fits the calibrated relevance (src/search/relevance.ts) on LoCoMo and reports how well it holds:
//   npx tsx bench/locomo.ts --modes hybrid,rerank,vector,vector-rerank --dump bench/results/locomo-hits.ndjson
//   npm run bench:calibrate -- [--dump bench/results/locomo-hits.ndjson] [--write]
// One logistic model per path (hybrid, hybrid-reranked, vector, vector-reranked) on the score parts of every hit
// (the top 30 of each question), labelled relevant when its turn is evidence of the question. Fitted on the tuning
// conversations only (TUNED_ON, as bench/locomo.ts); the expected calibration error (10 equal-width bins) is
// reported on the tuning and on the held-out conversations, before (the relevance the service gave) and after the
// fit, with precision and recall per relevance threshold 0.1-0.9. --write replaces src/search/relevance-model.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  logistic,
  RELEVANCE_FEATURES,
  relevanceFeatures,
  relevancePath,
  type LogisticModel,
  type RelevanceFeature,
  type RelevancePath,
} from '../src/search/relevance.js';
import type { HitScores } from '../src/search/pipeline.js';
import { expectedCalibrationError, fitLogistic } from './calibrate/logistic.js';

const TUNED_ON = ['conv-26', 'conv-30', 'conv-41'];
const PATHS: RelevancePath[] = ['hybrid', 'hybrid-reranked', 'vector', 'vector-reranked'];
const { values } = parseArgs({ options: { dump: { type: 'string' }, write: { type: 'boolean' } } });
const dumpPath = values.dump ?? fileURLToPath(new URL('./results/locomo-hits.ndjson', import.meta.url));

interface Row {
  answerable: boolean;
  rank: number;
  score: number;
  conversation: string;
  category: number;
  question: number;
  evidence: number;
  mode: string;
  reranked: boolean;
  relevant: boolean;
  relevance: number;
  scores: HitScores;
}
const rows = readFileSync(dumpPath, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Row);
const pathOf = (r: Row): RelevancePath => relevancePath(!r.mode.startsWith('vector'), r.reranked);
// Each query's scores in rank order: the best, the second, and each hit's next.
const byQuery = new Map<string, number[]>();
const queryKey = (r: Row) => `${r.mode}|${r.conversation}|${r.question}|${r.answerable}`;
for (const r of rows) {
  const list = byQuery.get(queryKey(r)) ?? [];
  list[r.rank - 1] = r.score;
  byQuery.set(queryKey(r), list);
}
const ranked = (r: Row) => {
  const list = byQuery.get(queryKey(r))!;
  return { scores: r.scores, score: r.score, rank: r.rank, next: list[r.rank] ?? r.score, top: list[0]!, second: list[1] ?? list[0]! };
};
const x = (r: Row) => RELEVANCE_FEATURES.map((f) => relevanceFeatures(ranked(r))[f]);

const models = {} as Record<RelevancePath, LogisticModel>;
const pct = (v: number) => (v * 100).toFixed(1).padStart(5);
console.log(`${rows.length} hits from ${dumpPath}; fitted on ${TUNED_ON.join(', ')}, checked on the others`);
console.log(`${'path'.padEnd(16)} ${'hits'.padStart(6)} ${'rel.%'.padStart(6)}   ECE before: tuned / held-out   ECE after: tuned / held-out`);
for (const path of PATHS) {
  const mine = rows.filter((r) => pathOf(r) === path);
  if (mine.length === 0) {
    console.log(`${path.padEnd(16)} no hits in the dump`);
    continue;
  }
  const tuned = mine.filter((r) => TUNED_ON.includes(r.conversation));
  const held = mine.filter((r) => !TUNED_ON.includes(r.conversation));
  const fitted = fitLogistic(
    tuned.map(x),
    tuned.map((r) => (r.relevant ? 1 : 0)),
  );
  const model: LogisticModel = {
    intercept: round(fitted.intercept),
    weights: Object.fromEntries(RELEVANCE_FEATURES.map((f, i) => [f, round(fitted.weights[i]!)])) as Record<RelevanceFeature, number>,
  };
  models[path] = model;
  const predict = (r: Row) => logistic(model, relevanceFeatures(ranked(r)));
  const ece = (set: Row[], p: (r: Row) => number) =>
    expectedCalibrationError(
      set.map(p),
      set.map((r) => (r.relevant ? 1 : 0)),
    );
  console.log(
    `${path.padEnd(16)} ${String(mine.length).padStart(6)} ${pct(mine.filter((r) => r.relevant).length / mine.length)}   ` +
      `${ece(tuned, (r) => r.relevance).toFixed(4)} / ${ece(held, (r) => r.relevance).toFixed(4)}              ` +
      `${ece(tuned, predict).toFixed(4)} / ${ece(held, predict).toFixed(4)}`,
  );
  // Precision and recall per threshold, over all conversations, with the fitted model.
  const evidence = sumEvidence(mine.filter((r) => r.answerable));
  const line = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((t) => {
    const kept = mine.filter((r) => predict(r) >= t);
    const hits = kept.filter((r) => r.relevant).length;
    return `${t.toFixed(1)}: P ${kept.length ? pct(hits / kept.length) : '    -'} R ${pct(hits / evidence)} (${kept.length})`;
  });
  console.log(`  thresholds  ${line.join('  ')}`);
}

if (values.write) {
  const file = fileURLToPath(new URL('../src/search/relevance-model.ts', import.meta.url));
  const body = PATHS.map((p) => `  ${p.includes('-') ? `'${p}'` : p}: ${JSON.stringify(models[p]).replace(/"(\w+)":/g, '$1: ').replace(/,/g, ', ').replace(/{/g, '{ ').replace(/}/g, ' }')},`);
  writeFileSync(
    file,
    [
      '// Written by `npm run bench:calibrate -- --write` (bench/calibrate.ts); do not edit by hand.',
      "import type { LogisticModel, RelevancePath } from './relevance.js';",
      '',
      'export const RELEVANCE_MODELS: Record<RelevancePath, LogisticModel> = {',
      ...body,
      '};',
      '',
    ].join('\n'),
  );
  console.log(`wrote ${file}`);
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

/** The evidence turns of the questions these rows answer (each question once per mode). */
function sumEvidence(set: Row[]): number {
  const seen = new Map<string, number>();
  for (const r of set) seen.set(`${r.mode}|${r.conversation}|${r.question}`, r.evidence);
  return [...seen.values()].reduce((a, b) => a + b, 0);
}
