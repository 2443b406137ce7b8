// Summary quality on LoCoMo, through the real HTTP API in-process:
//   npm run bench:summarize -- [--backend pglite|postgres] [--conversations conv-26,conv-30]
//                              [--max-sentences N] [--max-chars C] [--data path/to/locomo-dev.json]
// Per conversation: one user, one memory per turn ("<speaker>: <text>", plus " [image: <blip_caption>]"),
// ingested in turn order. Per session: POST /summarize with the session's memory_ids (style paragraph,
// method extractive), scored against the dataset's session_summary with ROUGE-1/2/L F1 (js-rouge,
// case-insensitive; its ROUGE-L is the summary-level union LCS, "rougeLsum"). Beside it, baselines of the
// same length built from the same sentence units (the summarizer's splitter, with speaker labels):
//   lead-k        the session's first k sentences, k = the number of sentences the summary has;
//   lead-k-words  the first k sentences of at least 3 words (the same fragment filter the summarizer uses);
//   lead-chars    the first sentences cut at a word to the summary's exact character length.
// Prints means over sessions and the share of sessions where extractive ROUGE-L beats lead-k; writes a
// JSON report to bench/results/. No assertions.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { l as rougeL, n as rougeN } from 'js-rouge';
import { sentenceUnits, unitLine, wordCount } from '../src/summarize/sentences.js';
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

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    conversations: { type: 'string' },
    'max-sentences': { type: 'string' },
    'max-chars': { type: 'string' },
    data: { type: 'string' },
  },
});
const backend = parseBackend(values.backend);
const maxSentences = intOption('max-sentences', values['max-sentences'], 8, 50);
const maxChars = intOption('max-chars', values['max-chars'], 1000, 20_000);
const dataPath = values.data ?? DEFAULT_LOCOMO_PATH;
const all = loadLocomo(dataPath);
let samples: LocomoSample[] = all;
if (values.conversations) {
  const wanted = values.conversations.split(',').map((s) => s.trim());
  const unknown = wanted.filter((id) => !all.some((s) => s.sample_id === id));
  if (unknown.length > 0) throw new Error(`unknown conversation(s) ${unknown.join(', ')}`);
  samples = all.filter((s) => wanted.includes(s.sample_id));
}

interface Session {
  conversation: string;
  session: number;
  turns: string[];
  reference: string;
}
const sessions: Session[] = samples.flatMap((sample) => {
  const references = (sample as unknown as { session_summary?: Record<string, unknown> }).session_summary ?? {};
  return sessionsOf(sample)
    .map((s) => ({
      conversation: sample.sample_id,
      session: s.session,
      turns: s.turns.map(turnText),
      reference: String(references[`session_${s.session}_summary`] ?? '').trim(),
    }))
    .filter((s) => s.turns.length > 0 && s.reference.length > 0);
});

const METHODS = ['extractive', 'lead-k', 'lead-k-words', 'lead-chars'] as const;
type Method = (typeof METHODS)[number];
type Scores = { r1: number; r2: number; rl: number; words: number };
const score = (candidate: string, reference: string): Scores => ({
  r1: rougeN(candidate, reference, { n: 1, caseSensitive: false }),
  r2: rougeN(candidate, reference, { n: 2, caseSensitive: false }),
  rl: rougeL(candidate, reference, { caseSensitive: false }),
  words: wordCount(candidate),
});

/** The baselines, from the same sentence units the summarizer sees. */
function baselines(turns: string[], sentences: number, chars: number): Record<Exclude<Method, 'extractive'>, string> {
  const chunks = turns.map((text, i) => ({ memoryId: `m${i}`, chunkId: `c${i}`, ordinal: 0, text, createdAt: new Date(0) }));
  const lines = sentenceUnits(chunks).map((u) => ({ line: unitLine(u), words: wordCount(u.text) }));
  let lead = '';
  for (const { line } of lines) {
    if (lead.length >= chars) break;
    lead = lead ? `${lead} ${line}` : line;
  }
  const cut = lead.slice(0, chars);
  return {
    'lead-k': lines.slice(0, sentences).map((x) => x.line).join(' '),
    'lead-k-words': lines.filter((x) => x.words >= 3).slice(0, sentences).map((x) => x.line).join(' '),
    'lead-chars': lead.length > chars ? cut.replace(/\s+\S*$/, '') : lead,
  };
}

