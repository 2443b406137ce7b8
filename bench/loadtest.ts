// Load test of a RUNNING Engram server over HTTP (autocannon): the seed's profile by default, 20 requests/s
// for 5 minutes over a mixed workload (30% index / 70% query) spread over 20 users, each request for a
// random user with that user's own token. Texts are LoCoMo turns, queries LoCoMo questions.
//
//   npm run loadtest -- [--url http://127.0.0.1:8080] [--rps 20] [--duration 5m] [--users 20]
//                       [--index-ratio 0.3] [--connections 10] [--max] [--report path] ...
//   npm run loadtest -- --help
//
// Prints p50/p95/p99 latency (overall, index, query), achieved request rate, error rate and time to first
// value (TTFV: from sending an index request until a query first returns that memory), writes a JSON
// report, and exits 1 when the error rate or the p95 exceeds its threshold (the seed's targets by default).
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { signToken } from '../src/auth/token-verifier.js';
import { findSigningSecret } from '../src/config/load.js';

const HELP = `Usage: npm run loadtest -- [options]

Runs against an already running Engram server (start one first, e.g. RATE_LIMIT_DISABLED=1 npm start).

  --url URL              server base URL (default http://127.0.0.1:8080); loopback hosts only
  --allow-remote         allow a non-loopback host
  --rps N                target requests per second (default 20; autocannon overallRate)
  --duration D           seconds, or e.g. 90s, 5m (default 5m; 30s with --max)
  --users N              distinct users, each with its own token (default 20)
  --index-ratio R        share of index requests, the rest are queries (default 0.3)
  --connections N        HTTP connections (default: min(rps, 50); 10 with --max; never more than --rps).
                         Rate mode runs one autocannon instance per connection, staggered, for a
                         steady arrival rate
  --single-instance      one autocannon instance for all connections instead (autocannon's own
                         behaviour: every connection's per-second budget resets at once: bursts)
  --max                  no rate: as fast as --connections allow, print the throughput
  --k N                  results per query (default 10)
  --preload N            memories indexed per user before the measured run (default 5; not measured)
  --ttfv-interval D      start a TTFV probe every D (default 5s; 0 disables)
  --ttfv-timeout D       give a probe up after D (default 30s)
  --timeout D            request timeout (default 10s); a timeout counts as an error
  --secret S             HS256 secret (else JWT_SECRET, JWT_SECRET_FILE, <data dir>/secrets.json)
  --data-dir DIR         the server's ENGRAM_DATA_DIR, for secrets.json (default $ENGRAM_DATA_DIR or ./.engram)
  --issuer ISS           token iss (default $JWT_ISSUER)
  --audience AUD         token aud (default $JWT_AUDIENCE)
  --data PATH            LoCoMo JSON (default ../shared/data/locomo-dev.json; generated sentences if missing)
  --report PATH          JSON report (default bench/results/loadtest-<timestamp>.json)
  --max-error-rate R     fail above this error rate (default 0.01)
  --max-p95-ms MS        fail above this overall p95 (default 400; not applied with --max)
  -h, --help`;

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------

const OPTIONS = {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    'allow-remote': { type: 'boolean', default: false },
    rps: { type: 'string', default: '20' },
    duration: { type: 'string' },
    users: { type: 'string', default: '20' },
    'index-ratio': { type: 'string', default: '0.3' },
    connections: { type: 'string' },
    'single-instance': { type: 'boolean', default: false },
    max: { type: 'boolean', default: false },
    k: { type: 'string', default: '10' },
    preload: { type: 'string', default: '5' },
    'ttfv-interval': { type: 'string', default: '5s' },
    'ttfv-timeout': { type: 'string', default: '30s' },
    timeout: { type: 'string', default: '10s' },
    secret: { type: 'string' },
    'data-dir': { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
    data: { type: 'string' },
    report: { type: 'string' },
    'max-error-rate': { type: 'string', default: '0.01' },
    'max-p95-ms': { type: 'string', default: '400' },
    help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseCommandLine() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    console.error(`loadtest: ${err instanceof Error ? err.message : String(err)} (see --help)`);
    process.exit(2);
  }
}
const opts = parseCommandLine();

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max} (got ${value})`);
  return n;
}

function num(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number in ${min}..${max} (got ${value})`);
  }
  return n;
}

