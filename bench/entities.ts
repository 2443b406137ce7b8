// Entity extraction quality on the labelled set test/fixtures/entities.jsonl: precision, recall and
// F1 per type, on the development half (ids 1-80, looked at while writing the rules), the held-out
// half (81-160, never looked at) and all of it. `--errors` lists the misses of the development half.
import { fileURLToPath } from 'node:url';
import { loadLabelled, score, type Scored } from '../src/entities/quality.js';
import { ENTITY_TYPES } from '../src/entities/types.js';

const path = fileURLToPath(new URL('../test/fixtures/entities.jsonl', import.meta.url));
const all = loadLabelled(path);
const splits = { dev: all.filter((s) => s.id <= 80), 'held-out': all.filter((s) => s.id > 80), all };

const pct = (x: number) => x.toFixed(3);
const results = Object.entries(splits).map(([name, set]) => ({ name, n: set.length, scored: score(set) }));
console.log(`entity extraction on ${path} (${all.length} sentences)\n`);
console.log(`| type | ${results.map((r) => `${r.name} P | R | F1`).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '--- | --- | ---').join(' | ')} |`);
for (const type of [...ENTITY_TYPES, 'all'] as const) {
  const cells = results.map(({ scored }: { scored: Scored }) => {
    const s = scored.byType[type];
    return s.tp + s.fp + s.fn === 0 ? '- | - | -' : `${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)}`;
  });
  const support = results.at(-1)!.scored.byType[type];
  console.log(`| ${type} (${support.tp + support.fn}) | ${cells.join(' | ')} |`);
}
if (process.argv.includes('--errors')) {
  console.log('\ndevelopment-half errors:');
  for (const e of results[0]!.scored.errors) console.log(`  #${e.id} ${e.kind} ${e.type} ${e.name}`);
}
