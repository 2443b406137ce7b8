import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/auth/token-verifier.js';
import { dataKeyAad, fieldAad, open } from '../../src/crypto/envelope.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { CLI, runCli, runningServes, startServe, type ServeProcess } from '../helpers/cli.js';
import { backend, createPostgresDatabase } from '../helpers/database.js';
import { NodeLoad, requestLog, type Attempt } from '../helpers/node-load.js';

/** Figures for the report: printed, never asserted on as speed. */
const printFigures = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRITE_LIMIT = 6;

type Body = Record<string, unknown> & { memories?: { memory_id: string; text: string }[] };
type Answer = { status: number; body: Body; text: string; header: (name: string) => string | null };

/**
 * Issue 16, several API nodes: two real `engram serve` processes on one Citus database and one Redis,
 * as a deployment behind a load balancer runs them. Rate limits are one budget across the nodes, an
 * erase on one node is seen by the other at once, and a rolling restart (SIGTERM, start again) under
 * write load loses no acknowledged write and drops no request a node had received.
 */
describe.runIf(backend() === 'citus')('several API nodes on one Citus cluster', () => {
  const secret = randomBytes(32).toString('hex');
  const hashKey = randomBytes(32);
  const kek = randomBytes(32);
  const prefix = `engram:rl:test:api-nodes:${randomUUID()}:`;
  const nodes: ServeProcess[] = []; // the two nodes now; a restart replaces its entry
  const started: ServeProcess[] = []; // every process started, for their request logs
  let env: NodeJS.ProcessEnv;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let owner: pg.Client;

  const boot = async () => {
    const s = await startServe(env);
    started.push(s);
    return s;
  };

  beforeAll(async () => {
    const t0 = performance.now();
    db = await createPostgresDatabase();
    const t1 = performance.now();
    const appLogin = new URL(db.url);
    appLogin.username = 'engram_app'; // the nodes log in as the app role; only `engram migrate` is the owner
    env = {
      ...process.env,
      DATABASE_URL: appLogin.toString(),
      MIGRATE_ON_START: 'false',
      PORT: '0',
      LOG_LEVEL: 'info', // the request logs say which requests a node received
      EMBEDDING_THREADS: '1',
      DATABASE_POOL_MAX: '4',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
      SHUTDOWN_GRACE_MS: '30000', // generous: a busy machine answers the requests in flight slowly
      JWT_SECRET: secret,
      ENGRAM_KEK: kek.toString('base64'),
      ENGRAM_HASH_KEY: hashKey.toString('base64'),
      REDIS_URL,
      RATE_LIMIT_KEY_PREFIX: prefix,
      RATE_LIMIT_WRITE_PER_MIN: String(WRITE_LIMIT), // PATCH, DELETE, erase: small, to reach it
      ...Object.fromEntries(['INGEST', 'READ', 'QUERY'].map((c) => [`RATE_LIMIT_${c}_PER_MIN`, '100000'])),
    };
    await runCli('node', [...CLI, 'migrate'], { env: { ...env, DATABASE_URL: db.url } }); // once, as the owner; the nodes only serve
    const t2 = performance.now();
    nodes.push(...(await Promise.all([boot(), boot()])));
    const s = (a: number, b: number) => `${((b - a) / 1000).toFixed(1)} s`;
    printFigures(`[citus-api-nodes] set-up: Citus database ${s(t0, t1)}, migrate ${s(t1, t2)}, two nodes started ${s(t2, performance.now())}`);
    owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
  });

  afterAll(async () => {
    const exits = [...runningServes].map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of runningServes) child.kill('SIGKILL'); // a node still starting too (a test timed out)
    await Promise.all(exits);
    await owner?.end();
    await db?.drop();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    let cursor = '0'; // only this run's keys; never FLUSHALL a shared Redis
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  });

  const tokens = new Map<string, Promise<string>>();
  const token = (user: string) => {
    if (!tokens.has(user)) tokens.set(user, signToken({ secret, subject: user, scopes: ['memory:read', 'memory:write'], ttlSeconds: 600 }));
    return tokens.get(user)!;
  };

  /** One HTTP request to a node (0 = A, 1 = B) as `user`; throws when there is no answer. */
  async function call(node: number, user: string, method: string, path: string, body?: object, requestId?: string): Promise<Answer> {
    const res = await fetch(`${nodes[node]!.url}/api/v1/memory${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(user)}`,
        ...(body && { 'content-type': 'application/json' }),
        ...(requestId && { 'x-request-id': requestId }),
      },
      ...(body && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.startsWith('application/json');
    return { status: res.status, body: json ? (JSON.parse(text) as Body) : {}, text, header: (name) => res.headers.get(name) };
  }
  const index = (node: number, user: string, text: string) => call(node, user, 'POST', '/index', { user_id: user, text });

  it('rate limits are one budget across the nodes (shared Redis), per user', async () => {
    const user = `rl-${randomUUID()}`;
    const other = `rl-other-${randomUUID()}`;
    const mine = (await index(0, user, 'Limits are counted once for the whole deployment.')).body.memory_id as string;
    const theirs = (await index(1, other, 'Another user has a budget of their own.')).body.memory_id as string;
    const patch = (node: number, who: string, id: string, n: number) => call(node, who, 'PATCH', `/${id}`, { user_id: who, metadata: { n } });

    for (let i = 0; i < WRITE_LIMIT; i++) {
      const res = await patch(i % 2, user, mine, i); // A, B, A, B, …
      expect(res.status, res.text).toBe(200);
      expect(res.header('x-ratelimit-limit')).toBe(String(WRITE_LIMIT));
      expect(res.header('x-ratelimit-remaining'), `request ${i + 1}, node ${'AB'[i % 2]}`).toBe(String(WRITE_LIMIT - 1 - i));
    }
    for (const node of [0, 1]) {
      const res = await patch(node, user, mine, 99);
      expect(res.status, res.text).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      expect(res.header('x-ratelimit-remaining')).toBe('0');
      expect(Number(res.header('retry-after'))).toBeGreaterThan(0);
    }
    // The refused updates did nothing; the last accepted one holds, on either node.
    expect((await call(1, user, 'GET', `/${mine}?user_id=${user}`)).body.metadata).toEqual({ n: WRITE_LIMIT - 1 });
    // Another user is unaffected, and their own budget is shared across the nodes too.
    const first = await patch(1, other, theirs, 0);
    const second = await patch(0, other, theirs, 1);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.header('x-ratelimit-remaining'), second.header('x-ratelimit-remaining')]).toEqual([
      String(WRITE_LIMIT - 1),
      String(WRITE_LIMIT - 2),
    ]);
  });

  it('an erase on node A is seen by node B at once: no old data, and a new write is sealed under a new key', async () => {
    const user = `erase-${randomUUID()}`;
    const userHash = createUserHasher(hashKey)(user);
    const texts = ['Eve keeps bees on the roof.', 'Eve is allergic to walnuts.', 'Eve plays the cello on Sundays.'];
    const ids: string[] = [];
    for (const text of texts) ids.push((await index(1, user, text)).body.memory_id as string);
    // B serves Eve (B caches her unwrapped data key); A has never opened it.
    expect((await call(1, user, 'GET', `/?user_id=${user}`)).body.memories).toHaveLength(3);
    expect((await call(1, user, 'GET', `/${ids[0]}?user_id=${user}`)).body.text).toBe(texts[0]);
    const before = await call(1, user, 'POST', '/query', { user_id: user, query: 'what does Eve do on Sundays?' });
    expect((before.body.results as { text: string }[]).map((h) => h.text)).toContain(texts[2]);
    const keySql = 'SELECT kek_version, wrapped_dek FROM user_keys WHERE user_hash = $1';
    const keyRow = async () => (await owner.query<{ kek_version: number; wrapped_dek: Buffer }>(keySql, [userHash])).rows[0]!;
    const oldKey = (await keyRow()).wrapped_dek;

    const erased = await call(0, user, 'DELETE', `/?user_id=${user}`);
    expect(erased.body).toEqual({ memories_deleted: 3, key_destroyed: true });

    // The very next requests on B: nothing of the old data, by any route.
    for (const id of ids) expect((await call(1, user, 'GET', `/${id}?user_id=${user}`)).status).toBe(404);
    expect((await call(1, user, 'GET', `/?user_id=${user}`)).body.memories).toEqual([]);
    const after = await call(1, user, 'POST', '/query', { user_id: user, query: 'what does Eve do on Sundays?' });
    expect([after.status, after.body.results]).toEqual([200, []]);
    const exported = await call(1, user, 'GET', `/export?user_id=${user}`);
    expect([exported.status, exported.text]).toEqual([200, '']);
    const left = await owner.query('SELECT 1 FROM memories WHERE user_hash = $1 UNION ALL SELECT 1 FROM user_keys WHERE user_hash = $1', [
      userHash,
    ]);
    expect(left.rowCount).toBe(0); // no row and no key of Eve's is left

    // A new write on B: sealed under a new key, which the database holds. A node that kept using the
    // destroyed key from its cache would seal with it: A (which never cached it) could not open the
    // memory, and the stored key would not open its text either.
    const text = 'Eve starts over with a vegetable garden.';
    const fresh = await index(1, user, text);
    expect(fresh.status, fresh.text).toBe(201);
    for (const node of [0, 1]) {
      const list = await call(node, user, 'GET', `/?user_id=${user}`);
      expect(list.status, list.text).toBe(200);
      expect(list.body.memories!.map((m) => m.text)).toEqual([text]);
      const hits = await call(node, user, 'POST', '/query', { user_id: user, query: 'bees walnuts cello garden' });
      expect((hits.body.results as { memory_id: string }[]).map((h) => h.memory_id)).toEqual([fresh.body.memory_id]);
      for (const id of ids) expect((await call(node, user, 'GET', `/${id}?user_id=${user}`)).status).toBe(404);
    }
    const { kek_version: version, wrapped_dek: wrapped } = await keyRow();
    expect(wrapped.equals(oldKey)).toBe(false);
    const dek = open(kek, wrapped, dataKeyAad(userHash, version));
    const row = await owner.query<{ c: Buffer }>('SELECT text_ciphertext AS c FROM memories WHERE user_hash = $1', [userHash]);
    const id = fresh.body.memory_id as string;
    expect(open(dek, row.rows[0]!.c, fieldAad(userHash, 'memories', id, 'text')).toString()).toBe(text);
  });

  it('a rolling restart (SIGTERM, start again) under load loses no acknowledged write and drops no received request', async () => {
    const load = new NodeLoad(call, 2, ['load-0', 'load-1', 'load-2', 'load-3']);
    const name = (node: number) => 'AB'[node]!;
    const t0 = performance.now();
    // Printed as it happens: a test that runs out of time still shows how far it got.
    const step = (what: string) => printFigures(`[citus-api-nodes] +${((performance.now() - t0) / 1000).toFixed(1)} s ${what}`);
    // Longer texts (two chunks to embed each), so that the process is still working on them when the signal arrives.
    const longText = (k: number) => `Probe ${k} ${randomUUID()}. ${'A longer note keeps the embedder busy for a while, sentence after sentence. '.repeat(14)}`;

    const restart = async (node: number) => {
      const old = nodes[node]!;
      load.phase = `restart-${name(node)}`;
      // Requests in flight when SIGTERM arrives: sent to this node, signalled once its log shows them received.
      const probeIds = load.users.map(() => load.nextId());
      const probes = probeIds.map((id, k) => load.write(load.users[k]!, longText(k), node, id));
      for (let waited = 0; waited < 15_000 && !probeIds.every((id) => old.output().includes(`"reqId":"${id}"`)); waited += 5) await sleep(5);
      const signalled = performance.now();
      step(`${name(node)}: SIGTERM`);
      old.child.kill('SIGTERM');
      const code = await old.exited;
      const { inFlightAtShutdown } = requestLog(old.output());
      step(`${name(node)}: ${inFlightAtShutdown.size} requests in flight at SIGTERM; exit ${code} after ${(performance.now() - signalled).toFixed(0)} ms`);
      expect(code, old.output().slice(-2000)).toBe(0); // drained within SHUTDOWN_GRACE_MS
      expect(inFlightAtShutdown.size).toBeGreaterThan(0); // the drain was exercised (each was answered: checked below)
      const booting = performance.now();
      nodes[node] = await boot(); // a new port: the old address refuses connections meanwhile
      step(`${name(node)}: up again after ${(performance.now() - booting).toFixed(0)} ms`);
      await Promise.all(probes);
      load.phase = `after-${name(node)}`;
    };

    load.start(3, 1, 150); // a modest load: the same two cores also start the restarted node
    // Between the steps, a few more acknowledged writes (not a fixed time: the machine may be slow).
    await load.progress(5);
    await restart(0);
    await load.progress(5);
    await restart(1);
    await load.progress(5);
    await load.stop();
    step('load stopped');

    // Stored: counted on the coordinator as the superuser; readable: each user's export, on alternate nodes.
    const ids = [...load.acknowledged.keys()];
    const found = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM memories WHERE id = ANY($1::uuid[])', [ids]);
    const stored = found.rows[0]!.n;
    const exported = new Set<string>();
    for (const [i, user] of load.users.entries()) {
      const res = await call(i % 2, user, 'GET', `/export?user_id=${user}`);
      expect(res.status).toBe(200);
      for (const line of res.text.split('\n').filter(Boolean)) exported.add((JSON.parse(line) as { memory_id: string }).memory_id);
    }
    const readable = ids.filter((id) => exported.has(id)).length;

    // Which requests did a node receive? Its request log names each by our X-Request-Id.
    const received = new Set(started.flatMap((s) => [...requestLog(s.output()).received]));
    const ok = (a: Attempt) => a.status >= 200 && a.status < 300;
    const noAnswer = load.attempts.filter((a) => a.status === 0);
    const dropped = noAnswer.filter((a) => received.has(a.requestId)); // received, never answered
    const unexpected = load.attempts.filter((a) => a.status !== 0 && a.status !== 503 && !(ok(a) && (a.kind === 'index' || a.status === 200)));
    const phases = ['steady', 'restart-A', 'after-A', 'restart-B', 'after-B'].map((p) => `${p}=${load.count((a) => a.phase === p && ok(a))}`);
    printFigures(
      `[citus-api-nodes] acknowledged ${ids.length}, stored ${stored}, readable ${readable}, lost ${ids.length - stored}; ` +
        `attempts ${load.attempts.length} (index ${load.count((a) => a.kind === 'index')}, read ${load.count((a) => a.kind === 'read')}): ` +
        `2xx ${load.count(ok)}, 503 ${load.count((a) => a.status === 503)}, ` +
        `no answer ${noAnswer.length} (${[...new Set(noAnswer.map((a) => a.error))].join('|')}), received but unanswered ${dropped.length}, ` +
        `other ${unexpected.length}, unreadable ${load.unreadable.length}; 2xx by phase: ${phases.join(' ')}`,
    );

    expect(stored).toBe(ids.length); // 0 acknowledged writes lost
    expect(readable).toBe(ids.length);
    expect(load.unreadable).toEqual([]); // an acknowledged write is readable on the other node at once
    expect(unexpected).toEqual([]); // no 500, no 4xx: only 2xx, or 503 from a node that is closing
    expect(dropped).toEqual([]); // a request a node received was answered before it exited
    expect(load.attempts.filter((a) => ok(a) && !received.has(a.requestId))).toEqual([]); // (the logs name every request)
    // The load ran through both restarts, and the new processes serve.
    for (const p of ['steady', 'after-A', 'after-B']) expect(load.count((a) => a.phase === p && a.status === 201)).toBeGreaterThan(0);
    for (const node of [0, 1]) expect((await call(node, 'load-0', 'GET', '/?user_id=load-0&limit=1')).status).toBe(200);
  }, 120_000);
});
