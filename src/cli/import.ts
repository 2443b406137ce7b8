import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Limits } from '../memory/limits.js';
import { fetcher, ImportError, sendBatch } from './import-transport.js';

export { ImportError };

/**
 * `engram import`: loads what `GET /api/v1/memory/export` writes (NDJSON, one memory per line) into a
 * running service through POST /api/v1/memory/index/batch, keeping texts, sources, metadata and dates.
 *
 * Resuming: a state file records the first line not yet done, the lines that failed (retried on the
 * next run) and a hash of the lines done, so a rerun skips exactly those lines of the same input
 * (another input is refused). A batch the service committed just before an interruption, but that the
 * state file did not record, is sent again: deduplication on write answers it with the existing
 * memories (`deduplicated: true`) instead of storing them twice.
 */
export interface ImportOptions {
  url: string;
  token: string;
  /** Another user than the token's subject (needs memory:relay). */
  userId?: string;
  batchSize: number;
  /** The state file; undefined: no resume state. */
  statePath?: string;
  /** false: ask the service to store identical texts again (dedup: false on every item). */
  dedup: boolean;
  /** Progress on a terminal. */
  progress?: NodeJS.WriteStream;
  /** Lines in the input, when known (a file): gives the progress an ETA. */
  totalLines?: number;
  fetch?: typeof fetch;
}

export interface ImportSummary {
  lines: number;
  stored: number;
  deduplicated: number;
  expired: number;
  skipped: number;
  failures: Array<{ line: number; code: string; detail: string }>;
}

interface State {
  version: 1;
  url: string;
  user: string | null;
  nextLine: number;
  failedLines: number[];
  doneHash: string;
}

interface Pending {
  line: number;
  raw: string;
  item: Record<string, unknown>;
}

/** Bytes of JSON a batch may hold: well under the route's limit. */
const BATCH_BYTES = Math.floor(Limits.batchBodyBytes * 0.75);

/** A line of the export as a batch item, or why it is not one. */
export function toItem(raw: string, now: number, dedup: boolean): { item: Record<string, unknown> } | { expired: true } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { error: 'invalid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'not a JSON object' };
  const m = parsed as Record<string, unknown>;
  if (typeof m.text !== 'string') return { error: 'no text' };
  if (typeof m.expires_at === 'string' && Date.parse(m.expires_at) <= now) return { expired: true };
  const item: Record<string, unknown> = { text: m.text };
  if (typeof m.source === 'string') item.source = m.source;
  if (m.metadata !== undefined && m.metadata !== null) item.metadata = m.metadata;
  for (const field of ['created_at', 'updated_at', 'expires_at']) if (typeof m[field] === 'string') item[field] = m[field];
  if (!dedup) item.dedup = false;
  return { item };
}

/** An order-free digest of a set of lines: the XOR of each line's SHA-256 (with its number). */
const hashLine = (acc: Buffer, line: number, raw: string) => {
  const digest = createHash('sha256').update(`${line}\n${raw}`).digest();
  for (let i = 0; i < acc.length; i++) acc[i]! ^= digest[i]!;
};

function loadState(path: string, opts: ImportOptions): State | undefined {
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as State;
  if (state.version !== 1 || state.url !== opts.url || state.user !== (opts.userId ?? null)) {
    throw new ImportError(`${path} records an import to another service or user; remove it to start over`);
  }
  return state;
}

function saveState(path: string, state: State) {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}

function verify(skipped: Buffer, previous: State, path: string) {
  if (skipped.toString('hex') !== previous.doneHash) {
    throw new ImportError(`the input is not the one ${path} records (lines before ${previous.nextLine} differ); remove it to start over`);
  }
}

