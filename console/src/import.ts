import { api, ApiError } from './api';

/**
 * Import of an export file (NDJSON), mapped onto POST /index/batch items as `engram import` maps them
 * (src/cli/import.ts): text, source, metadata and the three dates kept; memories already expired skipped.
 */
export interface ImportItem {
  line: number;
  item: Record<string, unknown>;
}

export interface ParsedExport {
  items: ImportItem[];
  expired: number;
}

/** The route takes at most 100 items per request. */
const BATCH_ITEMS = 100;
/** JSON bytes per request: well under the route's 8 MiB body limit. */
const BATCH_BYTES = 6 * 1024 * 1024;
const MAX_ATTEMPTS = 5;

function toItem(raw: string, now: number): Record<string, unknown> | 'expired' | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'invalid JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
  const m = parsed as Record<string, unknown>;
  if (typeof m.text !== 'string') return 'no text';
  if (typeof m.expires_at === 'string' && Date.parse(m.expires_at) <= now) return 'expired';
  const item: Record<string, unknown> = { text: m.text };
  if (typeof m.source === 'string') item.source = m.source;
  if (m.metadata !== undefined && m.metadata !== null) item.metadata = m.metadata;
  for (const field of ['created_at', 'updated_at', 'expires_at']) if (typeof m[field] === 'string') item[field] = m[field];
  return item;
}

/** Every line checked before anything is sent: a bad one throws BAD_LINE naming it. */
export function parseExport(text: string, now = Date.now()): ParsedExport {
  const items: ImportItem[] = [];
  let expired = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const item = toItem(raw, now);
    if (item === 'expired') expired++;
    else if (typeof item === 'string') throw new ApiError('BAD_LINE', `line ${i + 1}: ${item}; nothing was imported`);
    else items.push({ line: i + 1, item });
  });
  return { items, expired };
}

function batches(items: ImportItem[]): ImportItem[][] {
  const out: ImportItem[][] = [];
  let batch: ImportItem[] = [];
  let bytes = 0;
  for (const entry of items) {
    const size = JSON.stringify(entry.item).length + 1;
    if (batch.length === BATCH_ITEMS || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One batch, retried after Retry-After (or a backoff) while the service is busy or rate-limiting. */
async function sendBatch(batch: ImportItem[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.indexBatch(batch.map((b) => b.item));
    } catch (err) {
      const busy = err instanceof ApiError && [429, 503, 504].includes(err.status);
      if (!busy || attempt === MAX_ATTEMPTS) throw err;
      await sleep((err.retryAfter ?? 2 ** attempt) * 1000);
    }
  }
}

export interface ImportProgress {
  done: number;
  deduplicated: number;
  failures: string[];
}

/** Sends the items in batches; `onProgress` after each. Items the service refused are listed, not fatal. */
export async function importItems(items: ImportItem[], onProgress: (p: ImportProgress) => void): Promise<ImportProgress> {
  const progress: ImportProgress = { done: 0, deduplicated: 0, failures: [] };
  for (const batch of batches(items)) {
    const outcome = await sendBatch(batch);
    for (const result of outcome.items) {
      if (result.status === 200 || result.status === 201) {
        progress.done++;
        if (result.deduplicated) progress.deduplicated++;
      } else {
        const line = batch[result.index]?.line;
        progress.failures.push(`line ${line}: ${result.error?.code ?? result.status} ${result.error?.detail ?? ''}`.trim());
      }
    }
    onProgress({ ...progress });
  }
  return progress;
}
