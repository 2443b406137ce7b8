// Retrieval quality on LoCoMo (protocol: ../shared/data/README.md), through the real HTTP API in-process:
//   npx tsx bench/locomo.ts [--backend pglite|postgres|citus] [--conversations conv-26,conv-30] [--concurrency C]
//                           [--data path/to/locomo-dev.json] [--modes cosine,keyword,fusion,hybrid,rerank]
//                           [--questions N] [--floor-recall10 X --floor-mrr Y] [--dump hits.ndjson]
// Search variants (--modes, default all), one database, the same pipeline reconfigured between them:
//   cosine  = vector candidates only;  keyword = blind BM25 only;  fusion = both fused, no context;
//   hybrid  = fusion + conversation context (the default pipeline, rerank:false);  rerank = hybrid + offline reranker;
//   vector / vector-rerank = the default pipeline with the keyword index off (KEYWORD_INDEX_ENABLED=false), without / with the reranker.
// --dump FILE writes every hit of every mode (NDJSON: conversation, category, mode, rank, whether its turn is evidence, the
// score parts, relevance), and the hits of each question asked of the next conversation too (answerable: false, none
// relevant): the input of bench/calibrate.ts.
// --questions N keeps the first N questions of each conversation (smoke runs). With a floor, the run exits 1
// when the last mode's overall recall@10 or MRR is below it (the CI smoke check, bench/locomo-smoke.sh).
// Per conversation: one user, one memory per turn ("<speaker>: <text>", plus " [image: <blip_caption>]" when
// the turn has an image), metadata {dia_id, session, date}, written in turn order (one writer per conversation,
// conversations in parallel) as a chat application writes them. Per question of categories 1-4: a query with
// k=30 over that user's memories; hits map back to turns through the dia_id in their metadata. Scores:
// evidence recall@1/5/10/30 (share of the question's evidence turns in the top k) and MRR of the first
// evidence turn (0 when none is in the top 30). Category 5 (adversarial) is excluded. Malformed evidence
// ids, and ids naming no turn of the conversation, are dropped; a question left without evidence is skipped.
// Prints a table per category and overall and writes a JSON report to bench/results/. No assertions.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SearchPipeline, type SearchPipelineOptions } from '../src/search/pipeline.js';
import {
  DEFAULT_LOCOMO_PATH,
  intOption,
  latencySummary,
  loadLocomo,
  msSince,
  parseBackend,
  promisePool,
  sessionsOf,
  startBenchApp,
  turnText,
  type LocomoSample,
} from './common.js';

const K_MAX = 30;
const KS = [1, 5, 10, 30] as const;
const CATEGORIES: Record<number, string> = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop' };
const EVIDENCE_ID = /^D\d+:\d+$/;

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    conversations: { type: 'string' },
    concurrency: { type: 'string' },
    data: { type: 'string' },
    modes: { type: 'string' },
    questions: { type: 'string' },
    'floor-recall10': { type: 'string' },
    'floor-mrr': { type: 'string' },
    dump: { type: 'string' },
  },
});
const MODES = {
  cosine: { keywordIndex: false, params: { context: { span: 0, weight: 0 } }, rerank: false },
  keyword: { keywordIndex: true, params: { fusion: { keywordWeight: 1 }, context: { span: 0, weight: 0 } }, rerank: false },
  fusion: { keywordIndex: true, params: { context: { span: 0, weight: 0 } }, rerank: false },
  hybrid: { keywordIndex: true, params: {}, rerank: false },
  rerank: { keywordIndex: true, params: {}, rerank: true },
  vector: { keywordIndex: false, params: {}, rerank: false },
  'vector-rerank': { keywordIndex: false, params: {}, rerank: true },
} satisfies Record<string, SearchPipelineOptions & { rerank: boolean }>;
type Mode = keyof typeof MODES;
const modes = (values.modes ?? 'cosine,keyword,fusion,hybrid,rerank').split(',').map((m) => m.trim()) as Mode[];
for (const m of modes) if (!(m in MODES)) throw new Error(`--modes: unknown mode ${m}; known: ${Object.keys(MODES).join(', ')}`);
const perConversation = values.questions === undefined ? Number.POSITIVE_INFINITY : intOption('questions', values.questions, 1, 10_000);
const floor = {
  recall10: values['floor-recall10'] === undefined ? undefined : Number(values['floor-recall10']),
  mrr: values['floor-mrr'] === undefined ? undefined : Number(values['floor-mrr']),
};
/** Conversations the search parameters were tuned on; the others are the held-out check (docs/BENCHMARKS.md). */
const TUNED_ON = ['conv-26', 'conv-30', 'conv-41'];
const backend = parseBackend(values.backend);
const concurrency = intOption('concurrency', values.concurrency, 4, 64);
const dataPath = values.data ?? DEFAULT_LOCOMO_PATH;
const all = loadLocomo(dataPath);
let samples: LocomoSample[] = all;
if (values.conversations) {
  const wanted = values.conversations.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((id) => !all.some((s) => s.sample_id === id));
  if (unknown.length > 0) {
    throw new Error(`unknown conversation(s) ${unknown.join(', ')}; available: ${all.map((s) => s.sample_id).join(', ')}`);
  }
  samples = all.filter((s) => wanted.includes(s.sample_id));
}

