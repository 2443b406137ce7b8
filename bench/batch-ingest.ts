// Batch ingest against raw embedding, in one run: npx tsx bench/batch-ingest.ts
//   [--backend pglite|postgres|both] [--memories N] [--batch-size B] [--rounds R] [--in-flight F]
// Defaults: both backends, 1000 LoCoMo turns, batches of 100, 2 rounds, 1 batch in flight (as
// `engram import` sends them). For each backend and round, alternating in slices: the embedder alone
// on the chunk texts of a slice of memories (one embed call; texts/s), then the same memories through
// POST /index/batch over HTTP on a real port (memories/s), one embedder shared by both. The ratio is
// ingest chunks/s over raw texts/s. Prints figures only; no assertions.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createUseLiteEmbedder } from '../src/embed/use-lite.js';
import { chunkText } from '../src/memory/chunker.js';
import { Limits } from '../src/memory/limits.js';
import { DEFAULT_LOCOMO_PATH, intOption, loadLocomo, msSince, promisePool, sessionsOf, startBenchApp, turnText, type Backend } from './common.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    memories: { type: 'string' },
    'batch-size': { type: 'string' },
    rounds: { type: 'string' },
    'in-flight': { type: 'string' },
    data: { type: 'string' },
  },
});
const backends: Backend[] = values.backend === 'both' ? ['pglite', 'postgres'] : [values.backend as Backend];
if (!backends.every((b) => b === 'pglite' || b === 'postgres')) throw new Error('--backend must be pglite, postgres or both');
const memories = intOption('memories', values.memories, 1000, 100_000);
const batchSize = intOption('batch-size', values['batch-size'], Limits.batchItems, Limits.batchItems);
const rounds = intOption('rounds', values.rounds, 2, 20);
const inFlight = intOption('in-flight', values['in-flight'], 1, 16);

const texts = loadLocomo(values.data ?? DEFAULT_LOCOMO_PATH)
  .flatMap((s) => sessionsOf(s).flatMap((session) => session.turns.map(turnText)))
  .slice(0, memories);
const chunks = texts.flatMap((t) => chunkText(t));

const embedder = createUseLiteEmbedder();
await embedder.init();
console.log(
  `Batch ingest vs raw embedding: ${texts.length} LoCoMo turns (${chunks.length} chunks), batches of ${batchSize}, ` +
    `${inFlight} in flight, ${rounds} rounds; node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ` +
    `USE-lite on ${availableParallelism()} threads`,
);

/** Seconds to embed the chunks of texts[from, to) in one call. */
async function raw(from: number, to: number): Promise<number> {
  const slice = texts.slice(from, to).flatMap((t) => chunkText(t));
  const start = process.hrtime.bigint();
  const vectors = await embedder.embed(slice);
  if (vectors.length !== slice.length) throw new Error('embedder returned the wrong number of vectors');
  return msSince(start) / 1000;
}

/** Seconds to store texts[from, to) through the batch route, `inFlight` batches at a time. */
async function ingest(url: string, token: string, from: number, to: number): Promise<number> {
  const batches = Math.ceil((to - from) / batchSize);
  const start = process.hrtime.bigint();
  await promisePool(batches, inFlight, async (b) => {
    const items = texts.slice(from + b * batchSize, Math.min(to, from + (b + 1) * batchSize)).map((text) => ({ text, dedup: false }));
    const res = await fetch(`${url}/api/v1/memory/index/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    const body = (await res.json()) as { stored: number; failed: number };
    if (res.status !== 200 || body.failed > 0) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  });
  return msSince(start) / 1000;
}

// The machine's load changes while a run goes on: raw and ingest alternate in slices of a few
// batches, and each figure is the total over all slices, so both see the same conditions.
const SLICE = batchSize * Math.max(2, inFlight);

const rows: string[] = [];
for (const backend of backends) {
  const bench = await startBenchApp(backend, {}, { embedder });
  try {
    const url = await bench.app.listen({ port: 0, host: '127.0.0.1' });
    for (let round = 1; round <= rounds; round++) {
      const token = await bench.token(`bench-${round}`);
      let rawSeconds = 0;
      let ingestSeconds = 0;
      for (let from = 0; from < texts.length; from += SLICE) {
        const to = Math.min(texts.length, from + SLICE);
        rawSeconds += await raw(from, to);
        ingestSeconds += await ingest(url, token, from, to);
      }
      const rawRate = chunks.length / rawSeconds;
      const ingestRate = texts.length / ingestSeconds;
      const ratio = rawSeconds / ingestSeconds;
      console.log(
        `  ${backend} round ${round}: raw ${rawRate.toFixed(1)} texts/s, batch ingest ${ingestRate.toFixed(1)} memories/s ` +
          `(${(chunks.length / ingestSeconds).toFixed(1)} chunks/s), ratio ${ratio.toFixed(2)}`,
      );
      rows.push(`| ${backend} | ${round} | ${rawRate.toFixed(1)} | ${ingestRate.toFixed(1)} | ${ratio.toFixed(2)} |`);
    }
  } finally {
    await bench.close();
  }
}
await embedder.close();
console.log('\n| backend | round | raw embedding, texts/s | batch ingest, memories/s | ratio (chunks/s ÷ texts/s) |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