/** Seconds from `300`, `300s`, `5m`, `1h` or `1500ms`. */
function seconds(name: string, value: string, min: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${name} must be seconds or e.g. 90s, 5m, 1h (got ${value})`);
  const s = Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (s < min) throw new UsageError(`--${name} must be at least ${min} s (got ${value})`);
  return s;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

function parseOptions() {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError(`--url is not a URL: ${opts.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http(s)');
  if (!isLoopback(url.hostname) && !opts['allow-remote']) {
    throw new UsageError(
      `refusing non-loopback host ${url.hostname}: a load test floods the server and writes test data. ` +
        'Pass --allow-remote if you really mean it.',
    );
  }
  const max = opts.max;
  const duration = seconds('duration', opts.duration ?? (max ? '30s' : '5m'), 1);
  const rps = int('rps', opts.rps, 1, 100_000);
  // Rate mode: one connection per request/s up to 50 (each sends one request a second, staggered).
  let connections = int('connections', opts.connections ?? (max ? '10' : String(Math.min(rps, 50))), 1, 1000);
  // autocannon clamps connections to overallRate itself (every connection needs >= 1 request/s).
  if (!max && connections > rps) connections = rps;
  return {
    url,
    base: url.href.replace(/\/+$/, ''),
    basePath: url.pathname.replace(/\/+$/, ''),
    max,
    singleInstance: opts['single-instance'],
    rps,
    duration,
    users: int('users', opts.users, 1, 100_000),
    indexRatio: num('index-ratio', opts['index-ratio'], 0, 1),
    connections,
    k: int('k', opts.k, 1, 100),
    preload: int('preload', opts.preload, 0, 10_000),
    ttfvInterval: seconds('ttfv-interval', opts['ttfv-interval'], 0),
    ttfvTimeout: seconds('ttfv-timeout', opts['ttfv-timeout'], 1),
    timeout: seconds('timeout', opts.timeout, 1),
    maxErrorRate: num('max-error-rate', opts['max-error-rate'], 0, 1),
    maxP95Ms: num('max-p95-ms', opts['max-p95-ms'], 0, Number.MAX_SAFE_INTEGER),
  };
}

// ---------------------------------------------------------------------------------------------------
// Token secret
// ---------------------------------------------------------------------------------------------------

function tokenSecret(): { secret: string; source: string } {
  const dataDir = opts['data-dir'] ?? process.env.ENGRAM_DATA_DIR ?? './.engram';
  const found = findSigningSecret(opts.secret, process.env, dataDir);
  if (found) return { secret: found.secret, source: found.from };
  throw new UsageError(
    `no token secret: pass --secret, set JWT_SECRET, or point --data-dir / ENGRAM_DATA_DIR at the server's data ` +
      `directory (looked for ${join(dataDir, 'secrets.json')})`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Texts: LoCoMo turns to index and LoCoMo questions to ask; generated sentences without the data
// ---------------------------------------------------------------------------------------------------

const DEFAULT_DATA = fileURLToPath(new URL('../../shared/data/locomo-dev.json', import.meta.url));

interface Corpus {
  source: string;
  texts: string[];
  questions: string[];
}

function loadCorpus(path: string): Corpus {
  if (existsSync(path)) {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Array<{ conversation?: Record<string, unknown>; qa?: unknown[] }>;
    const texts: string[] = [];
    const questions: string[] = [];
    for (const sample of Array.isArray(data) ? data : []) {
      for (const [key, turns] of Object.entries(sample.conversation ?? {})) {
        if (!/^session_\d+$/.test(key) || !Array.isArray(turns)) continue;
        for (const t of turns as Array<{ speaker?: unknown; text?: unknown; blip_caption?: unknown }>) {
          if (typeof t.text !== 'string' || !t.text.trim()) continue;
          const caption = typeof t.blip_caption === 'string' && t.blip_caption.trim() ? ` [image: ${t.blip_caption.trim()}]` : '';
          texts.push(`${String(t.speaker ?? 'someone')}: ${t.text}${caption}`);
        }
      }
      for (const q of sample.qa ?? []) {
        const question = (q as { question?: unknown }).question;
        if (typeof question === 'string' && question.trim()) questions.push(question);
      }
    }
    if (texts.length > 0 && questions.length > 0) {
      return { source: `LoCoMo (${texts.length} turns, ${questions.length} questions) from ${path}`, texts, questions };
    }
  }
  const names = ['Alice', 'Bob', 'Caroline', 'Dmitri', 'Esther', 'Farid', 'Grace', 'Hiro'];
  const verbs = ['adopted', 'painted', 'visited', 'cooked', 'repaired', 'photographed', 'sold', 'borrowed'];
  const things = ['a beagle named Rex', 'the old lighthouse', 'a lemon tart', 'her grandfather\'s bike', 'a mural downtown', 'the garden shed', 'a vintage camera', 'a sailing boat'];
  const when = ['last Tuesday', 'in March', 'after the concert', 'during the holidays', 'before moving to Lisbon', 'on her birthday'];
  const pick = <T>(a: T[]) => a[randomInt(a.length)]!;
  const texts = Array.from({ length: 2000 }, () => `${pick(names)}: I ${pick(verbs)} ${pick(things)} ${pick(when)}. It was ${pick(['fun', 'hard work', 'a surprise', 'worth it'])}.`);
  const questions = Array.from({ length: 500 }, () => `When did ${pick(names)} ${pick(['adopt', 'paint', 'visit', 'cook', 'repair', 'sell'])} ${pick(things)}?`);
  return { source: `generated sentences (no LoCoMo data at ${path})`, texts, questions };
}

// ---------------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..100); NaN when empty. `sorted` must be ascending. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(Math.max(1, Math.ceil((p / 100) * sorted.length)), sorted.length) - 1]!;
}

function summary(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => (Number.isNaN(n) ? null : Math.round(n * 10) / 10);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
    mean: round(sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nowMs = () => performance.now();
const fmt = (n: number | null, width = 8) => (n === null ? '-' : n.toFixed(1)).padStart(width);
const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

type Op = 'index' | 'query';

async function main(): Promise<number> {
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  const o = parseOptions();
  const { secret, source: secretSource } = tokenSecret();
  const issuer = opts.issuer ?? process.env.JWT_ISSUER;
  const audience = opts.audience ?? process.env.JWT_AUDIENCE;
  const corpus = loadCorpus(resolve(opts.data ?? DEFAULT_DATA));
  const runId = randomBytes(4).toString('hex');
  const userIds = Array.from({ length: o.users }, (_, i) => `loadtest-${runId}-${i}`);
  const ttlSeconds = Math.ceil(o.duration + o.ttfvTimeout) + 3600;
  const tokens = await Promise.all(
    userIds.map((subject) =>
      signToken({ secret, subject, scopes: ['memory:read', 'memory:write'], ttlSeconds, issuer, audience }),
    ),
  );
  const path = (p: string) => `${o.basePath}/api/v1/memory/${p}`;
  const pickText = () => corpus.texts[randomInt(corpus.texts.length)]!;
  const pickQuestion = () => corpus.questions[randomInt(corpus.questions.length)]!;

  const mode = o.max
    ? `max throughput, ${o.connections} connections`
    : `${o.rps} req/s target (autocannon overallRate), ${o.connections} connections${o.singleInstance ? ' in one instance (bursty)' : ', staggered'}`;
  console.log(`Engram load test: ${o.base}, ${mode}, ${o.duration} s`);
  console.log(`  ${o.users} users (loadtest-${runId}-*), ${Math.round(o.indexRatio * 100)}% index / ${Math.round((1 - o.indexRatio) * 100)}% query, k=${o.k}`);
  console.log(`  texts: ${corpus.source}`);
  console.log(`  token secret: from ${secretSource}${issuer ? `, iss ${issuer}` : ''}${audience ? `, aud ${audience}` : ''}`);
  console.log(`  client: node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${hostname()}`);

  // --- the server must be up and accept our tokens --------------------------------------------------
  const api = async (p: string, token: string, body: unknown, timeoutMs = o.timeout * 1000) => {
    const res = await fetch(`${o.url.origin}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  try {
    const ready = await fetch(`${o.url.origin}${o.basePath}/readyz`, { signal: AbortSignal.timeout(5000) });
    if (ready.status !== 200) throw new Error(`/readyz answered ${ready.status}: ${(await ready.text()).slice(0, 200)}`);
  } catch (err) {
    console.error(`loadtest: server at ${o.base} is not ready: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const probe = await api(path('query'), tokens[0]!, { user_id: userIds[0], query: 'hello', k: 1 });
  if (probe.status === 401) {
    console.error(`loadtest: the server rejects our token (401 ${probe.text.slice(0, 200)}); the secret from ${secretSource} is not the server's (or JWT_ISSUER/JWT_AUDIENCE differ)`);
    return 1;
  }
  if (probe.status !== 200) {
    console.error(`loadtest: a first query failed: HTTP ${probe.status} ${probe.text.slice(0, 200)}`);
    return 1;
  }

  // --- preload: a few memories per user, so the first queries search something (not measured) -------
  if (o.preload > 0) {
    const total = o.preload * o.users;
    const t0 = nowMs();
    let next = 0;
    let failure: string | undefined;
    await Promise.all(
      Array.from({ length: Math.min(4, total) }, async () => {
        while (next < total && !failure) {
          const u = next++ % o.users;
          const r = await api(path('index'), tokens[u]!, { user_id: userIds[u], text: pickText(), source: 'loadtest', dedup: false });
          if (r.status !== 201) failure = `HTTP ${r.status} ${r.text.slice(0, 200)}`;
        }
      }),
    );
    if (failure) {
      console.error(`loadtest: preload failed: ${failure}`);
      return 1;
    }
    console.log(`  preloaded ${total} memories (${o.preload} per user) in ${((nowMs() - t0) / 1000).toFixed(1)} s (not measured)`);
  }

  // --- the measured run --------------------------------------------------------------------------------
  const latencies: Record<Op, number[]> = { index: [], query: [] };
  const statusByOp: Record<Op, Record<string, number>> = { index: {}, query: {} };
  const socketErrors: Record<string, number> = {};
  // onResponse (which knows the request's context) runs synchronously right before the instance's
  // `response` event (which carries autocannon's own response time), both from the same client.
  let lastOp: Op | undefined;

  // autocannon's overallRate gives each connection a budget per second, refilled by a 1-second timer that
  // each connection starts when its instance is created. In one instance all those timers fire together,
  // so overallRate 20 over 10 connections sends 10 requests at once at every second boundary. For a
  // steady arrival rate we run one autocannon instance per connection, each with its share of the rate,
  // started 1000/connections ms apart (--single-instance keeps autocannon's own bursty behaviour).
  const share = (i: number, n: number) => Math.floor(o.rps / n) + (i < o.rps % n ? 1 : 0);
  const plan: Array<{ connections: number; rate?: number }> = o.max
    ? [{ connections: o.connections }]
    : o.singleInstance
      ? [{ connections: o.connections, rate: o.rps }]
      : Array.from({ length: o.connections }, (_, i) => ({ connections: 1, rate: share(i, o.connections) }));
  const requests: autocannon.Request[] = [
    {
      setupRequest: (req, context) => {
        const u = randomInt(o.users);
        const op: Op = Math.random() < o.indexRatio ? 'index' : 'query';
        context.op = op;
        const body =
          op === 'index'
            ? { user_id: userIds[u], text: pickText(), source: 'loadtest', dedup: false } // the write path, not the dedup shortcut
            : { user_id: userIds[u], query: pickQuestion(), k: o.k };
        return {
          ...req,
          method: 'POST',
          path: path(op),
          headers: { ...req.headers, authorization: `Bearer ${tokens[u]}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        };
      },
      onResponse: (_status, _body, context) => {
        lastOp = context.op as Op;
      },
    },
  ];

  const instances: autocannon.Instance[] = [];
  let interrupted = false;
  const stopOnSignal = () => {
    console.error('\ninterrupted: stopping the load (the report covers what ran)');
    interrupted = true;
    for (const instance of instances) instance.stop();
  };
  process.once('SIGINT', stopOnSignal);
  const runStart = nowMs();
  const cpuStart = process.cpuUsage();
  const finished: Array<Promise<autocannon.Result>> = [];
  for (let i = 0; i < plan.length && !interrupted; i++) {
    if (i > 0) await sleep(runStart + (i * 1000) / plan.length - nowMs());
    const { connections, rate } = plan[i]!;
    const instance = autocannon({
      url: o.url.origin,
      connections,
      duration: o.duration,
      ...(rate === undefined ? {} : { overallRate: rate }),
      timeout: o.timeout,
      // With a rate, autocannon's coordinated-omission correction assumes an interval of
      // ceil(1 / per-connection rate) ms, i.e. 1 ms here, and would add hundreds of synthetic samples per
      // response. The percentiles below come from the raw response times; the achieved rate is printed
      // next to them. (autocannon refuses the option without a rate.)
      ...(rate === undefined ? {} : { ignoreCoordinatedOmission: true }),
      requests,
    });
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      const op = lastOp;
      lastOp = undefined;
      if (!op) return;
      latencies[op].push(ms);
      statusByOp[op][statusCode] = (statusByOp[op][statusCode] ?? 0) + 1;
    });
    instance.on('reqError', (err) => {
      const key = err.message || err.name;
      socketErrors[key] = (socketErrors[key] ?? 0) + 1;
    });
    instances.push(instance);
    const done = Promise.resolve(instance);
    done.catch(() => undefined); // handled by Promise.all below; avoid an unhandled rejection meanwhile
    finished.push(done);
  }

  // Progress: a line every ~10% of the run (at least every 5 s, at most every 60 s).
  const progressEvery = Math.min(60, Math.max(5, o.duration / 10)) * 1000;
  // The 1-minute load average of this machine, sampled: other work on a shared machine skews the figures.
  const load1: number[] = [loadavg()[0]!];
  const progress = setInterval(() => {
    load1.push(loadavg()[0]!);
    const n = latencies.index.length + latencies.query.length;
    const elapsed = (nowMs() - runStart) / 1000;
    const errs = Object.values(socketErrors).reduce((a, b) => a + b, 0);
    console.log(`  [${elapsed.toFixed(0).padStart(4)} s] ${n} responses, ${(n / elapsed).toFixed(1)} req/s, ${errs} socket errors/timeouts`);
  }, progressEvery);

  // TTFV probes, one at a time, every ttfvInterval while the load runs: index a unique sentence for a
  // random load user and query it back until that memory appears.
  interface TtfvSample {
    n: number;
    ok: boolean;
    ttfvMs?: number;
    indexMs?: number;
    polls: number;
    error?: string;
  }
  const ttfv: TtfvSample[] = [];
  let loadRunning = true;
  const ttfvLoop = (async () => {
    if (o.ttfvInterval <= 0) return;
    const maxProbes = Math.max(1, Math.floor(o.duration / o.ttfvInterval));
    for (let n = 0; n < maxProbes; n++) {
      const due = runStart + 1000 + n * o.ttfvInterval * 1000;
      while (loadRunning && nowMs() < due) await sleep(Math.min(200, due - nowMs()));
      if (!loadRunning) break;
      const u = randomInt(o.users);
      const text = `TTFV probe ${runId}-${n}: ${randomBytes(6).toString('hex')} is the code word the courier left under the blue flowerpot.`;
      const sample: TtfvSample = { n, ok: false, polls: 0 };
      ttfv.push(sample);
      const t0 = nowMs();
      const deadline = t0 + o.ttfvTimeout * 1000;
      try {
        const ix = await api(path('index'), tokens[u]!, { user_id: userIds[u], text, source: 'loadtest-ttfv' });
        sample.indexMs = Math.round((nowMs() - t0) * 10) / 10;
        if (ix.status !== 201) throw new Error(`index HTTP ${ix.status} ${ix.text.slice(0, 120)}`);
        const memoryId = (JSON.parse(ix.text) as { memory_id: string }).memory_id;
        while (nowMs() < deadline) {
          sample.polls++;
          const q = await api(path('query'), tokens[u]!, { user_id: userIds[u], query: text, k: 5 }, Math.max(1, deadline - nowMs()));
          if (q.status === 200 && (JSON.parse(q.text) as { results: Array<{ memory_id: string }> }).results.some((r) => r.memory_id === memoryId)) {
            sample.ttfvMs = Math.round((nowMs() - t0) * 10) / 10;
            sample.ok = true;
            break;
          }
          await sleep(50);
        }
        if (!sample.ok && !sample.error) sample.error = `not returned by a query within ${o.ttfvTimeout} s`;
      } catch (err) {
        sample.error = err instanceof Error ? err.message : String(err);
      }
    }
  })();

  let results: autocannon.Result[];
  let clientCpu = 0;
  try {
    results = await Promise.all(finished);
  } catch (err) {
    for (const instance of instances) instance.stop();
    throw err;
  } finally {
    loadRunning = false;
    const cpu = process.cpuUsage(cpuStart);
    // This process's CPU time per wall second of the run (1.0 = one core busy), TTFV probes included.
    clientCpu = (cpu.user + cpu.system) / 1000 / Math.max(1, nowMs() - runStart);
    load1.push(loadavg()[0]!);
    clearInterval(progress);
    process.removeListener('SIGINT', stopOnSignal);
  }
  await ttfvLoop;

  // --- figures -------------------------------------------------------------------------------------------
  const all = [...latencies.index, ...latencies.query];
  const responses = all.length;
  const sumOf = (f: (r: autocannon.Result) => number) => results.reduce((a, r) => a + f(r), 0);
  const errorsSocket = sumOf((r) => r.errors); // connection errors + timeouts
  const timeouts = sumOf((r) => r.timeouts);
  const non2xx = sumOf((r) => r.non2xx);
  const sent = sumOf((r) => r.requests.sent);
  const attempts = responses + errorsSocket;
  const errorRate = attempts === 0 ? 1 : (non2xx + errorsSocket) / attempts;
  const responsesOf = (r: autocannon.Result) => Object.values(r.statusCodeStats).reduce((a, { count }) => a + count, 0);
  // Each instance's responses over its own duration, summed: the rate while the load ran.
  const achievedRps = sumOf((r) => responsesOf(r) / r.duration);
  const started = new Date(Math.min(...results.map((r) => new Date(r.start).getTime())));
  const finishedAt = new Date(Math.max(...results.map((r) => new Date(r.finish).getTime())));
  const wallSeconds = (finishedAt.getTime() - started.getTime()) / 1000;
  const overall = summary(all);
  const perOp = { index: summary(latencies.index), query: summary(latencies.query) };
  const ttfvOk = ttfv.filter((s) => s.ok).map((s) => s.ttfvMs!);
  const ttfvSummary = { probes: ttfv.length, failed: ttfv.length - ttfvOk.length, ...summary(ttfvOk) };
  const statusCodes: Record<string, number> = {};
  for (const r of results) for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = (statusCodes[code] ?? 0) + count;

  const checks = [
    { name: 'error rate', value: errorRate, limit: o.maxErrorRate, pass: errorRate <= o.maxErrorRate, shown: `${pct(errorRate)} <= ${pct(o.maxErrorRate)}` },
    ...(o.max
      ? []
      : [{ name: 'p95 latency', value: overall.p95, limit: o.maxP95Ms, pass: overall.p95 !== null && overall.p95 <= o.maxP95Ms, shown: `${overall.p95 ?? '-'} ms <= ${o.maxP95Ms} ms` }]),
  ];
  const pass = checks.every((c) => c.pass);

  console.log('');
  console.log(
    `requests: ${sent} sent, ${responses} responses, ${errorsSocket} socket errors/timeouts (${timeouts} timeouts), ` +
      `${Math.max(0, sent - responses - errorsSocket)} in flight at the end (dropped), over ${wallSeconds.toFixed(1)} s`,
  );
  console.log(o.max ? `throughput: ${achievedRps.toFixed(1)} req/s (max mode, ${o.connections} connections)` : `achieved: ${achievedRps.toFixed(2)} req/s (target ${o.rps})`);
  const loadMax = Math.max(...load1);
  console.log(
    `machine load average (1 min) during the run: ${load1[0]!.toFixed(2)} at start, max ${loadMax.toFixed(2)} ` +
      `(${availableParallelism()} CPUs; includes this client and, on loopback, the server); ` +
      `this client used ${clientCpu.toFixed(2)} CPU`,
  );
  if (!o.max && achievedRps < 0.95 * o.rps) {
    console.log(`  note: below 95% of the target: the server could not keep up, so the latencies understate the wait a steady arrival rate would see`);
  }
  console.log('');
  console.log('latency ms    count      p50      p95      p99      max     mean   (autocannon response times, all status codes)');
  for (const [name, s] of [['all', overall], ['index', perOp.index], ['query', perOp.query]] as const) {
    console.log(`${name.padEnd(9)} ${String(s.count).padStart(7)} ${fmt(s.p50)} ${fmt(s.p95)} ${fmt(s.p99)} ${fmt(s.max)} ${fmt(s.mean)}`);
  }
  console.log('');
  console.log(`status codes: ${Object.entries(statusCodes).map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'}`);
  for (const [msg, n] of Object.entries(socketErrors)) console.log(`socket error: ${msg} x${n}`);
  console.log(`error rate: ${pct(errorRate)} (${non2xx} non-2xx + ${errorsSocket} socket errors/timeouts of ${attempts})`);
  console.log(
    `TTFV ms (index sent -> first query returning it, every ${o.ttfvInterval} s): ` +
      (ttfv.length === 0
        ? 'no probes'
        : `${ttfvSummary.probes} probes, p50 ${ttfvSummary.p50 ?? '-'}, p95 ${ttfvSummary.p95 ?? '-'}, max ${ttfvSummary.max ?? '-'}, failed ${ttfvSummary.failed}`),
  );
  for (const s of ttfv.filter((x) => !x.ok).slice(0, 3)) console.log(`  TTFV probe ${s.n} failed: ${s.error}`);
  console.log('');
  for (const c of checks) console.log(`${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.shown}`);
  if (o.max) console.log('(p95 threshold not applied in --max mode: the server is saturated on purpose)');

  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const reportPath = resolve(opts.report ?? fileURLToPath(new URL(`./results/loadtest-${stamp}.json`, import.meta.url)));
  const report = {
    kind: 'engram-loadtest',
    version: 1,
    started,
    finished: finishedAt,
    target: o.base,
    mode: o.max ? 'max' : 'rate',
    options: {
      rps: o.max ? null : o.rps,
      duration_s: o.duration,
      users: o.users,
      index_ratio: o.indexRatio,
      connections: o.connections,
      k: o.k,
      preload_per_user: o.preload,
      ttfv_interval_s: o.ttfvInterval,
      ttfv_timeout_s: o.ttfvTimeout,
      timeout_s: o.timeout,
    },
    run_id: runId,
    token_secret_source: secretSource,
    texts: corpus.source,
    client: {
      node: process.version,
      cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? null,
      memory_bytes: totalmem(),
      hostname: hostname(),
      loadavg_1m_samples: load1.map((l) => Math.round(l * 100) / 100),
      cpu_used: Math.round(clientCpu * 100) / 100,
    },
    load_model: o.max
      ? `one autocannon instance, ${o.connections} connections, no rate`
      : o.singleInstance
        ? `one autocannon instance, overallRate ${o.rps} over ${o.connections} connections (per-second budgets reset together)`
        : `${plan.length} autocannon instances of 1 connection each, overallRate ${o.rps} split between them, started ${(1000 / plan.length).toFixed(0)} ms apart`,
    requests: { sent, responses, socket_errors: errorsSocket, timeouts, non_2xx: non2xx, wall_s: wallSeconds },
    achieved_rps: Math.round(achievedRps * 100) / 100,
    error_rate: errorRate,
    status_codes: statusCodes,
    status_codes_by_op: statusByOp,
    socket_errors: socketErrors,
    latency_ms: { measured: 'autocannon response time per response (all status codes), percentiles nearest-rank', all: overall, ...perOp },
    ttfv_ms: { measured: 'from sending an index request to the first query response that contains the memory', ...ttfvSummary, samples: ttfv },
    thresholds: { max_error_rate: o.maxErrorRate, max_p95_ms: o.max ? null : o.maxP95Ms },
    checks,
    pass,
    interrupted,
  };
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${reportPath}`);
  if (interrupted) console.log('interrupted: the run was cut short (exit 130)');
  return interrupted ? 130 : pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`loadtest: ${err instanceof Error ? err.message : String(err)}`);
    // exit() rather than exitCode: a failed run may leave timers or sockets behind.
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
