// What ENTITIES_ON_INGEST costs: ingest throughput of the same LoCoMo turns with the flag off and on,
// in one run (off, on, off, on: alternated so that machine noise hits both), plus the extractor
// alone. npx tsx bench/entities-ingest.ts [--backend pglite|postgres] [--memories N] [--concurrency C]
// Defaults: pglite, 300 memories, concurrency 4. Prints figures only; no assertions.
import { parseArgs } from 'node:util';
import { extract } from '../src/entities/extract.js';
import { DEFAULT_LOCOMO_PATH, intOption, loadLocomo, msSince, parseBackend, promisePool, sessionsOf, startBenchApp, turnText } from './common.js';

const { values } = parseArgs({
  options: { backend: { type: 'string' }, memories: { type: 'string' }, concurrency: { type: 'string' }, data: { type: 'string' } },
});
const backend = parseBackend(values.backend);
const memories = intOption('memories', values.memories, 300, 100_000);
const concurrency = intOption('concurrency', values.concurrency, 4, 256);
const texts = loadLocomo(values.data ?? DEFAULT_LOCOMO_PATH)
  .flatMap((s) => sessionsOf(s).flatMap((session) => session.turns.map(turnText)))
  .slice(0, memories);

async function ingestRate(onIngest: boolean): Promise<number> {
  const bench = await startBenchApp(backend, { ENTITIES_ON_INGEST: String(onIngest) });
  try {
    const tokens = await Promise.all([0, 1, 2, 3].map((u) => bench.token(`bench-user-${u}`)));
    let ok = 0;
    const start = process.hrtime.bigint();
    await promisePool(texts.length, concurrency, async (i) => {
      const res = await bench.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${tokens[i % 4]}` },
        payload: { user_id: `bench-user-${i % 4}`, text: texts[i]! },
      });
      if (res.statusCode !== 201) throw new Error(`HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
      ok++;
    });
    return (ok / msSince(start)) * 1000;
  } finally {
    await bench.close();
  }
}

console.log(`ENTITIES_ON_INGEST cost: backend ${backend}, ${texts.length} LoCoMo turns, concurrency ${concurrency}`);
const t0 = process.hrtime.bigint();
let found = 0;
for (const text of texts) found += extract([{ text }]).entities.length;
const extractMs = msSince(t0);
console.log(`extractor alone: ${(extractMs / texts.length).toFixed(2)} ms per turn (${found} entities)`);

const rates: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (const mode of ['off', 'on', 'off', 'on'] as const) {
  const rate = await ingestRate(mode === 'on');
  rates[mode].push(rate);
  console.log(`  run ${mode.padEnd(3)}: ${rate.toFixed(1)} memories/s`);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const off = mean(rates.off);
const on = mean(rates.on);
console.log(`\n| ENTITIES_ON_INGEST | memories/s (mean of 2) | relative |`);
console.log(`| --- | --- | --- |`);
console.log(`| off | ${off.toFixed(1)} | 1.00 |`);
console.log(`| on | ${on.toFixed(1)} | ${(on / off).toFixed(2)} (cost ${((1 - on / off) * 100).toFixed(0)}%) |`);
