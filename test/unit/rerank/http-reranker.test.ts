import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpReranker } from '../../../src/search/rerank/http-reranker.js';
import type { RerankCandidate } from '../../../src/search/rerank/reranker.js';
import { startRerankStub, type RerankStub } from '../../helpers/rerank-stub.js';

/** Private user text: must never appear in an error message. */
const SECRET = 'my secret diary: Priyanka owes me 300 euros';

function candidates(...texts: string[]): RerankCandidate[] {
  return texts.map((text, i) => ({
    id: `c${i}`,
    memoryId: `m${i}`,
    text,
    createdAt: new Date(0),
    metadata: {},
    scores: { vector: null, keyword: 1, fused: 1, context: 0, retrieval: 1 },
  }));
}
const DOCS = candidates('apples and pears', SECRET, 'pears only');

/** A fetch that answers `body` with `status`, whatever was asked. */
const answering = (body: unknown, status = 200): typeof fetch =>
  (async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })) as typeof fetch;
const live = () => new AbortController().signal;

describe('HttpReranker against a local stub', () => {
  let stub: RerankStub;
  beforeAll(async () => {
    stub = await startRerankStub();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.mode = 'ok';
    stub.requests = [];
  });

  it('Cohere/Jina shape: sends model, query, documents and top_n with the bearer key; scores come back in candidate order', async () => {
    const r = new HttpReranker({ url: stub.url, model: 'rerank-v3.5', apiKey: 'k-123' });
    expect(r.name).toBe('http:rerank-v3.5');
    // The stub sorts its results best first, so the client has to place them by index.
    expect(await r.rerank('pears', DOCS, live())).toEqual([1, 0, 1]);
    expect(await r.rerank('apples pears', DOCS, live())).toEqual([2, 0, 1]);
    const [seen] = stub.requests;
    expect(seen?.path).toBe('/rerank');
    expect(seen?.authorization).toBe('Bearer k-123');
    expect(seen?.body).toEqual({ model: 'rerank-v3.5', query: 'pears', documents: DOCS.map((d) => d.text), top_n: 3 });
  });

  it('TEI shape: sends texts (no model), reads [{index, score}]', async () => {
    const r = new HttpReranker({ url: stub.url, format: 'tei' });
    expect(await r.rerank('apples pears', DOCS, live())).toEqual([2, 0, 1]);
    expect(stub.requests[0]?.body).toEqual({ query: 'apples pears', texts: DOCS.map((d) => d.text), truncate: true });
    expect(stub.requests[0]?.authorization).toBeUndefined();
  });

  it('a 500 or a malformed body fails, naming neither the query nor the documents', async () => {
    const r = new HttpReranker({ url: stub.url });
    stub.mode = 'failing';
    const e500 = await r.rerank(SECRET, DOCS, live()).catch((e: Error) => e);
    expect(String(e500)).toMatch(/HTTP 500/);
    stub.mode = 'malformed';
    const bad = await r.rerank(SECRET, DOCS, live()).catch((e: Error) => e);
    expect(String(bad)).toMatch(/invalid response/);
    for (const e of [e500, bad]) expect(String(e)).not.toMatch(/Priyanka|diary|apples/);
  });

  it('honours its AbortSignal: a hanging request is cancelled and rejects with the abort reason', async () => {
    stub.mode = 'hanging';
    const r = new HttpReranker({ url: stub.url });
    const controller = new AbortController();
    const pending = r.rerank('pears', DOCS, controller.signal);
    await vi.waitFor(() => expect(stub.requests).toHaveLength(1), { timeout: 5000, interval: 10 });
    const reason = new Error('budget spent');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await vi.waitFor(() => expect(stub.requests[0]?.aborted).toBe(true), { timeout: 5000, interval: 10 });
  });

  it('an unreachable endpoint is a failure', async () => {
    const r = new HttpReranker({ url: 'http://127.0.0.1:1/rerank' });
    await expect(r.rerank('q', DOCS, live())).rejects.toThrow(/request failed/);
  });
});

describe('HttpReranker response validation', () => {
  const url = 'http://reranker.invalid/rerank';
  it.each([
    ['too few results', { results: [{ index: 0, relevance_score: 1 }] }],
    ['too many results', [0, 1, 2, 0].map((index) => ({ index, score: 1 }))],
    ['a duplicate index', { results: [0, 1, 1].map((index) => ({ index, relevance_score: 1 })) }],
    ['an index out of range', [0, 1, 3].map((index) => ({ index, score: 1 }))],
    ['a negative index', [0, 1, -1].map((index) => ({ index, score: 1 }))],
    ['a fractional index', [0, 1, 1.5].map((index) => ({ index, score: 1 }))],
    ['a string score', { results: [0, 1, 2].map((index) => ({ index, relevance_score: '0.9' })) }],
    ['an infinite score', '[{"index":0,"score":1},{"index":1,"score":1e999},{"index":2,"score":1}]'],
    ['a null score', [0, 1, 2].map((index) => ({ index, score: null }))],
    ['no results at all', {}],
    ['not JSON', '<html>bad gateway</html>'],
  ])('%s is a failure', async (_what, body) => {
    const r = new HttpReranker({ url, fetch: answering(body) });
    await expect(r.rerank('q', DOCS, live())).rejects.toThrow(/http reranker \(http:\/\/reranker.invalid\/rerank\): (invalid response|malformed JSON)/);
  });

  it('accepts extra fields (document, meta) and either shape', async () => {
    const cohere = { id: 'x', results: [2, 0, 1].map((index) => ({ index, relevance_score: index / 10, document: { text: 'x' } })), meta: {} };
    expect(await new HttpReranker({ url, fetch: answering(cohere) }).rerank('q', DOCS, live())).toEqual([0, 0.1, 0.2]);
    const tei = [1, 2, 0].map((index) => ({ index, score: 10 - index, text: null }));
    expect(await new HttpReranker({ url, fetch: answering(tei) }).rerank('q', DOCS, live())).toEqual([10, 9, 8]);
  });

  it('any non-2xx status is a failure', async () => {
    const ok = [0, 1, 2].map((index) => ({ index, score: 1 }));
    for (const status of [301, 400, 401, 429, 503]) {
      await expect(new HttpReranker({ url, fetch: answering(ok, status) }).rerank('q', DOCS, live())).rejects.toThrow(`HTTP ${status}`);
    }
  });

  it('sends nothing for no candidates, and refuses a bad URL', async () => {
    const fetchFn = vi.fn(answering([]));
    expect(await new HttpReranker({ url, fetch: fetchFn }).rerank('q', [], live())).toEqual([]);
    expect(fetchFn).not.toHaveBeenCalled();
    expect(() => new HttpReranker({ url: 'not a url' })).toThrow(/valid URL/);
    expect(() => new HttpReranker({ url: 'ftp://host/rerank' })).toThrow(/http\(s\)/);
  });
});
