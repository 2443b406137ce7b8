// Expiry and deduplication (issue 9): what a deduplicated index costs beside a stored one, and how
// fast the expiry sweeper deletes. One run: index N distinct LoCoMo turns with dedup: false (stored,
// no lookup), again with dedup on (the lookup finds nothing: stored), again (deduplicated: answered
// before the model), then N copies with ttl_seconds 1; wait, and time one sweeper pass over them.
// npx tsx bench/lifecycle.ts [--backend pglite|postgres] [--memories N] [--batch B]
// Defaults: pglite, 300 memories, EXPIRY_SWEEP_BATCH 500. Prints figures only; no assertions.
import { parseArgs } from 'node:util';
import { DEFAULT_LOCOMO_PATH, intOption, latencySummary, loadLocomo, msSince, parseBackend, sessionsOf, startBenchApp, turnText } from './common.js';

const { values } = parseArgs({ options: { backend: { type: 'string' }, memories: { type: 'string' }, batch: { type: 'string' }, data: { type: 'string' } } });
const backend = parseBackend(values.backend);
const memories = intOption('memories', values.memories, 300, 100_000);
const batch = intOption('batch', values.batch, 500, 10_000);
const texts = [...new Set(loadLocomo(values.data ?? DEFAULT_LOCOMO_PATH).flatMap((s) => sessionsOf(s).flatMap((session) => session.turns.map(turnText))))].slice(
  0,
  memories,
);
const USERS = 4;

const bench = await startBenchApp(backend, { EXPIRY_SWEEP_BATCH: String(batch), EXPIRY_SWEEP_INTERVAL_MS: '0' });
try {
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, u) => bench.token(`bench-user-${u}`)));
  /** Indexes every text once, one request at a time; returns the latencies. */
  const pass = async (extra: object, expectDeduplicated: boolean): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      const t = process.hrtime.bigint();
      const res = await bench.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${tokens[i % USERS]}` },
        payload: { user_id: `bench-user-${i % USERS}`, text: texts[i]!, ...extra },
      });
      latencies.push(msSince(t));
      if (res.statusCode !== 201) throw new Error(`HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
      if ((res.json() as { deduplicated: boolean }).deduplicated !== expectDeduplicated) throw new Error(`deduplicated is not ${expectDeduplicated}`);
    }
    return latencies;
  };

  console.log(`Lifecycle bench: backend ${backend}, ${texts.length} distinct LoCoMo turns, ${USERS} users, one request at a time`);
  // Copies without a content hash first: the second pass then finds no duplicate, looks up and stores.
  const copies = latencySummary(await pass({ dedup: false }, false));
  const stored = latencySummary(await pass({}, false));
  const deduplicated = latencySummary(await pass({}, true));
  console.log(`\n| POST /index | p50 ms | p95 ms | p99 ms |`);
  console.log(`| --- | --- | --- | --- |`);
  const rows = [
    ['stored, `dedup: false` (no lookup)', copies],
    ['stored, dedup on (lookup finds nothing)', stored],
    ['deduplicated (same text again)', deduplicated],
  ] as const;
  for (const [name, s] of rows) {
    console.log(`| ${name} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} |`);
  }

  await pass({ ttl_seconds: 1, dedup: false }, false);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const t = process.hrtime.bigint();
  const deleted = await bench.app.expirySweeper.sweepOnce();
  const ms = msSince(t);
  console.log(`\nexpiry sweeper, batch ${batch}: one pass deleted ${deleted} expired memories in ${ms.toFixed(0)} ms (${((deleted / ms) * 1000).toFixed(0)} memories/s)`);
} finally {
  await bench.close();
}
