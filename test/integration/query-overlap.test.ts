import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbedderOverloadedError, EmbedderTimeoutError } from '../../src/embed/embedder-errors.js';
import { Errors } from '../../src/errors/app-error.js';
import type { Database } from '../../src/store/database.js';
import { closeTestEmbedder, createTestApp, testEmbedder, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The shared test model behind a gate: while `hold` is set, every embedding waits (after it is
 * computed) until the test releases it, then answers its vectors or the given error. `busy` is added
 * to what the model reports as pending: the embedder then looks queued.
 */
function gatedEmbedder(inner: Embedder) {
  const state = {
    busy: 0,
    hold: null as null | { started: ReturnType<typeof deferred<void>>; release: ReturnType<typeof deferred<Error | null>> },
  };
  const embedder: Embedder = {
    model: inner.model,
    get dimensions() {
      return inner.dimensions;
    },
    init: () => inner.init(),
    isReady: () => inner.isReady(),
    pending: () => state.busy + (inner.pending?.() ?? 0),
    async embed(texts) {
      const vectors = await inner.embed(texts);
      const hold = state.hold;
      if (hold) {
        hold.started.resolve();
        const error = await hold.release.promise;
        if (error) throw error;
      }
      return vectors;
    },
    close: async () => {},
  };
  const gate = () => {
    const hold = { started: deferred(), release: deferred<Error | null>() };
    state.hold = hold;
    return {
      started: hold.started.promise,
      release: (error: Error | null = null) => {
        state.hold = null;
        hold.release.resolve(error);
      },
    };
  };
  return { embedder, state, gate };
}

/**
 * The query path overlaps the embedding with its tenant transaction when the embedder is idle
 * (src/memory/query.ts): the transaction, with the user's lock shared, is open while the model works.
 * When the embedder is busy it embeds first and holds nothing meanwhile. Failures of either side map
 * as before and leave no transaction open.
 */
describe(`query overlap (${backend()})`, () => {
  let t: TestApp;
  let app: FastifyInstance;
  let gated: ReturnType<typeof gatedEmbedder>;
  /** Resolved each time a transaction of the gated app has begun (its tenant function runs). */
  let txStarted = deferred();
  let failTransactions = false;

  const auth = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const query = async (user: string, text: string) =>
    app.inject({ method: 'POST', url: '/api/v1/memory/query', headers: await auth(user), payload: { user_id: user, query: text, k: 5 } });
  const write = async (user: string, text: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { user_id: user, text } });
    expect(res.statusCode, res.body).toBe(201);
  };
  const erase = async (user: string) => {
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/memory?user_id=${user}`, headers: await auth(user) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { memories_deleted: number };
  };
  // A read answers before its COMMIT lands (src/memory/query.ts): the connection comes back just after.
  const noTransactionOpen = () =>
    expect.poll(() => {
      const s = t.db.stats();
      return s.waiting === 0 && s.idle === s.total;
    }).toBe(true);

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_DISABLED: 'true' } });
    gated = gatedEmbedder(testEmbedder());
    const db: Database = {
      ...t.db,
      withTenant: (userHash, fn) =>
        t.db.withTenant(userHash, async (tx) => {
          txStarted.resolve();
          if (failTransactions) throw Errors.databaseUnavailable('injected failure');
          return fn(tx);
        }),
    };
    app = await buildApp(t.config, { embedder: gated.embedder, db, logLevel: 'silent' });
  });

  afterAll(async () => {
    await app?.close();
    await t?.close();
    await closeTestEmbedder();
  });

  it('an idle embedder: the transaction holds the lock while the model works, so an erase meanwhile comes after the read', async () => {
    const user = 'overlap-idle';
    await write(user, 'The lighthouse keeper painted the door blue.');
    await write(user, 'We adopted a grey cat called Pebble.');
    txStarted = deferred();
    const gate = gated.gate();
    const answer = query(user, 'What colour is the lighthouse door?');
    await gate.started;
    await txStarted.promise; // the transaction began while the embedding is still held
    let erased = false;
    const erasing = erase(user).then((r) => ((erased = true), r));
    gate.release();
    const res = await answer;
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { results: { text: string }[] }).results[0]?.text).toContain('lighthouse');
    expect((await erasing).memories_deleted).toBe(2);
    expect(erased).toBe(true);
    const after = await query(user, 'What colour is the lighthouse door?');
    expect(after.json()).toMatchObject({ results: [] });
    await noTransactionOpen();
  });

  it('a busy embedder: the query embeds first and holds no lock nor connection meanwhile, and still answers', async () => {
    const user = 'overlap-busy';
    await write(user, 'My sister moved to Porto last spring.');
    gated.state.busy = 1;
    try {
      txStarted = deferred();
      let began = false;
      void txStarted.promise.then(() => (began = true));
      const gate = gated.gate();
      const answer = query(user, 'Where did my sister move?');
      await gate.started;
      expect(began).toBe(false);
      // Nothing is held: the user's erase runs to its end while the query's embedding waits.
      expect((await erase(user)).memories_deleted).toBe(1);
      await write(user, 'My brother lives in Lyon.');
      gate.release();
      const res = await answer;
      expect(res.statusCode, res.body).toBe(200);
      expect((res.json() as { results: { text: string }[] }).results.map((r) => r.text)).toEqual(['My brother lives in Lyon.']);
    } finally {
      gated.state.busy = 0;
    }
    await noTransactionOpen();
  });

  it.each([
    ['a timeout', () => new EmbedderTimeoutError('held too long'), 504, 'EMBEDDING_TIMEOUT'],
    ['a full queue', () => new EmbedderOverloadedError('queue full'), 503, 'OVERLOADED'],
    ['a model error', () => new Error('model broke'), 502, 'EMBEDDING_FAILED'],
  ])('an embedding failing during the overlap (%s) rolls the transaction back and maps as before', async (_what, error, status, code) => {
    const user = `overlap-fail-${status}`;
    await write(user, 'The quarterly report is due on Friday.');
    for (const who of [user, `${user}-never-wrote`]) {
      txStarted = deferred();
      const gate = gated.gate();
      const answer = query(who, 'When is the report due?');
      await gate.started;
      await txStarted.promise;
      gate.release(error());
      const res = await answer;
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toMatchObject({ code });
      await noTransactionOpen();
    }
    // The lock went with the rollback: an exclusive erase runs at once.
    expect((await erase(user)).memories_deleted).toBe(1);
  });

  it('a database failure while the model works answers the database error, and the embedding failing later is handled', async () => {
    const user = 'overlap-db-fail';
    await write(user, 'I lent my tent to a colleague.');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      failTransactions = true;
      txStarted = deferred();
      const gate = gated.gate();
      const res = await query(user, 'Who has my tent?');
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      await gate.started;
      gate.release(new EmbedderTimeoutError('late and failing'));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      failTransactions = false;
      process.off('unhandledRejection', onUnhandled);
    }
    await noTransactionOpen();
  });
});
