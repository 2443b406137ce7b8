// End-to-end throughput and latency of the HTTP API, in-process (app.inject, real JWTs, real model, real
// database): npx tsx bench/api.ts [--backend pglite|postgres] [--users N] [--memories N] [--queries N]
//                                 [--concurrency C] [--k K] [--data path/to/locomo-dev.json]
// Defaults: pglite (in memory), 4 users, 400 memories, 200 queries, concurrency 4, k 10.
// Texts are LoCoMo turns and queries are LoCoMo questions (../shared/data/locomo-dev.json), spread
// round-robin over the users. Prints figures only; no assertions.
import { availableParallelism, cpus } from 'node:os';
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
} from './common.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    users: { type: 'string' },
    memories: { type: 'string' },
    queries: { type: 'string' },
    concurrency: { type: 'string' },
    k: { type: 'string' },
    data: { type: 'string' },
  },
});

const backend = parseBackend(values.backend);
const users = intOption('users', values.users, 4, 10_000);
const memories = intOption('memories', values.memories, 400, 100_000);
const queries = intOption('queries', values.queries, 200, 100_000);
const concurrency = intOption('concurrency', values.concurrency, 4, 256);
const k = intOption('k', values.k, 10, 100);

// Turns and questions interleaved across conversations, so even a small run mixes all of them.
const samples = loadLocomo(values.data ?? DEFAULT_LOCOMO_PATH);
function interleave<T>(lists: T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}
const turns = interleave(
  samples.map((s) => sessionsOf(s).flatMap((session) => session.turns.map((turn) => ({ turn, session })))),
);
const questions = interleave(samples.map((s) => s.qa.map((q) => q.question).filter((q) => typeof q === 'string' && q.trim())));
if (turns.length === 0 || questions.length === 0) throw new Error('the LoCoMo data holds no turns or no questions');

const userId = (i: number) => `bench-user-${i % users}`;

console.log(
  `Engram API benchmark: backend ${backend}, ${users} users, ${memories} memories, ${queries} queries (k=${k}), ` +
    `concurrency ${concurrency}`,
);
console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
if (memories > turns.length) console.log(`note: ${memories} memories > ${turns.length} LoCoMo turns; texts repeat`);

const bench = await startBenchApp(backend);
try {
  console.log(`startup (model load + database open/migrate): ${bench.startupMs.toFixed(0)} ms`);
  const tokens = await Promise.all(Array.from({ length: users }, (_, i) => bench.token(userId(i))));
  const auth = (i: number) => ({ authorization: `Bearer ${tokens[i % users]}` });
  const errors: string[] = [];
  const noteError = (phase: string, detail: string) => {
    errors.push(`${phase}: ${detail}`);
  };

  // Ingest.
  const indexLatencies: number[] = [];
  let indexed = 0;
  const ingestStart = process.hrtime.bigint();
  await promisePool(memories, concurrency, async (i) => {
    const { turn, session } = turns[i % turns.length]!;
    const t = process.hrtime.bigint();
    try {
      const res = await bench.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: auth(i),
        payload: {
          user_id: userId(i),
          text: turnText(turn),
          source: 'locomo',
          metadata: { dia_id: turn.dia_id, session: session.session, date: session.date },
          dedup: false, // every turn stored and embedded, as before deduplication (repeated turns included)
        },
      });
      indexLatencies.push(msSince(t));
      if (res.statusCode === 201) indexed++;
      else noteError('index', `HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
    } catch (err) {
      noteError('index', String(err));
    }
  });
  const ingestMs = msSince(ingestStart);

  // Query.
  const queryLatencies: number[] = [];
  let answered = 0;
  let hits = 0;
  const queryStart = process.hrtime.bigint();
  await promisePool(queries, concurrency, async (i) => {
    const t = process.hrtime.bigint();
    try {
      const res = await bench.app.inject({
        method: 'POST',
        url: '/api/v1/memory/query',
        headers: auth(i),
        payload: { user_id: userId(i), query: questions[i % questions.length]!, k },
      });
      queryLatencies.push(msSince(t));
      if (res.statusCode === 200) {
        answered++;
        hits += (res.json() as { results: unknown[] }).results.length;
      } else {
        noteError('query', `HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    } catch (err) {
      noteError('query', String(err));
    }
  });
  const queryMs = msSince(queryStart);

  const fmt = (n: number) => n.toFixed(1).padStart(8);
  const row = (name: string, l: ReturnType<typeof latencySummary>) =>
    console.log(`${name.padEnd(7)} ${String(l.count).padStart(6)} ${fmt(l.p50)} ${fmt(l.p95)} ${fmt(l.p99)} ${fmt(l.max)}`);
  console.log('');
  console.log(`ingest: ${indexed}/${memories} memories in ${(ingestMs / 1000).toFixed(2)} s = ${((indexed / ingestMs) * 1000).toFixed(1)} memories/s`);
  console.log(
    `query:  ${answered}/${queries} queries in ${(queryMs / 1000).toFixed(2)} s = ${((answered / queryMs) * 1000).toFixed(1)} queries/s ` +
      `(mean ${(hits / Math.max(answered, 1)).toFixed(1)} results)`,
  );
  console.log('');
  console.log('latency  count   p50 ms   p95 ms   p99 ms   max ms');
  row('index', latencySummary(indexLatencies));
  row('query', latencySummary(queryLatencies));
  console.log('');
  console.log(`errors: ${errors.length}`);
  for (const e of errors.slice(0, 5)) console.log(`  ${e}`);
  if (errors.length > 5) console.log(`  … and ${errors.length - 5} more`);
  if (errors.length > 0) process.exitCode = 1;
} finally {
  await bench.close();
}
