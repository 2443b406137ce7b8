// Engram's query path beside the raw path, in one run, at concurrency 1, then throughput at concurrency C:
//   npm run bench:query-speed -- [--backend postgres|pglite|citus|both] [--transport inject|http]
//                                [--memories N] [--queries N] [--warmup N] [--k K]
//                                [--concurrency C] [--throughput-seconds S | --no-throughput]
// Defaults: both backends, inject, 600 memories, 200 query pairs, 20 warm-up pairs, k 10; throughput with 8
// clients, Engram and raw each for S = 20 s in all, in four alternating slices (E R R E), queries/s each.
// (a) Engram: POST /api/v1/memory/query on the real app (JWT auth, rate limits off, the service
//     pipeline, decryption), through app.inject (in process, no socket) or --transport http (a real
//     listener on 127.0.0.1 and fetch).
// (b) Raw: the same model embeds the same question, then one pgvector query on the same rows
//     (ORDER BY the indexed expression, LIMIT k), as the schema owner, outside any transaction, the
//     vector sent as the text literal `[x,y,…]` (what pgvector's own toSql writes).
// (c) Raw with Engram's vector encoding: the same, the vector bound as Engram binds it
//     (cosineQueryParam: pgvector's binary form on PostgreSQL, scaled integers on PGlite), to show
//     how much of the gap the encoding alone closes.
// The three paths alternate request by request (which goes first rotates too), after a warm-up, so
// machine noise hits them alike. Memories are LoCoMo turns ingested through the API, one user per
// conversation; questions are that conversation's. Prints p50/p95 of each and Engram's ratios.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { signToken } from '../src/auth/token-verifier.js';
import { loadConfig } from '../src/config/load.js';
import { createUserHasher } from '../src/crypto/user-hash.js';
import { createUseLiteEmbedder } from '../src/embed/use-lite.js';
import type { Queryable } from '../src/store/database.js';
import { openDatabase } from '../src/store/open.js';
import { cosineQueryParam } from '../src/store/vector-literal.js';
import type { openPGlite } from '../src/store/pglite.js';
import { createPostgresDatabase } from '../test/helpers/database.js';
import { randomBytes } from 'node:crypto';
import {
  closedLoop,
  DEFAULT_LOCOMO_PATH,
  intOption,
  latencySummary,
  loadLocomo,
  msSince,
  parseBackend,
  promisePool,
  sessionsOf,
  turnText,
  type Backend,
} from './common.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    transport: { type: 'string', default: 'inject' },
    memories: { type: 'string' },
    queries: { type: 'string' },
    warmup: { type: 'string' },
    k: { type: 'string' },
    data: { type: 'string' },
    concurrency: { type: 'string' },
    'throughput-seconds': { type: 'string' },
    'no-throughput': { type: 'boolean' },
  },
});
const backends: Backend[] = values.backend === 'both' ? ['postgres', 'pglite'] : [parseBackend(values.backend)];
if (values.transport !== 'inject' && values.transport !== 'http') throw new Error('--transport must be inject or http');
const transport = values.transport;
const memories = intOption('memories', values.memories, 600, 100_000);
const queries = intOption('queries', values.queries, 200, 100_000);
const warmup = intOption('warmup', values.warmup, 20, 10_000);
const k = intOption('k', values.k, 10, 100);
const concurrency = intOption('concurrency', values.concurrency, 8, 256);
const throughputSeconds = values['no-throughput'] ? 0 : intOption('throughput-seconds', values['throughput-seconds'], 20, 3600);

const samples = loadLocomo(values.data ?? DEFAULT_LOCOMO_PATH);
// Round-robin over conversations so any --memories mixes them all; one user per conversation.
const turns = samples.flatMap((s, user) =>
  sessionsOf(s).flatMap((session) => session.turns.map((turn, i) => ({ user, turn, order: i + session.session * 1000 }))),
);
turns.sort((a, b) => a.order - b.order || a.user - b.user);
const questions = samples
  .flatMap((s, user) => s.qa.filter((q) => typeof q.question === 'string' && q.question.trim()).map((q) => ({ user, text: q.question })));
