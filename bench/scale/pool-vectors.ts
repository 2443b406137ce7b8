// The real embeddings of the pool texts, cached under bench/results/ (git-ignored) per model, so a
// re-run embeds only texts it has not seen: `scale-pool.<model>.texts.jsonl` (one JSON string a line, in
// order) and `scale-pool.<model>.f32` (their vectors, float32 little-endian, `dimensions` per text, same
// order). Both are appended to as the model goes, vectors first, so an interrupted run keeps its work.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Embedder } from '../../src/embed/embedder.js';
import { msSince } from '../common.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export async function poolVectors(embedder: Embedder, texts: readonly string[]): Promise<{ vectors: Float32Array[]; embedded: number; seconds: number }> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = `${RESULTS_DIR}scale-pool.${embedder.model.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const dim = embedder.dimensions;
  let cachedTexts: string[] = [];
  let cachedVectors = new Float32Array(0);
  if (existsSync(`${base}.texts.jsonl`) && existsSync(`${base}.f32`)) {
    const lines = readFileSync(`${base}.texts.jsonl`, 'utf8').split('\n').filter(Boolean);
    const bytes = readFileSync(`${base}.f32`);
    // Vectors are written before their texts: a run stopped in between leaves vectors without texts.
    const count = Math.min(lines.length, Math.floor(bytes.length / 4 / dim));
    cachedTexts = lines.slice(0, count).map((l) => JSON.parse(l) as string);
    cachedVectors = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * dim * 4));
    if (count !== lines.length || count * dim * 4 !== bytes.length) {
      writeFileSync(`${base}.f32`, Buffer.from(cachedVectors.buffer));
      writeFileSync(`${base}.texts.jsonl`, cachedTexts.map((t) => `${JSON.stringify(t)}\n`).join(''));
    }
  } else {
    writeFileSync(`${base}.f32`, Buffer.alloc(0));
    writeFileSync(`${base}.texts.jsonl`, '');
  }
  const index = new Map(cachedTexts.map((t, i) => [t, i]));
  const missing = [...new Set(texts.filter((t) => !index.has(t)))];
  const t0 = process.hrtime.bigint();
  if (missing.length > 0) {
    console.log(`  embedding ${missing.length} pool texts with ${embedder.model} (cached: ${cachedTexts.length}) …`);
    const fresh: Float32Array[] = [];
    const STEP = 64;
    for (let i = 0; i < missing.length; i += STEP) {
      const slice = missing.slice(i, i + STEP);
      const vectors = await embedder.embed(slice);
      const buf = Buffer.alloc(slice.length * dim * 4);
      vectors.forEach((v, j) => {
        if (v.length !== dim) throw new Error(`the model returned a ${v.length}-d vector`);
        const f = Float32Array.from(v);
        fresh.push(f);
        Buffer.from(f.buffer).copy(buf, j * dim * 4);
      });
      appendFileSync(`${base}.f32`, buf);
      appendFileSync(`${base}.texts.jsonl`, slice.map((t) => `${JSON.stringify(t)}\n`).join(''));
      for (const t of slice) {
        index.set(t, cachedTexts.length);
        cachedTexts.push(t);
      }
      const done = Math.min(missing.length, i + STEP);
      const rate = done / (msSince(t0) / 1000);
      if (process.stdout.isTTY) process.stdout.write(`\r  embedded ${done}/${missing.length} (${rate.toFixed(0)} texts/s)   `);
      else if (done % (STEP * 20) === 0 || done === missing.length) console.log(`  embedded ${done}/${missing.length} (${rate.toFixed(0)} texts/s)`);
    }
    if (process.stdout.isTTY) process.stdout.write('\n');
    const all = new Float32Array(cachedTexts.length * dim);
    all.set(cachedVectors.subarray(0, (cachedTexts.length - fresh.length) * dim));
    fresh.forEach((f, j) => all.set(f, (cachedTexts.length - fresh.length + j) * dim));
    cachedVectors = all;
  }
  const vectors = texts.map((t) => {
    const i = index.get(t)!;
    return cachedVectors.subarray(i * dim, (i + 1) * dim);
  });
  return { vectors, embedded: missing.length, seconds: msSince(t0) / 1000 };
}
