import type { Embedder } from './embedder.js';
import { EmbedderTimeoutError } from './embedder-errors.js';

export interface OpenAIEmbedderOptions {
  /** Full embeddings endpoint, e.g. `http://host/v1/embeddings`; a URL ending in `/v1` gets `/embeddings` appended. */
  url: string;
  /** Model name sent to the endpoint; the embedder's `model` is `openai:${model}`. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number;
  /** Texts per request. Default 64. */
  batchSize?: number;
  /** Injected fetch (tests); default: the global fetch. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_BATCH_SIZE = 64;
/** Fixed, non-user text used by init() to learn the vector length. */
const PROBE_TEXT = 'engram dimension probe';

/** Normalises the configured URL to the embeddings endpoint. Throws on an invalid URL. */
export function resolveEmbeddingsUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('openai embedder: url is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error('openai embedder: url must be http(s)');
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) parsed.pathname = `${path}/embeddings`;
  return parsed.toString();
}

/** The endpoint without credentials or query, for error messages. */
function describeEndpoint(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short machine-readable code from an error body (`error.code` / `error.type`), never free text. */
function errorCode(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed.error)) return undefined;
  for (const key of ['code', 'type'] as const) {
    const v = parsed.error[key];
    if (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v)) return v;
  }
  return undefined;
}

/**
 * Embedder for an OpenAI-compatible `POST /v1/embeddings` endpoint (OpenAI, Ollama, vLLM, LocalAI, TEI, ...).
 * Error messages never include the input texts or the response body (which may echo them).
 */
export function createOpenAIEmbedder(opts: OpenAIEmbedderOptions): Embedder {
  if (typeof opts.model !== 'string' || opts.model.length === 0) {
    throw new Error('openai embedder: model is required');
  }
  const endpoint = resolveEmbeddingsUrl(opts.url);
  const where = describeEndpoint(endpoint);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError('openai embedder: timeoutMs must be a positive number');
  }
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError('openai embedder: batchSize must be a positive integer');
  }
  const fetchFn: typeof fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const modelName = opts.model;

  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;

  let dimensions = 0;
  let ready = false;
  let closed = false;
  let initPromise: Promise<void> | null = null;

  const fail = (what: string): Error => new Error(`openai embedder (${where}): ${what}`);

  /** One request for one batch; returns the vectors in input order. `expectDims` 0 = any (consistent) length. */
  async function request(input: string[], expectDims: number): Promise<number[][]> {
    let res: Response;
    try {
      res = await fetchFn(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: modelName, input }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new EmbedderTimeoutError(`openai embedder (${where}): request timed out after ${timeoutMs} ms`);
      }
      throw new Error(`openai embedder (${where}): request failed: ${err instanceof Error ? err.message : 'unknown error'}`, {
        cause: err,
      });
    }

    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new EmbedderTimeoutError(`openai embedder (${where}): request timed out after ${timeoutMs} ms`);
      }
      throw fail(`failed to read the response (HTTP ${res.status})`);
    }

    if (!res.ok) {
      const code = errorCode(text);
      throw fail(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${code ? ` (${code})` : ''}`);
    }

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // No cause: the SyntaxError message quotes the body, which may echo the input.
      throw fail('malformed JSON in response');
    }
    return parseEmbeddings(body, input.length, expectDims);
  }

  function parseEmbeddings(body: unknown, count: number, expectDims: number): number[][] {
    if (!isRecord(body) || !Array.isArray(body.data)) {
      throw fail('invalid response: expected an object with a "data" array');
    }
    const data: unknown[] = body.data;
    if (data.length !== count) {
      throw fail(`invalid response: expected ${count} embeddings, got ${data.length}`);
    }
    const out = new Array<number[] | undefined>(count).fill(undefined);
    let dims = expectDims;
    for (const item of data) {
      if (!isRecord(item)) throw fail('invalid response: data[] item is not an object');
      const { index, embedding } = item;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
        throw fail('invalid response: data[].index missing or out of range');
      }
      if (out[index] !== undefined) throw fail('invalid response: duplicate data[].index');
      if (!Array.isArray(embedding) || embedding.length === 0) {
        throw fail('invalid response: data[].embedding is not a non-empty array');
      }
      const vec: unknown[] = embedding;
      if (!vec.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw fail('invalid response: data[].embedding contains non-numeric values');
      }
      if (dims === 0) dims = vec.length;
      else if (vec.length !== dims) {
        throw fail(`invalid response: embedding has ${vec.length} dimensions, expected ${dims}`);
      }
      out[index] = vec as number[];
    }
    // count === data.length and indexes are unique and in range, so every slot is filled.
    return out as number[][];
  }

  async function init(): Promise<void> {
    if (closed) throw fail('embedder is closed');
    if (ready) return;
    if (!initPromise) {
      initPromise = (async () => {
        try {
          const [vec] = await request([PROBE_TEXT], 0);
          if (!vec) throw fail('invalid response: no embedding for the probe');
          if (closed) throw fail('embedder was closed during init');
          dimensions = vec.length;
          ready = true;
        } finally {
          initPromise = null;
        }
      })();
    }
    return initPromise;
  }

  async function embed(texts: string[]): Promise<number[][]> {
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) {
      throw new TypeError('openai embedder: texts must be an array of strings');
    }
    if (texts.length === 0) return [];
    if (!ready) await init();
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      if (closed) throw fail('embedder is closed');
      const vectors = await request(texts.slice(i, i + batchSize), dimensions);
      for (const v of vectors) out.push(v);
    }
    return out;
  }

  async function close(): Promise<void> {
    closed = true;
    ready = false;
  }

  return {
    model: `openai:${modelName}`,
    get dimensions() {
      return dimensions;
    },
    init,
    isReady: () => ready,
    embed,
    close,
  };
}
