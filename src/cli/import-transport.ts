import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The HTTP side of `engram import` (src/cli/import.ts): POST /api/v1/memory/index/batch with retries
 * on 429/503/504 (honouring Retry-After) and on network errors, smaller batches on 413 or when the
 * whole rate-limit window is smaller than the batch, and one outcome per item.
 */
const MAX_ATTEMPTS = 8;
const BATCH_PATH = '/api/v1/memory/index/batch';

/** A fatal import error: the command stops with exit status 2. */
export class ImportError extends Error {}

/** What the transport needs of the import options. */
export interface TransportOptions {
  url: string;
  token: string;
  userId?: string;
  fetch?: typeof fetch;
}

/** A line's item as sent. */
export interface Sendable {
  item: Record<string, unknown>;
}

export interface ItemOutcome {
  status: number;
  code?: string;
  detail?: string;
}

export type Send = (body: unknown) => Promise<{ status: number; headers: Headers; body: unknown }>;

export function fetcher(opts: TransportOptions): Send {
  const f = opts.fetch ?? fetch;
  const url = `${opts.url.replace(/\/+$/, '')}${BATCH_PATH}`;
  return async (body) => {
    const res = await f(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(300_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the message
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
}

const retryable = (status: number) => status === 429 || status === 503 || status === 504;
const waitMs = (headers: Headers | undefined, attempt: number) => {
  const after = Number(headers?.get('retry-after'));
  return Number.isFinite(after) && after > 0 ? after * 1000 : Math.min(30_000, 500 * 2 ** attempt);
};

/**
 * Sends the items (split to `size`, which a 429 naming a smaller budget lowers through `shrink`) and
 * returns one outcome per item. Whole-request 429/503/504 and network errors are retried after
 * Retry-After (or a backoff), and so are items that came back 429/503/504; a 413 halves the batch.
 */
export async function sendBatch(
  send: Send,
  opts: TransportOptions,
  items: Sendable[],
  size: number,
  shrink: (n: number) => void,
): Promise<ItemOutcome[]> {
  if (items.length > size) {
    const out: ItemOutcome[] = [];
    for (let i = 0; i < items.length; i += size) out.push(...(await sendBatch(send, opts, items.slice(i, i + size), size, shrink)));
    return out;
  }
  const outcomes: ItemOutcome[] = new Array(items.length);
  let todo = items.map((_, i) => i);
  for (let attempt = 0; todo.length > 0; attempt++) {
    const body = { ...(opts.userId ? { user_id: opts.userId } : {}), items: todo.map((i) => items[i]!.item) };
    let res: Awaited<ReturnType<Send>>;
    try {
      res = await send(body);
    } catch (err) {
      if (attempt + 1 >= MAX_ATTEMPTS) throw new ImportError(`cannot reach ${opts.url}: ${(err as Error).message}`);
      const wait = waitMs(undefined, attempt);
      process.stderr.write(`engram: import: cannot reach ${opts.url} (${(err as Error).message}); retrying in ${Math.ceil(wait / 1000)} s\n`);
      await sleep(wait);
      continue;
    }
    const error = res.body as { code?: string; detail?: string };
    if (res.status === 413 && todo.length > 1) {
      const half = Math.ceil(todo.length / 2);
      shrink(half);
      const parts = [todo.slice(0, half), todo.slice(half)];
      for (const part of parts) {
        const sub = await sendBatch(send, opts, part.map((i) => items[i]!), half, shrink);
        part.forEach((i, j) => (outcomes[i] = sub[j]!));
      }
      return outcomes;
    }
    if (res.status === 429) {
      const limit = Number(res.headers.get('x-ratelimit-limit'));
      if (Number.isInteger(limit) && limit >= 1 && limit < todo.length) {
        // More items than the whole window budget: they can never pass together.
        shrink(limit);
        const sub = await sendBatch(send, opts, todo.map((i) => items[i]!), limit, shrink);
        todo.forEach((i, j) => (outcomes[i] = sub[j]!));
        return outcomes;
      }
    }
    if (res.status !== 200) {
      if (retryable(res.status) && attempt + 1 < MAX_ATTEMPTS) {
        await sleep(waitMs(res.headers, attempt));
        continue;
      }
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        throw new ImportError(`the service refused the import: ${res.status} ${error?.code ?? ''} ${error?.detail ?? ''}`.trim());
      }
      for (const i of todo) outcomes[i] = { status: res.status, code: error?.code, detail: error?.detail };
      return outcomes;
    }
    const answer = res.body as { items: Array<{ index: number; status: number; error?: { code: string; detail: string } }> };
    const again: number[] = [];
    for (const r of answer.items) {
      const i = todo[r.index]!;
      if (retryable(r.status) && attempt + 1 < MAX_ATTEMPTS) again.push(i);
      else outcomes[i] = { status: r.status, code: r.error?.code, detail: r.error?.detail?.replace(/^items\[\d+\]/, 'item') };
    }
    todo = again;
    if (todo.length > 0) await sleep(waitMs(undefined, attempt));
  }
  return outcomes;
}