export async function runImport(input: Readable, opts: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { lines: 0, stored: 0, deduplicated: 0, expired: 0, skipped: 0, failures: [] };
  const previous = opts.statePath ? loadState(opts.statePath, opts) : undefined;
  const retry = new Set(previous?.failedLines ?? []);
  /** Lines done (stored, deduplicated, expired, blank) before the state's next line; and those skipped as done before. */
  const done = Buffer.alloc(32);
  const skipHash = Buffer.alloc(32);
  const failedLines = new Set<number>();
  let batch: Pending[] = [];
  let batchBytes = 0;
  let batchSize = opts.batchSize;
  const send = fetcher(opts);
  const started = performance.now();
  let processed = 0;

  const progress = () => {
    if (!opts.progress) return;
    const seconds = (performance.now() - started) / 1000;
    const rate = processed / Math.max(seconds, 0.001);
    const total = opts.totalLines;
    const lineRate = (summary.lines - summary.skipped) / Math.max(seconds, 0.001);
    const eta = total && lineRate > 0 ? ` · ETA ${Math.ceil(Math.max(0, total - summary.lines) / lineRate)} s` : '';
    opts.progress.write(`\rline ${summary.lines}${total ? `/${total}` : ''} · ${processed} items sent · ${rate.toFixed(1)} items/s${eta}   `);
  };

  /** Sends the batch; every line before `nextLine` is then resolved, and the state says so. */
  const flush = async (nextLine: number) => {
    if (batch.length === 0) return;
    const outcomes = await sendBatch(send, opts, batch, batchSize, (limit) => (batchSize = limit));
    for (const [i, p] of batch.entries()) {
      const o = outcomes[i]!;
      if (o.status === 201) summary.stored++;
      else if (o.status === 200) summary.deduplicated++;
      else {
        summary.failures.push({ line: p.line, code: o.code ?? String(o.status), detail: o.detail ?? '' });
        failedLines.add(p.line);
        continue;
      }
      hashLine(done, p.line, p.raw);
    }
    processed += batch.length;
    batch = [];
    batchBytes = 0;
    if (opts.statePath) save(nextLine);
    progress();
  };

  const save = (nextLine: number) =>
    saveState(opts.statePath!, {
      version: 1,
      url: opts.url,
      user: opts.userId ?? null,
      nextLine,
      failedLines: [...failedLines].sort((a, b) => a - b),
      doneHash: done.toString('hex'),
    });

  let line = 0;
  let verified = !previous;
  const now = Date.now();
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    summary.lines = line;
    if (previous && line < previous.nextLine && !retry.has(line)) {
      // Done in an earlier run: skipped, and checked to be the same line as then.
      summary.skipped++;
      hashLine(skipHash, line, raw);
      hashLine(done, line, raw);
      continue;
    }
    if (!verified && line >= previous!.nextLine) {
      verified = true;
      verify(skipHash, previous!, opts.statePath!);
    }
    if (raw.trim() === '') {
      hashLine(done, line, raw);
      continue;
    }
    const parsed = toItem(raw, now, opts.dedup);
    if ('expired' in parsed) {
      summary.expired++;
      hashLine(done, line, raw);
      continue;
    }
    if ('error' in parsed) {
      summary.failures.push({ line, code: 'BAD_LINE', detail: parsed.error });
      failedLines.add(line);
      continue;
    }
    const bytes = Buffer.byteLength(raw) + 1;
    if (batch.length >= batchSize || (batch.length > 0 && batchBytes + bytes > BATCH_BYTES)) await flush(line);
    batch.push({ line, raw, item: parsed.item });
    batchBytes += bytes;
  }
  if (!verified) verify(skipHash, previous!, opts.statePath!);
  await flush(line + 1);
  if (opts.progress) opts.progress.write('\n');
  if (opts.statePath) {
    if (failedLines.size === 0) rmSync(opts.statePath, { force: true });
    else save(line + 1);
  }
  return summary;
}

/** The input: a file, or standard input for `-`. */
export const openInput = (file: string): Readable => (file === '-' ? process.stdin : createReadStream(file));

/** Lines of a file (for the ETA), read once in chunks. */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) if (byte === 10) lines++;
    last = chunk.at(-1) ?? last;
  }
  return last === 10 ? lines : lines + 1;
}

export function formatSummary(s: ImportSummary, maxListed = 50): string {
  const lines = [
    `${s.lines} lines: ${s.stored} stored, ${s.deduplicated} deduplicated, ${s.expired} expired (skipped), ` +
      `${s.skipped} done before (skipped), ${s.failures.length} failed`,
  ];
  for (const f of s.failures.slice(0, maxListed)) lines.push(`  line ${f.line}: ${f.code} ${f.detail}`.trimEnd());
  if (s.failures.length > maxListed) lines.push(`  … and ${s.failures.length - maxListed} more`);
  return lines.join('\n');
}