const interleaved = Array.from({ length: questions.length }, (_, i) => questions[(i * 7919) % questions.length]!);

console.log(
  `Query speed: Engram (${transport === 'inject' ? 'app.inject, in process' : 'HTTP on 127.0.0.1'}) vs raw ` +
    `(embed + one pgvector query), concurrency 1, k=${k}, ${memories} memories, ${warmup} warm-up + ${queries} query pairs`,
);
console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})`);

const embedder = createUseLiteEmbedder({ threads: 1 });
await embedder.init();
const results: { backend: Backend; engram: number[]; raw: number[]; rawEncoded: number[]; qps?: { engram: number; raw: number } }[] = [];
try {
  for (const backend of backends) results.push(await runBackend(backend));
} finally {
  await embedder.close();
}

console.log('');
console.log('backend    path          count  p50 ms  p95 ms  p99 ms   p95 ratio (Engram/this)  p50 ratio');
for (const r of results) {
  const e = latencySummary(r.engram);
  const f = (n: number) => n.toFixed(1).padStart(6);
  console.log(`${r.backend.padEnd(10)} engram       ${String(e.count).padStart(6)}  ${f(e.p50)}  ${f(e.p95)}  ${f(e.p99)}`);
  for (const [name, times] of [['raw', r.raw], ['raw-encoded', r.rawEncoded]] as const) {
    const w = latencySummary(times);
    console.log(
      `${''.padEnd(10)} ${name.padEnd(12)} ${String(w.count).padStart(6)}  ${f(w.p50)}  ${f(w.p95)}  ${f(w.p99)}   ` +
        `${(e.p95 / w.p95).toFixed(2).padStart(21)}×  ${(e.p50 / w.p50).toFixed(2).padStart(8)}×`,
    );
  }
}
for (const r of results) {
  if (!r.qps) continue;
  console.log(
    `${r.backend}: throughput at ${concurrency} concurrent queries: Engram ${r.qps.engram.toFixed(1)} queries/s, raw ` +
      `${r.qps.raw.toFixed(1)} queries/s, Engram / raw ${(r.qps.engram / r.qps.raw).toFixed(2)}×`,
  );
}

async function runBackend(backend: Backend) {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENGRAM_KEK: `1:${randomBytes(32).toString('base64')}`,
    ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_DISABLED: '1',
  };
  let drop = async () => {};
  if (backend !== 'pglite') {
    const created = await createPostgresDatabase('engram_bench_speed', backend);
    env.DATABASE_URL = created.url;
    drop = created.drop;
  } else {
    env.ENGRAM_DATA_DIR = 'memory://';
  }
  const config = loadConfig(env);
  const db = await openDatabase(config.database, {
    migrate: true,
    embedding: { model: embedder.model, dimensions: embedder.dimensions },
    strictRoles: false,
    log: () => {},
    warn: () => {},
  });
  let raw: Queryable;
  let closeRaw = async () => {};
  if (backend !== 'pglite') {
    // One connection per client of the throughput phase (the latency phase uses one at a time).
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: concurrency });
    raw = pool;
    closeRaw = () => pool.end();
  } else {
    raw = (db as Awaited<ReturnType<typeof openPGlite>>).pglite;
  }
  const app = await buildApp(config, { embedder, db });
  let base = '';
  if (transport === 'http') base = await app.listen({ host: '127.0.0.1', port: 0 });
  const hashUser = createUserHasher(config.keys.hashKey);
  const userId = (u: number) => `speed-user-${u}`;
  const tokens = await Promise.all(
    samples.map((_, u) =>
      signToken({ secret: env.JWT_SECRET!, subject: userId(u), scopes: ['memory:read', 'memory:write'], ttlSeconds: 3600 }),
    ),
  );

  const post = async (url: string, u: number, payload: object): Promise<{ status: number; body: string }> => {
    const headers = { authorization: `Bearer ${tokens[u]}`, 'content-type': 'application/json' };
    if (transport === 'http') {
      const res = await fetch(base + url, { method: 'POST', headers, body: JSON.stringify(payload) });
      return { status: res.status, body: await res.text() };
    }
    const res = await app.inject({ method: 'POST', url, headers, payload });
    return { status: res.statusCode, body: res.body };
  };

  try {
    const t0 = process.hrtime.bigint();
    await promisePool(Math.min(memories, turns.length), 2, async (i) => {
      const { user, turn } = turns[i]!;
      const res = await post('/api/v1/memory/index', user, { user_id: userId(user), text: turnText(turn), source: 'locomo', dedup: false });
      if (res.status !== 201) throw new Error(`index: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    });
    console.log(`\n${backend}: ingested ${Math.min(memories, turns.length)} memories in ${(msSince(t0) / 1000).toFixed(1)} s`);

    const engramQuery = async (q: { user: number; text: string }) => {
      const t = process.hrtime.bigint();
      const res = await post('/api/v1/memory/query', q.user, { user_id: userId(q.user), query: q.text, k });
      if (res.status !== 200) throw new Error(`query: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      return msSince(t);
    };
    const dims = embedder.dimensions;
    const rawQuery = async (q: { user: number; text: string }, encoded = false) => {
      const t = process.hrtime.bigint();
      const [vector] = await embedder.embed([q.text]);
      const param = encoded ? cosineQueryParam(vector!) : `[${vector!.join(',')}]`;
      const { rows } = await raw.query(
        `SELECT id, memory_id, ciphertext, source, metadata, created_at,
                embedding::vector(${dims}) <=> $2::vector(${dims}) AS distance
           FROM memory_chunks WHERE user_hash = $1
          ORDER BY embedding::vector(${dims}) <=> $2::vector(${dims}) LIMIT $3`,
        [hashUser(userId(q.user)), param, k],
      );
      if (rows.length === 0) throw new Error('raw query found nothing');
      return msSince(t);
    };

    const engram: number[] = [];
    const rawTimes: number[] = [];
    const rawEncoded: number[] = [];
    const paths = [
      async (q: { user: number; text: string }) => ({ engram: await engramQuery(q) }),
      async (q: { user: number; text: string }) => ({ raw: await rawQuery(q) }),
      async (q: { user: number; text: string }) => ({ rawEncoded: await rawQuery(q, true) }),
    ];
    for (let i = 0; i < warmup + queries; i++) {
      const q = interleaved[i % interleaved.length]!;
      // Rotate which path goes first, so none always runs on a cache another warmed.
      const times: { engram?: number; raw?: number; rawEncoded?: number } = {};
      for (let j = 0; j < paths.length; j++) Object.assign(times, await paths[(i + j) % paths.length]!(q));
      if (i < warmup) continue;
      engram.push(times.engram!);
      rawTimes.push(times.raw!);
      rawEncoded.push(times.rawEncoded!);
    }
    let qps: { engram: number; raw: number } | undefined;
    if (throughputSeconds > 0) {
      // `concurrency` clients, each sending its next question as soon as the last one answered, for a
      // slice of time; slices alternate E R R E so that drift in the machine's speed hits both alike.
      let next = 0;
      const ms = (throughputSeconds * 1000) / 4;
      const count = { engram: 0, raw: 0 };
      for (const which of ['engram', 'raw', 'raw', 'engram'] as const) {
        const fn = which === 'engram' ? engramQuery : (q: { user: number; text: string }) => rawQuery(q, false);
        count[which] += await closedLoop(ms, concurrency, () => fn(interleaved[next++ % interleaved.length]!));
      }
      qps = { engram: count.engram / (throughputSeconds / 2), raw: count.raw / (throughputSeconds / 2) };
      console.log(`${backend}: throughput at ${concurrency} concurrent: Engram ${qps.engram.toFixed(1)}/s, raw ${qps.raw.toFixed(1)}/s`);
    }
    return { backend, engram, raw: rawTimes, rawEncoded, qps };
  } finally {
    await app.close();
    await closeRaw();
    await db.close();
    await drop();
  }
}
