// Throughput of the USE-lite embedder: npx tsx bench/embed.ts [--texts N] [--threads T[,T...]]
// Default: 500 texts, thread counts 1 and os.availableParallelism(). Prints figures only; no assertions.
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createUseLiteEmbedder } from '../src/embed/use-lite.js';

const { values } = parseArgs({
  options: {
    texts: { type: 'string', default: '500' },
    threads: { type: 'string' },
  },
});

const n = Number(values.texts);
if (!Number.isInteger(n) || n < 1) throw new Error('--texts must be a positive integer');
const threadCounts = values.threads
  ? values.threads.split(',').map(Number)
  : [...new Set([1, availableParallelism()])];
if (!threadCounts.every((t) => Number.isInteger(t) && t >= 1)) throw new Error('--threads must be positive integers');

const subjects = ['My sister', 'The customer', 'Our team', 'The user', 'My doctor', 'The landlord', 'A colleague'];
const verbs = ['mentioned', 'prefers', 'asked about', 'forgot', 'is allergic to', 'booked', 'cancelled'];
const objects = [
  'the quarterly report due next Friday',
  'vegetarian restaurants near the office',
  'a flight to Lisbon in early June',
  'peanuts and shellfish',
  'the dentist appointment on Tuesday afternoon',
  'dark mode in every application',
  'the subscription renewal for the music service',
];
const texts = Array.from(
  { length: n },
  (_, i) => `${subjects[i % 7]} ${verbs[Math.floor(i / 7) % 7]} ${objects[Math.floor(i / 49) % 7]} (note ${i}).`,
);

console.log(`USE-lite embedding benchmark: ${n} texts, node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
console.log('threads  init ms  embed ms  texts/s  texts/s/thread');
for (const threads of threadCounts) {
  const embedder = createUseLiteEmbedder({ threads });
  try {
    let t = performance.now();
    await embedder.init();
    const initMs = performance.now() - t;
    t = performance.now();
    const vectors = await embedder.embed(texts);
    const embedMs = performance.now() - t;
    if (vectors.length !== n) throw new Error(`expected ${n} vectors, got ${vectors.length}`);
    const rate = (n / embedMs) * 1000;
    console.log(
      `${String(threads).padStart(7)}  ${initMs.toFixed(0).padStart(7)}  ${embedMs.toFixed(0).padStart(8)}  ${rate.toFixed(1).padStart(7)}  ${(rate / threads).toFixed(1).padStart(14)}`,
    );
  } finally {
    await embedder.close();
  }
}
