// Printing the scale bench's figures: one block per backend and a side-by-side summary (markdown).
import type { DiskUsage } from './database.js';
import type { IngestComparison } from './load.js';
import type { ClassResult, ThroughputResult } from './queries.js';

export interface BackendResult {
  backend: string;
  facts: string;
  memories: number;
  loadSeconds: number;
  /** null: the index was kept during the load (--index-during-load). */
  hnswSeconds: number | null;
  vacuumSeconds: number;
  disk: DiskUsage;
  classes: ClassResult[];
  qps: ThroughputResult | null;
  ingest: IngestComparison | null;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const f3 = (n: number) => n.toFixed(3);

export function tenantBytes(r: BackendResult): number {
  return Object.values(r.disk.tables).reduce((a, b) => a + b, 0);
}

export function printBackend(r: BackendResult): void {
  const total = tenantBytes(r);
  console.log(`\n== ${r.backend} ==`);
  console.log(`  ${r.facts}`);
  console.log(
    `  load: ${r.memories} memories in ${f1(r.loadSeconds)} s = ${f1(r.memories / r.loadSeconds)} memories/s` +
      (r.hnswSeconds === null ? ' (HNSW index kept during the load)' : `; HNSW build ${f1(r.hnswSeconds)} s`) +
      `; VACUUM ANALYZE ${f1(r.vacuumSeconds)} s`,
  );
  const parts = Object.entries(r.disk.tables)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${mb(n)}`)
    .join(', ');
  console.log(`  disk: ${parts}`);
  console.log(
    `        tenant tables ${mb(total)} = ${(total / r.memories).toFixed(0)} bytes/memory (of which the HNSW index ` +
      `${mb(r.disk.hnsw)} = ${(r.disk.hnsw / r.memories).toFixed(0)} bytes/memory); databases on all nodes ${mb(r.disk.database)}`,
  );
  console.log('');
  console.log(
    '  class        users  chunks/user      queries  path    Engram p50/p95 ms   raw p50/p95 ms  p95 ratio  recall@10: vector stage  raw    final∩exact  exact p50 ms',
  );
  for (const c of r.classes) {
    const sizes = [...c.sizes].sort((a, b) => a - b);
    const range = sizes[0] === sizes.at(-1) ? `${sizes[0]}` : `${sizes[0]}-${sizes.at(-1)}`;
    console.log(
      `  ${c.name.padEnd(12)} ${String(c.sizes.length).padStart(5)}  ${range.padEnd(15)} ${String(c.queries).padStart(8)}  ${c.path.padEnd(6)} ` +
        `${`${f1(c.engram.p50)} / ${f1(c.engram.p95)}`.padStart(17)}  ${`${f1(c.raw.p50)} / ${f1(c.raw.p95)}`.padStart(15)}  ` +
        `${f2(c.engram.p95 / c.raw.p95).padStart(8)}×  ${f3(c.recallAnn).padStart(22)}  ${f3(c.recallRaw).padStart(5)}  ` +
        `${f3(c.overlapFinal).padStart(11)}  ${f1(c.exactMs).padStart(12)}` +
        (c.rawShort ? `  (raw short ${c.rawShort}×)` : ''),
    );
  }
  console.log('\n  where the time goes, p50 ms: the model (raw path), the raw statement, Engram\'s keyword statement and vector stage (replayed)');
  console.log('  class         Engram  raw   model  raw SQL  keyword  vector (p95)  Engram − model − keyword − vector');
  for (const c of r.classes) {
    const s = c.stages;
    console.log(
      `  ${c.name.padEnd(12)} ${f1(c.engram.p50).padStart(7)} ${f1(c.raw.p50).padStart(5)} ${f1(s.embed).padStart(6)} ${f1(s.rawSql).padStart(8)} ` +
        `${f1(s.keyword).padStart(8)} ${`${f1(s.vector)} (${f1(s.vectorP95)})`.padStart(12)}  ${f1(c.engram.p50 - s.embed - s.keyword - s.vector).padStart(10)}`,
    );
  }
  if (r.qps) {
    const q = r.qps;
    console.log(
      `\n  throughput without the model: ${q.concurrency} clients, ${f1(q.seconds)} s: ${q.queries} queries = ${f1(q.qps)} queries/s ` +
        `(p50 ${f1(q.latency.p50)} ms, p95 ${f1(q.latency.p95)} ms)`,
    );
  }
  if (r.ingest) {
    const i = r.ingest;
    console.log(
      `\n  ingest with the real model, ${i.texts} texts: embedding alone ${f1(i.embedRate)}/s, raw (embed + INSERT) ${f1(i.rawRate)}/s, ` +
        `Engram batch route ${f1(i.engramRate)}/s: ratio ${f2(i.engramRate / i.rawRate)} vs raw, ${f2(i.engramRate / i.embedRate)} vs embedding alone`,
    );
  }
}

/** The summary as a markdown table, backends side by side (what docs/BENCHMARKS.md records). */
export function printSummary(results: readonly BackendResult[]): void {
  if (results.length === 0) return;
  const row = (label: string, cell: (r: BackendResult) => string) => console.log(`| ${label} | ${results.map(cell).join(' | ')} |`);
  console.log(`\n| | ${results.map((r) => r.backend).join(' | ')} |`);
  console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
  row('memories (= chunks)', (r) => String(r.memories));
  row('load through the batch route, precomputed vectors', (r) => `${f1(r.memories / r.loadSeconds)} memories/s (${f1(r.loadSeconds)} s)`);
  row('HNSW build', (r) => (r.hnswSeconds === null ? 'during the load' : `${f1(r.hnswSeconds)} s`));
  row('bytes per memory, tenant tables (HNSW index)', (r) => `${(tenantBytes(r) / r.memories).toFixed(0)} (${(r.disk.hnsw / r.memories).toFixed(0)})`);
  const names = [...new Set(results.flatMap((r) => r.classes.map((c) => c.name)))];
  for (const name of names) {
    const cls = (r: BackendResult) => r.classes.find((c) => c.name === name);
    row(`${name}: p95 Engram / raw (ratio)`, (r) => {
      const c = cls(r);
      return c ? `${f1(c.engram.p95)} / ${f1(c.raw.p95)} ms (**${f2(c.engram.p95 / c.raw.p95)}×**)` : '–';
    });
    row(`${name}: recall@10 vector stage / raw`, (r) => {
      const c = cls(r);
      return c ? `${f3(c.recallAnn)} / ${f3(c.recallRaw)}` : '–';
    });
  }
  row('queries/s without the model (clients)', (r) => (r.qps ? `${f1(r.qps.qps)} (${r.qps.concurrency})` : '–'));
  row('ingest, real model: Engram / raw (embed + INSERT)', (r) =>
    r.ingest ? `${f1(r.ingest.engramRate)} / ${f1(r.ingest.rawRate)} /s (**${f2(r.ingest.engramRate / r.ingest.rawRate)}×**)` : '–',
  );
}
