// Retrieval quality on LoCoMo (protocol: ../shared/data/README.md), through the real HTTP API in-process:
//   npx tsx bench/locomo.ts [--backend pglite|postgres] [--conversations conv-26,conv-30] [--concurrency C]
//                           [--data path/to/locomo-dev.json]
// Per conversation: one user, one memory per turn ("<speaker>: <text>", plus " [image: <blip_caption>]" when
// the turn has an image), metadata {dia_id, session, date}. Per question of categories 1-4: a query with
// k=30 over that user's memories; hits map back to turns through the dia_id in their metadata. Scores:
// evidence recall@1/5/10/30 (share of the question's evidence turns in the top k) and MRR of the first
// evidence turn (0 when none is in the top 30). Category 5 (adversarial) is excluded. Malformed evidence
// ids, and ids naming no turn of the conversation, are dropped; a question left without evidence is skipped.
// Prints a table per category and overall and writes a JSON report to bench/results/. No assertions.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
  },
});
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
  for (const qa of sample.qa) {
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

const wallStart = process.hrtime.bigint();
const bench = await startBenchApp(backend);
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
  await promisePool(memories.length, concurrency, async (i) => {
    const m = memories[i]!;
    const t = process.hrtime.bigint();
    const res = await bench.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index',
      headers: headers(m.conversation),
      payload: { user_id: userOf(m.conversation), text: m.text, source: 'locomo', metadata: m.metadata },
    });
    indexLatencies.push(msSince(t));
    if (res.statusCode !== 201) throw new Error(`index ${m.conversation} ${m.metadata.dia_id}: HTTP ${res.statusCode} ${res.body}`);
  });
  const ingestMs = msSince(ingestStart);
  console.log(`ingested ${memories.length} turns in ${(ingestMs / 1000).toFixed(1)} s (${((memories.length / ingestMs) * 1000).toFixed(1)} memories/s)`);

  // Query and score.
  const scored: Scored[] = new Array(questions.length);
  const queryLatencies: number[] = [];
  const queryStart = process.hrtime.bigint();
  await promisePool(questions.length, concurrency, async (i) => {
    const q = questions[i]!;
    const t = process.hrtime.bigint();
    const res = await bench.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers: headers(q.conversation),
      payload: { user_id: userOf(q.conversation), query: q.question, k: K_MAX },
    });
    queryLatencies.push(msSince(t));
    if (res.statusCode !== 200) throw new Error(`query ${q.conversation} ${JSON.stringify(q.question)}: HTTP ${res.statusCode} ${res.body}`);
    const { results } = res.json() as { results: { memory_id: string; metadata: Record<string, unknown> }[] };
    // Distinct turns in rank order (a memory could in principle come back as several chunks).
    const ranked: string[] = [];
    for (const hit of results) {
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
  const queryMs = msSince(queryStart);
  const wallMs = msSince(wallStart);

  // Aggregate: means over questions.
  const summarize = (rows: Scored[]) => ({
    questions: rows.length,
    recall: Object.fromEntries(KS.map((k) => [`@${k}`, mean(rows.map((r) => r.recall[k]))])),
    mrr: mean(rows.map((r) => r.reciprocalRank)),
  });
  const byCategory = Object.fromEntries(
    Object.entries(CATEGORIES).map(([c, name]) => [`${c} ${name}`, summarize(scored.filter((r) => r.category === Number(c)))]),
  );
  const overall = summarize(scored);
  const byConversation = Object.fromEntries(samples.map((s) => [s.sample_id, summarize(scored.filter((r) => r.conversation === s.sample_id))]));

  const pct = (x: number) => (Number.isNaN(x) ? '     -' : (x * 100).toFixed(1).padStart(6));
  const line = (name: string, s: ReturnType<typeof summarize>) =>
    console.log(
      `${name.padEnd(16)} ${String(s.questions).padStart(5)}  ${KS.map((k) => pct(s.recall[`@${k}`]!)).join('  ')}  ${(Number.isNaN(s.mrr) ? '-' : s.mrr.toFixed(3)).padStart(6)}`,
    );
  console.log('');
  console.log('recall@k in %, MRR over the top 30');
  console.log('category             n    R@1     R@5    R@10    R@30     MRR');
  for (const [name, s] of Object.entries(byCategory)) line(name, s);
  line('overall', overall);
  console.log('');
  console.log('conversation         n    R@1     R@5    R@10    R@30     MRR');
  for (const [name, s] of Object.entries(byConversation)) line(name, s);
  const ql = latencySummary(queryLatencies);
  console.log('');
  console.log(
    `query latency p50 ${ql.p50.toFixed(1)} ms, p95 ${ql.p95.toFixed(1)} ms, p99 ${ql.p99.toFixed(1)} ms; ` +
      `${questions.length} queries in ${(queryMs / 1000).toFixed(1)} s`,
  );
  console.log(`wall time ${(wallMs / 1000).toFixed(1)} s (startup ${(bench.startupMs / 1000).toFixed(1)} s, ingest ${(ingestMs / 1000).toFixed(1)} s, queries ${(queryMs / 1000).toFixed(1)} s)`);

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
    },
    conversations: samples.map((s) => s.sample_id),
    turns: memories.length,
    dropped,
    timing: {
      wallMs,
      startupMs: bench.startupMs,
      ingestMs,
      queryMs,
      indexLatencyMs: latencySummary(indexLatencies),
      queryLatencyMs: ql,
    },
    overall,
    byCategory,
    byConversation,
    questions: scored.map((r) => ({
      conversation: r.conversation,
      category: r.category,
      question: r.question,
      evidence: r.evidence,
      evidenceRanks: r.evidenceRanks,
      recall: r.recall,
      reciprocalRank: r.reciprocalRank,
    })),
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${file}`);
} finally {
  await bench.close();
}

function mean(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
