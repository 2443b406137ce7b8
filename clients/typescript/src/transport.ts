import { EngramError } from './errors.js';
import type { CallOptions } from './types.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  token: string | (() => string | Promise<string>);
  fetch: FetchLike;
  timeoutMs: number;
  maxRetries: number;
  /** First back-off delay; doubles per retry (with jitter) unless the service sends Retry-After. */
  retryBaseMs: number;
  maxRetryDelayMs: number;
}


const RETRY_STATUS = new Set([429, 503]);
/**
 * Refusals the service answers before doing any work, so a POST can be sent again without creating
 * a duplicate. A 503 DATABASE_UNAVAILABLE may come after a write committed: a POST is not retried.
 */
const BEFORE_WORK = new Set(['RATE_LIMITED', 'OVERLOADED', 'NOT_READY', 'AUTH_UNAVAILABLE']);
const refusedBeforeWork = (error: EngramError) => BEFORE_WORK.has(error.code);

/**
 * One HTTP call with the bearer token, a timeout, the caller's AbortSignal, and retries with
 * back-off on 429/503. GET, DELETE and PATCH are retried on any of them and on network errors (a
 * PATCH sets fields to the values it carries: sent twice, it leaves the same memory); a POST only
 * on refusals that come before any work (rate limit, full queue, not ready), never on a 503 that
 * may follow a committed write.
 */
export async function call(
  t: TransportOptions,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options: CallOptions & { body?: unknown; query?: Record<string, string | number | boolean | undefined> } = {},
): Promise<Response> {
  const url = new URL(path.replace(/^\//, ''), t.baseUrl.endsWith('/') ? t.baseUrl : `${t.baseUrl}/`);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const idempotent = method === 'GET' || method === 'DELETE' || method === 'PATCH';
  for (let attempt = 0; ; attempt++) {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? t.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const token = typeof t.token === 'function' ? await t.token() : t.token;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await t.fetch(url.toString(), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
    } catch (err) {
      if (options.signal?.aborted) throw new EngramError(0, 'ABORTED', 'the request was aborted', undefined, { cause: err });
      if (timeout.aborted) throw new EngramError(0, 'TIMEOUT', `no answer within ${options.timeoutMs ?? t.timeoutMs} ms`, undefined, { cause: err });
      if (idempotent && attempt < t.maxRetries) {
        await sleep(backoff(t, attempt), options.signal);
        continue;
      }
      throw new EngramError(0, 'NETWORK_ERROR', err instanceof Error ? err.message : String(err), undefined, { cause: err });
    }
    if (res.ok) return res;
    if (RETRY_STATUS.has(res.status) && attempt < t.maxRetries) {
      const error = await toError(res);
      if (idempotent || refusedBeforeWork(error)) {
        await sleep(retryAfterMs(res.headers.get('retry-after')) ?? backoff(t, attempt), options.signal, t.maxRetryDelayMs);
        continue;
      }
      throw error;
    }
    throw await toError(res);
  }
}

async function toError(res: Response): Promise<EngramError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; detail?: unknown; request_id?: unknown; memory_id?: unknown };
    if (typeof body.code === 'string') {
      const requestId = typeof body.request_id === 'string' ? body.request_id : undefined;
      const memoryId = typeof body.memory_id === 'string' ? body.memory_id : undefined;
      return new EngramError(res.status, body.code, String(body.detail ?? ''), requestId, { memoryId });
    }
  } catch {
    // not the service's error body (a proxy's page, say)
  }
  return new EngramError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function backoff(t: TransportOptions, attempt: number): number {
  const base = Math.min(t.maxRetryDelayMs, t.retryBaseMs * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number, signal?: AbortSignal, cap = Number.POSITIVE_INFINITY): Promise<void> {
  const delay = Math.min(ms, cap);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new EngramError(0, 'ABORTED', 'the request was aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delay);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new EngramError(0, 'ABORTED', 'the request was aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
