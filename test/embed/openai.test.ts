import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAIEmbedder, resolveEmbeddingsUrl } from '../../src/embed/openai.js';
import { EmbedderTimeoutError, toEmbeddingAppError } from '../../src/embed/embedder-errors.js';

const API_KEY = 'sk-test-123';
const MODEL = 'test-embed';
const DIMS = 8;
/** Private user text: must never appear in an error message. */
const SECRET = 'my secret diary entry: I am afraid of penguins';

/** Deterministic vector for a text (hash-seeded). */
function vectorFor(text: string, dims = DIMS): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return Array.from({ length: dims }, (_, i) => (((h >>> (i % 24)) & 0xff) / 255) * 2 - 1 + i / 1000);
}

type Mode = 'ok' | 'status500' | 'malformed' | 'wrongCount' | 'nonNumeric' | 'wrongDims' | 'badIndex' | 'hang';

interface Seen {
  auth: string | undefined;
  path: string | undefined;
  inputs: string[];
}

let server: Server;
let base: string;
let mode: Mode = 'ok';
let seen: Seen[] = [];

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const auth = req.headers.authorization;
  if (req.method !== 'POST' || req.url !== '/v1/embeddings') return send(res, 404, '{"error":{"type":"not_found"}}');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return send(res, 400, '{"error":{"type":"invalid_json"}}');
  }
  const b = body as { model?: unknown; input?: unknown };
  if (b.model !== MODEL || !Array.isArray(b.input) || !b.input.every((x) => typeof x === 'string')) {
    return send(res, 400, '{"error":{"type":"invalid_request_error"}}');
  }
  const inputs = b.input as string[];
  seen.push({ auth, path: req.url, inputs });
  if (auth !== undefined && auth !== `Bearer ${API_KEY}`) {
    return send(res, 401, '{"error":{"type":"invalid_api_key"}}');
  }

  // The error modes echo the input back, as some real servers do, to prove the client never leaks it.
  switch (mode) {
    case 'status500':
      return send(res, 500, JSON.stringify({ error: { message: `cannot embed ${inputs.join(',')}`, type: 'server_error' } }));
    case 'malformed':
      return send(res, 200, `{"data": [ not json ${inputs.join(',')}`);
    case 'hang':
      setTimeout(() => send(res, 200, '{"data":[]}'), 5_000).unref();
      return;
    default:
      break;
  }
  let data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorFor(text) as unknown[] }));
  if (mode === 'wrongCount') data = data.slice(1);
  if (mode === 'nonNumeric' && data[0]) data[0].embedding = [...data[0].embedding.slice(1), 'x'];
  if (mode === 'wrongDims' && data[0]) data[0].embedding = vectorFor(inputs[0] ?? '', DIMS + 1);
  if (mode === 'badIndex' && data.length > 1) data[1]!.index = 0;
  // Shuffle deterministically (reverse + rotate) so the client has to order by `index`.
  data.reverse();
  if (data.length > 2) data.push(data.shift()!);
  send(res, 200, JSON.stringify({ object: 'list', model: MODEL, data, usage: { prompt_tokens: 1, total_tokens: 1 } }));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, '{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  mode = 'ok';
  seen = [];
});