console.log(
  `LoCoMo summary benchmark: backend ${backend}, ${samples.length} conversations (${samples.map((s) => s.sample_id).join(', ')}), ` +
    `${sessions.length} sessions with a reference summary, style paragraph, max_sentences ${maxSentences}, max_chars ${maxChars}`,
);
console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})`);

const wallStart = process.hrtime.bigint();
const bench = await startBenchApp(backend);
try {
  const userOf = (conversation: string) => `locomo-${conversation}`;
  const tokens = new Map<string, string>();
  for (const s of samples) tokens.set(s.sample_id, await bench.token(userOf(s.sample_id)));
  const post = async (conversation: string, url: string, payload: object) => {
    const res = await bench.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${tokens.get(conversation)}` }, payload });
    if (res.statusCode >= 300) throw new Error(`${url} ${conversation}: HTTP ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };

  // Ingest: turn order within a conversation (it is the summarizer's tie-break), conversations in parallel.
  const ingestStart = process.hrtime.bigint();
  const memoryIds = new Map<Session, string[]>();
  await promisePool(samples.length, samples.length, async (i) => {
    const conversation = samples[i]!.sample_id;
    for (const session of sessions.filter((s) => s.conversation === conversation)) {
      const ids: string[] = [];
      for (const text of session.turns) {
        ids.push(String((await post(conversation, '/api/v1/memory/index', { user_id: userOf(conversation), text, source: 'locomo', dedup: false })).memory_id));
      }
      memoryIds.set(session, ids);
    }
  });
  const ingestMs = msSince(ingestStart);

  const rows: { conversation: string; session: number; sentences: number; scores: Record<Method, Scores> }[] = [];
  const latencies: number[] = [];
  const summarizeStart = process.hrtime.bigint();
  for (const session of sessions) {
    const t = process.hrtime.bigint();
    const body = await post(session.conversation, '/api/v1/memory/summarize', {
      memory_ids: memoryIds.get(session),
      style: 'paragraph',
      method: 'extractive',
      max_sentences: maxSentences,
      max_chars: maxChars,
    });
    latencies.push(msSince(t));
    const summary = String(body.summary);
    const sentences = (body.sources as unknown[]).length;
    const base = baselines(session.turns, sentences, summary.length);
    const scores = { extractive: score(summary, session.reference) } as Record<Method, Scores>;
    for (const m of METHODS.slice(1) as Exclude<Method, 'extractive'>[]) scores[m] = score(base[m], session.reference);
    rows.push({ conversation: session.conversation, session: session.session, sentences, scores });
  }
  const summarizeMs = msSince(summarizeStart);

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const overall = Object.fromEntries(
    METHODS.map((m) => [
      m,
      {
        rouge1: mean(rows.map((r) => r.scores[m].r1)),
        rouge2: mean(rows.map((r) => r.scores[m].r2)),
        rougeL: mean(rows.map((r) => r.scores[m].rl)),
        words: mean(rows.map((r) => r.scores[m].words)),
      },
    ]),
  ) as Record<Method, { rouge1: number; rouge2: number; rougeL: number; words: number }>;
  const wins = rows.filter((r) => r.scores.extractive.rl > r.scores['lead-k'].rl).length;

  console.log('');
  console.log(`ROUGE F1 (x100), mean over ${rows.length} sessions; reference summaries average ${mean(sessions.map((s) => wordCount(s.reference))).toFixed(0)} words`);
  console.log('method          ROUGE-1  ROUGE-2  ROUGE-L   words');
  for (const m of METHODS) {
    const o = overall[m];
    console.log(`${m.padEnd(14)} ${[o.rouge1, o.rouge2, o.rougeL].map((x) => (x * 100).toFixed(2).padStart(7)).join('  ')}  ${o.words.toFixed(1).padStart(6)}`);
  }
  console.log(`extractive ROUGE-L > lead-k ROUGE-L in ${wins} of ${rows.length} sessions (${((wins / rows.length) * 100).toFixed(0)}%)`);
  const sl = latencySummary(latencies);
  console.log(
    `summarize latency p50 ${sl.p50.toFixed(0)} ms, p95 ${sl.p95.toFixed(0)} ms (sequential); ` +
      `wall ${(msSince(wallStart) / 1000).toFixed(1)} s (ingest ${(ingestMs / 1000).toFixed(1)} s, summaries ${(summarizeMs / 1000).toFixed(1)} s)`,
  );

  const now = new Date();
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}summarize-${now.toISOString().slice(0, 19).replace(/:/g, '-')}Z-${backend}.json`;
  const report = {
    benchmark: 'locomo-summaries',
    date: now.toISOString(),
    backend,
    data: dataPath,
    machine: { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown' },
    request: { style: 'paragraph', method: 'extractive', maxSentences, maxChars },
    overall,
    extractiveBeatsLeadK: { sessions: wins, of: rows.length },
    latencyMs: sl,
    sessions: rows,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${file}`);
} finally {
  await bench.close();
}