interface Question {
  conversation: string;
  question: string;
  category: number;
  evidence: string[];
}

interface Scored extends Question {
  /** 1-based rank of each evidence turn among the distinct turns returned, null when not in the top 30. */
  evidenceRanks: (number | null)[];
  recall: Record<(typeof KS)[number], number>;
  reciprocalRank: number;
}

// Questions and their cleaned evidence.
const dropped = { malformedIds: [] as string[], unknownIds: [] as string[], questionsWithoutEvidence: 0, category5: 0 };
const questions: Question[] = [];
for (const sample of samples) {
  const turnIds = new Set(sessionsOf(sample).flatMap((s) => s.turns.map((t) => t.dia_id)));
  let kept = 0;
  for (const qa of sample.qa) {
    if (kept >= perConversation) break;
    if (qa.category === 5) {
      dropped.category5++;
      continue;
    }
    if (!(qa.category in CATEGORIES)) throw new Error(`${sample.sample_id}: unexpected category ${String(qa.category)}`);
    const evidence: string[] = [];
    for (const id of qa.evidence ?? []) {
      if (!EVIDENCE_ID.test(id)) dropped.malformedIds.push(`${sample.sample_id} ${JSON.stringify(id)}`);
      else if (!turnIds.has(id)) dropped.unknownIds.push(`${sample.sample_id} ${id}`);
      else if (!evidence.includes(id)) evidence.push(id);
    }
    if (evidence.length === 0) {
      dropped.questionsWithoutEvidence++;
      continue;
    }
    questions.push({ conversation: sample.sample_id, question: qa.question, category: qa.category, evidence });
    kept++;
  }
}

const turnCount = samples.reduce((n, s) => n + sessionsOf(s).reduce((m, x) => m + x.turns.length, 0), 0);
console.log(
  `LoCoMo retrieval benchmark: backend ${backend}, ${samples.length} conversations (${samples.map((s) => s.sample_id).join(', ')}), ` +
    `${turnCount} turns, ${questions.length} questions (categories 1-4), k=${K_MAX}, concurrency ${concurrency}`,
);
console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
console.log(
  `dropped: ${dropped.malformedIds.length} malformed evidence ids (${dropped.malformedIds.join('; ') || 'none'}), ` +
    `${dropped.unknownIds.length} ids naming no turn (${dropped.unknownIds.join('; ') || 'none'}), ` +
    `${dropped.questionsWithoutEvidence} questions left without evidence; ${dropped.category5} category-5 questions excluded`,
);