const texts = (n: number, prefix = 'text'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

async function ready(extra: { batchSize?: number; timeoutMs?: number } = {}) {
  const e = createOpenAIEmbedder({ url: `${base}/v1/embeddings`, model: MODEL, apiKey: API_KEY, ...extra });
  await e.init();
  seen = [];
  return e;
}

describe('resolveEmbeddingsUrl', () => {
  it('appends /embeddings to a /v1 base and keeps full endpoints', () => {
    expect(resolveEmbeddingsUrl('http://h:1/v1')).toBe('http://h:1/v1/embeddings');
    expect(resolveEmbeddingsUrl('http://h:1/v1/')).toBe('http://h:1/v1/embeddings');
    expect(resolveEmbeddingsUrl('http://h:1/v1/embeddings')).toBe('http://h:1/v1/embeddings');
    expect(resolveEmbeddingsUrl('https://h/api/embed')).toBe('https://h/api/embed');
    expect(() => resolveEmbeddingsUrl('not a url')).toThrow(Error);
    expect(() => resolveEmbeddingsUrl('ftp://h/v1')).toThrow(Error);
  });
});

describe('OpenAI-compatible embedder', () => {
  it('learns dimensions at init, with the bearer key, and names the model', async () => {
    const e = createOpenAIEmbedder({ url: `${base}/v1`, model: MODEL, apiKey: API_KEY });
    expect(e.model).toBe(`openai:${MODEL}`);
    expect(e.isReady()).toBe(false);
    expect(e.dimensions).toBe(0);
    await Promise.all([e.init(), e.init()]);
    expect(e.isReady()).toBe(true);
    expect(e.dimensions).toBe(DIMS);
    expect(seen).toHaveLength(1); // concurrent inits share one probe
    expect(seen[0]!.auth).toBe(`Bearer ${API_KEY}`);
    expect(seen[0]!.path).toBe('/v1/embeddings');
    await e.init();
    expect(seen).toHaveLength(1); // idempotent
    await e.close();
    expect(e.isReady()).toBe(false);
  });

  it('sends no Authorization header without an apiKey', async () => {
    const e = createOpenAIEmbedder({ url: `${base}/v1/embeddings`, model: MODEL });
    await e.init();
    expect(seen[0]!.auth).toBeUndefined();
  });

  it('returns [] for no texts without a request', async () => {
    const e = await ready();
    expect(await e.embed([])).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it('batches by batchSize and returns vectors in input order despite shuffled indexes', async () => {
    const e = await ready({ batchSize: 4 });
    const input = texts(10);
    const vectors = await e.embed(input);
    expect(seen.map((s) => s.inputs.length)).toEqual([4, 4, 2]);
    expect(seen.flatMap((s) => s.inputs)).toEqual(input);
    expect(seen.every((s) => s.auth === `Bearer ${API_KEY}`)).toBe(true);
    expect(vectors).toEqual(input.map((t) => vectorFor(t)));
  });

  it('uses a default batch size of 64', async () => {
    const e = await ready();
    const input = texts(130);
    const vectors = await e.embed(input);
    expect(seen.map((s) => s.inputs.length)).toEqual([64, 64, 2]);
    expect(vectors).toEqual(input.map((t) => vectorFor(t)));
  });

  it('initialises lazily on the first embed', async () => {
    const e = createOpenAIEmbedder({ url: `${base}/v1/embeddings`, model: MODEL, apiKey: API_KEY });
    const [v] = await e.embed(['lazy']);
    expect(e.isReady()).toBe(true);
    expect(e.dimensions).toBe(DIMS);
    expect(v).toEqual(vectorFor('lazy'));
  });

  it('rejects after close', async () => {
    const e = await ready();
    await e.close();
    await expect(e.embed(['x'])).rejects.toThrow(/closed/);
    await expect(e.init()).rejects.toThrow(/closed/);
  });

  it('rejects a wrong API key at init', async () => {
    const e = createOpenAIEmbedder({ url: `${base}/v1/embeddings`, model: MODEL, apiKey: 'wrong' });
    await expect(e.init()).rejects.toThrow(/HTTP 401.*invalid_api_key/);
    expect(e.isReady()).toBe(false);
  });

  const errorCases: { mode: Mode; message: RegExp }[] = [
    { mode: 'status500', message: /HTTP 500.*server_error/ },
    { mode: 'malformed', message: /malformed JSON/ },
    { mode: 'wrongCount', message: /expected 3 embeddings, got 2/ },
    { mode: 'nonNumeric', message: /non-numeric/ },
    { mode: 'wrongDims', message: /9 dimensions, expected 8/ },
    { mode: 'badIndex', message: /duplicate data\[\]\.index/ },
  ];
  for (const c of errorCases) {
    it(`rejects on ${c.mode} without leaking the input text`, async () => {
      const e = await ready();
      mode = c.mode;
      const err = await e.embed([SECRET, `${SECRET} 2`, `${SECRET} 3`]).then(
        () => null,
        (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message).toMatch(c.message);
      expect(message).not.toContain('penguins');
      expect(String((err as Error).cause ?? '')).not.toContain('penguins');
    });
  }

  it('rejects on timeout without leaking the input text', async () => {
    const e = await ready({ timeoutMs: 200 });
    mode = 'hang';
    const started = Date.now();
    const err = await e.embed([SECRET]).then(
      () => null,
      (x: unknown) => x,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(EmbedderTimeoutError); // rendered as 504 EMBEDDING_TIMEOUT with Retry-After
    expect(toEmbeddingAppError(err)).toMatchObject({ code: 'EMBEDDING_TIMEOUT', statusCode: 504 });
    expect((err as Error).message).toMatch(/timed out after 200 ms/);
    expect((err as Error).message).not.toContain('penguins');
  });

  it('rejects when the endpoint is unreachable', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const e = createOpenAIEmbedder({ url: `http://127.0.0.1:${port}/v1/embeddings`, model: MODEL });
    await expect(e.init()).rejects.toThrow(/request failed/);
  });

  it('fails init when the probe response is invalid, and can retry later', async () => {
    const e = createOpenAIEmbedder({ url: `${base}/v1/embeddings`, model: MODEL, apiKey: API_KEY });
    mode = 'malformed';
    await expect(e.init()).rejects.toThrow(/malformed JSON/);
    expect(e.isReady()).toBe(false);
    mode = 'ok';
    await e.init();
    expect(e.isReady()).toBe(true);
  });

  it('validates options', () => {
    expect(() => createOpenAIEmbedder({ url: 'nope', model: MODEL })).toThrow(Error);
    expect(() => createOpenAIEmbedder({ url: base, model: '' })).toThrow(Error);
    expect(() => createOpenAIEmbedder({ url: base, model: MODEL, batchSize: 0 })).toThrow(RangeError);
    expect(() => createOpenAIEmbedder({ url: base, model: MODEL, timeoutMs: -1 })).toThrow(RangeError);
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response(JSON.stringify({ data: [{ index: 0, embedding: [0.6, 0.8] }] }), { status: 200 });
    };
    const e = createOpenAIEmbedder({ url: 'http://example.invalid/v1', model: MODEL, fetch: fakeFetch });
    await e.init();
    expect(e.dimensions).toBe(2);
    expect(await e.embed(['a'])).toEqual([[0.6, 0.8]]);
    expect(calls).toEqual(['http://example.invalid/v1/embeddings', 'http://example.invalid/v1/embeddings']);
  });
});