/** Every hit's row for --dump, written at the end. */
const dump: string[] | undefined = values.dump ? [] : undefined;
const wallStart = process.hrtime.bigint();
const pipeline = new SearchPipeline({ keywordIndex: true });
const bench = await startBenchApp(backend, {}, { search: pipeline });
try {
  console.log(`startup (model load + database open/migrate): ${bench.startupMs.toFixed(0)} ms`);
  const userOf = (conversation: string) => `locomo-${conversation}`;
  const tokens = new Map<string, string>();
  for (const s of samples) tokens.set(s.sample_id, await bench.token(userOf(s.sample_id)));
  const headers = (conversation: string) => ({ authorization: `Bearer ${tokens.get(conversation)}` });

  // Ingest: one memory per turn. Any failure aborts: scores over partial data would mislead.
  const memories = samples.flatMap((sample) =>
    sessionsOf(sample).flatMap((session) =>
      session.turns.map((turn) => ({
        conversation: sample.sample_id,
        text: turnText(turn),
        metadata: { dia_id: turn.dia_id, session: session.session, date: session.date },
      })),
    ),
  );
  const indexLatencies: number[] = [];
  const ingestStart = process.hrtime.bigint();
  const byConversationMemories = samples.map((sample) => memories.filter((m) => m.conversation === sample.sample_id));
  await promisePool(byConversationMemories.length, concurrency, async (c) => {
    for (const m of byConversationMemories[c]!) {
      const t = process.hrtime.bigint();
      const res = await bench.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: headers(m.conversation),
        // dedup: false: every turn is its own memory with its dia_id, repeated texts ("Thanks!") included.
        payload: { user_id: userOf(m.conversation), text: m.text, source: 'locomo', metadata: m.metadata, dedup: false },
      });
      indexLatencies.push(msSince(t));
      if (res.statusCode !== 201) throw new Error(`index ${m.conversation} ${m.metadata.dia_id}: HTTP ${res.statusCode} ${res.body}`);
    }
  });
  const ingestMs = msSince(ingestStart);
  console.log(`ingested ${memories.length} turns in ${(ingestMs / 1000).toFixed(1)} s (${((memories.length / ingestMs) * 1000).toFixed(1)} memories/s)`);

  // Query and score, once per search variant.
  const runMode = async (mode: Mode) => {
    const { rerank, ...options } = MODES[mode];
    pipeline.configure(options);
    const scored: Scored[] = new Array(questions.length);
    const latencies: number[] = [];
    let rerankedCount = 0;
    const started = process.hrtime.bigint();
    await promisePool(questions.length, concurrency, async (i) => {
      const q = questions[i]!;
      const t = process.hrtime.bigint();
      const res = await bench.app.inject({
        method: 'POST',
        url: '/api/v1/memory/query',
        headers: headers(q.conversation),
        payload: { user_id: userOf(q.conversation), query: q.question, k: K_MAX, rerank },
      });
      latencies.push(msSince(t));
      if (res.statusCode !== 200) throw new Error(`query ${q.conversation} ${JSON.stringify(q.question)}: HTTP ${res.statusCode} ${res.body}`);
      const body = res.json() as {
        results: { memory_id: string; metadata: Record<string, unknown>; score: number; relevance: number; scores: Record<string, number | null> }[];
        reranked: boolean;
      };
      if (body.reranked) rerankedCount++;
      if (dump) {
        const row = (answerable: boolean, hit: (typeof body.results)[number], rank: number, reranked: boolean) =>
          JSON.stringify({
            conversation: q.conversation,
            category: q.category,
            question: i,
            evidence: q.evidence.length,
            answerable,
            mode,
            reranked,
            rank: rank + 1,
            relevant: answerable && q.evidence.includes(String(hit.metadata.dia_id)),
            score: hit.score,
            relevance: hit.relevance,
            scores: hit.scores,
          });
        body.results.forEach((hit, rank) => dump.push(row(true, hit, rank, body.reranked)));
        // The same question asked of another conversation, where nothing answers it: the calibration must
        // learn that the best hit of an unanswerable query is not relevant (bench/calibrate.ts).
        const other = samples[(samples.findIndex((s) => s.sample_id === q.conversation) + 1) % samples.length]!.sample_id;
        if (other !== q.conversation) {
          const away = await bench.app.inject({
            method: 'POST',
            url: '/api/v1/memory/query',
            headers: headers(other),
            payload: { user_id: userOf(other), query: q.question, k: K_MAX, rerank },
          });
          const awayBody = away.json() as typeof body;
          awayBody.results.forEach((hit, rank) => dump.push(row(false, hit, rank, awayBody.reranked)));
        }
      }
      // Distinct turns in rank order (a memory could in principle come back as several chunks).
      const ranked: string[] = [];
      for (const hit of body.results) {
        const id = hit.metadata.dia_id;
        if (typeof id !== 'string') throw new Error(`a hit of ${q.conversation} lacks metadata.dia_id`);
        if (!ranked.includes(id)) ranked.push(id);
      }
      const evidenceRanks = q.evidence.map((id) => {
        const r = ranked.indexOf(id);
        return r >= 0 && r < K_MAX ? r + 1 : null;
      });
      const recall = Object.fromEntries(
        KS.map((k) => [k, evidenceRanks.filter((r) => r !== null && r <= k).length / q.evidence.length]),
      ) as Scored['recall'];
      const first = Math.min(...evidenceRanks.map((r) => r ?? Number.POSITIVE_INFINITY));
      scored[i] = { ...q, evidenceRanks, recall, reciprocalRank: Number.isFinite(first) ? 1 / first : 0 };
    });
    const queryMs = msSince(started);
    const byCategory = Object.fromEntries(
      Object.entries(CATEGORIES).map(([c, name]) => [`${c} ${name}`, summarize(scored.filter((r) => r.category === Number(c)))]),
    );
    const bySplit = {
      [`tuned (${TUNED_ON.join(',')})`]: summarize(scored.filter((r) => TUNED_ON.includes(r.conversation))),
      'held-out (others)': summarize(scored.filter((r) => !TUNED_ON.includes(r.conversation))),
    };
    const byConversation = Object.fromEntries(samples.map((s) => [s.sample_id, summarize(scored.filter((r) => r.conversation === s.sample_id))]));
    return { mode, rerankedCount, overall: summarize(scored), byCategory, bySplit, byConversation, queryMs, latency: latencySummary(latencies), scored };
  };

  const pct = (x: number) => (Number.isNaN(x) ? '     -' : (x * 100).toFixed(1).padStart(6));
  const line = (name: string, s: ReturnType<typeof summarize>) =>
    console.log(
      `${name.padEnd(28)} ${String(s.questions).padStart(5)}  ${KS.map((k) => pct(s.recall[`@${k}`]!)).join('  ')}  ${(Number.isNaN(s.mrr) ? '-' : s.mrr.toFixed(3)).padStart(6)}`,
    );
  const results: Awaited<ReturnType<typeof runMode>>[] = [];
  for (const mode of modes) {
    const r = await runMode(mode);
    results.push(r);
    console.log('');
    console.log(`mode ${mode}: recall@k in %, MRR over the top 30 (${r.rerankedCount}/${questions.length} answers reranked)`);
    console.log(`${'category'.padEnd(28)}     n    R@1     R@5    R@10    R@30     MRR`);
    for (const [name, s] of Object.entries(r.byCategory)) line(name, s);
    line('overall', r.overall);
    for (const [name, s] of Object.entries(r.bySplit)) line(name, s);
    for (const [name, s] of Object.entries(r.byConversation)) line(name, s);
    console.log(
      `query latency p50 ${r.latency.p50.toFixed(1)} ms, p95 ${r.latency.p95.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms; ` +
        `${questions.length} queries in ${(r.queryMs / 1000).toFixed(1)} s`,
    );
  }
  const wallMs = msSince(wallStart);
  console.log('');
  console.log(`${'overall by mode'.padEnd(28)}     n    R@1     R@5    R@10    R@30     MRR`);
  for (const r of results) line(r.mode, r.overall);
  console.log(`wall time ${(wallMs / 1000).toFixed(1)} s (startup ${(bench.startupMs / 1000).toFixed(1)} s, ingest ${(ingestMs / 1000).toFixed(1)} s)`);

  const now = new Date();
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}locomo-${now.toISOString().slice(0, 19).replace(/:/g, '-')}Z-${backend}.json`;
  const report = {
    benchmark: 'locomo-retrieval',
    date: now.toISOString(),
    backend,
    data: dataPath,
    machine: { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown' },
    embeddings: { provider: bench.config.embeddings.provider, model: 'use-lite-512' },
    protocol: {
      k: K_MAX,
      ks: KS,
      memoryText: '"<speaker>: <text>" + " [image: <blip_caption>]" when present',
      metadata: ['dia_id', 'session', 'date'],
      categories: CATEGORIES,
      excluded: 'category 5 (adversarial)',
      tunedOn: TUNED_ON,
      questionsPerConversation: Number.isFinite(perConversation) ? perConversation : 'all',
    },
    conversations: samples.map((s) => s.sample_id),
    turns: memories.length,
    dropped,
    timing: { wallMs, startupMs: bench.startupMs, ingestMs, indexLatencyMs: latencySummary(indexLatencies) },
    modes: results.map((r) => ({
      mode: r.mode,
      rerankedCount: r.rerankedCount,
      queryMs: r.queryMs,
      queryLatencyMs: r.latency,
      overall: r.overall,
      byCategory: r.byCategory,
      bySplit: r.bySplit,
      byConversation: r.byConversation,
      questions: r.scored.map((q) => ({
        conversation: q.conversation,
        category: q.category,
        question: q.question,
        evidence: q.evidence,
        evidenceRanks: q.evidenceRanks,
        recall: q.recall,
        reciprocalRank: q.reciprocalRank,
      })),
    })),
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${file}`);
  if (dump && values.dump) {
    writeFileSync(values.dump, `${dump.join('\n')}\n`);
    console.log(`hits: ${dump.length} rows in ${values.dump}`);
  }

  const last = results.at(-1);
  if (last && (floor.recall10 !== undefined || floor.mrr !== undefined)) {
    const r10 = last.overall.recall['@10']!;
    const failures = [
      floor.recall10 !== undefined && !(r10 >= floor.recall10) ? `recall@10 ${r10.toFixed(3)} < ${floor.recall10}` : '',
      floor.mrr !== undefined && !(last.overall.mrr >= floor.mrr) ? `MRR ${last.overall.mrr.toFixed(3)} < ${floor.mrr}` : '',
    ].filter(Boolean);
    if (failures.length > 0) {
      console.error(`FLOOR FAILED (${last.mode}): ${failures.join('; ')}`);
      process.exitCode = 1;
    } else {
      console.log(`floor met (${last.mode}): recall@10 ${r10.toFixed(3)}, MRR ${last.overall.mrr.toFixed(3)}`);
    }
  }
} finally {
  await bench.close();
}

function summarize(rows: Scored[]) {
  return {
    questions: rows.length,
    recall: Object.fromEntries(KS.map((k) => [`@${k}`, mean(rows.map((r) => r.recall[k]))])),
    mrr: mean(rows.map((r) => r.reciprocalRank)),
  };
}

function mean(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
