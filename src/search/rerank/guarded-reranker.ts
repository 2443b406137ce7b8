import CircuitBreaker from 'opossum';
import type { Metrics } from '../../metrics/metrics.js';
import type { RerankCandidate, Reranker } from './reranker.js';

/**
 * Why a query was answered without reranking:
 * - `disabled`: reranking is turned off for this deployment (RERANK_ENABLED=false, or no reranker);
 * - `open`: the circuit breaker is open (or half-open with its one probe in flight) — the reranker is not called;
 * - `timeout`: the reranker did not answer within the time budget (RERANK_TIMEOUT_MS);
 * - `error`: the reranker failed, or answered something other than one finite score per candidate.
 */
export type RerankSkipReason = 'disabled' | 'open' | 'timeout' | 'error';

export type GuardedRerankResult = { reranked: true; scores: number[] } | { reranked: false; reason: RerankSkipReason };

export type BreakerState = 'closed' | 'half-open' | 'open';

export interface BreakerOptions {
  /** Opens when more than this percentage of the calls in the window failed or timed out (1–100). */
  errorThresholdPercentage: number;
  /** ... and at least this many calls were made in the window (low traffic never trips it). */
  volumeThreshold: number;
  /** The rolling window the percentage is computed over, ms. */
  windowMs: number;
  /** How long it stays open before one probe call is let through (half-open), ms. */
  cooldownMs: number;
}

export interface GuardOptions {
  /** The time budget of one rerank call, ms: past it the call is aborted and the query answers un-reranked. */
  timeoutMs: number;
  breaker: BreakerOptions;
  metrics?: Pick<Metrics, 'rerankLatency' | 'rerankSkipped' | 'rerankBreakerState'>;
  /** Breaker transitions are logged here (pino-compatible: app.log). */
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** `memory_rerank_skipped_total{reason}` label values; `disabled` is not a skip worth an alert and is not counted. */
const SKIP_LABEL = { open: 'circuit_open', timeout: 'timeout', error: 'error' } as const;
/** `memory_rerank_circuit_breaker_state`: 0 closed, 1 half-open, 2 open (the gauge's help text, the dashboard). */
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export class RerankTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`reranker did not answer within ${timeoutMs} ms`);
    this.name = 'RerankTimeoutError';
  }
}

type Action = (query: string, candidates: readonly RerankCandidate[]) => Promise<number[]>;

/**
 * Guards any Reranker with a time budget and a circuit breaker (opossum), and owns the
 * `memory_rerank_*` metrics. It never throws: a query always gets an answer, reranked or not, within
 * the budget. Call it once per query that asks for reranking — the skip counter is compared with
 * `memory_queries_total` by the MemoryRerankCircuitBreakerHigh alert.
 */
export class GuardedReranker {
  private readonly breaker: CircuitBreaker<Parameters<Action>, number[]> | null;
  private lastFailure = '';

  /** A guard that never reranks (reason `disabled`) and counts nothing. */
  static disabled(): GuardedReranker {
    return new GuardedReranker(null, {
      timeoutMs: 1,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 1, windowMs: 1000, cooldownMs: 1000 },
    });
  }

  constructor(
    private readonly reranker: Reranker | null,
    private readonly options: GuardOptions,
  ) {
    if (!reranker) {
      this.breaker = null;
      return;
    }
    if (!(options.timeoutMs > 0)) throw new RangeError('rerank guard: timeoutMs must be positive');
    const b = options.breaker;
    this.breaker = new CircuitBreaker<Parameters<Action>, number[]>((query, candidates) => this.attempt(query, candidates), {
      name: `rerank:${reranker.name}`,
      timeout: false, // the budget is enforced per call in attempt(), with an AbortSignal of its own
      errorThresholdPercentage: b.errorThresholdPercentage,
      volumeThreshold: b.volumeThreshold,
      rollingCountTimeout: b.windowMs,
      rollingCountBuckets: 10,
      resetTimeout: b.cooldownMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.breaker.on('open', () => this.transition('open'));
    this.breaker.on('halfOpen', () => this.transition('half-open'));
    this.breaker.on('close', () => this.transition('closed'));
    this.breaker.on('failure', (err: unknown) => {
      this.lastFailure = err instanceof Error ? err.message : 'unknown error';
    });
    const m = options.metrics;
    m?.rerankBreakerState.set(STATE_VALUE.closed);
    // Series from 0, so that rate() sees the very first skip (a new series' first sample is no increase).
    for (const reason of Object.values(SKIP_LABEL)) m?.rerankSkipped.inc({ reason }, 0);
  }

  /** False when this guard never reranks (disabled): callers may skip building candidates' text for it. */
  get enabled(): boolean {
    return this.breaker !== null && !this.breaker.isShutdown;
  }

  /** The reranker's own relevance mapping (Reranker.relevance), when it has one. */
  get relevance(): ((score: number) => number) | undefined {
    return this.reranker?.relevance?.bind(this.reranker);
  }

  /** The reranker's bound on how far it lifts a score (Reranker.maxLift), when it has one. */
  get maxLift(): number | undefined {
    return this.reranker?.maxLift;
  }

  get name(): string {
    return this.reranker?.name ?? 'none';
  }

  get state(): BreakerState | 'disabled' {
    if (!this.breaker || this.breaker.isShutdown) return 'disabled';
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  async rerank(query: string, candidates: readonly RerankCandidate[]): Promise<GuardedRerankResult> {
    if (!this.breaker || this.breaker.isShutdown) return { reranked: false, reason: 'disabled' };
    if (candidates.length === 0) return { reranked: true, scores: [] };
    try {
      return { reranked: true, scores: await this.breaker.fire(query, candidates) };
    } catch (err) {
      const reason = skipReason(err);
      if (reason !== 'disabled') this.options.metrics?.rerankSkipped.inc({ reason: SKIP_LABEL[reason] });
      return { reranked: false, reason };
    }
  }

  /** Stops the breaker's timers; later calls answer `disabled`. */
  close(): void {
    this.breaker?.shutdown();
  }

  /** One call of the reranker under the budget: aborted and rejected when the budget runs out. */
  private async attempt(query: string, candidates: readonly RerankCandidate[]): Promise<number[]> {
    const reranker = this.reranker as Reranker;
    const { timeoutMs } = this.options;
    const controller = new AbortController();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new RerankTimeoutError(timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    let answered = false;
    try {
      const scores = await Promise.race([reranker.rerank(query, candidates, controller.signal), deadline]);
      answered = true;
      // A reranker that blocks the event loop resolves before the timer can fire: late is late.
      if (performance.now() - started > timeoutMs) throw new RerankTimeoutError(timeoutMs);
      if (!Array.isArray(scores) || scores.length !== candidates.length || !scores.every((s) => Number.isFinite(s))) {
        throw new Error(`reranker ${reranker.name} did not return one finite score per candidate`);
      }
      return scores;
    } finally {
      clearTimeout(timer);
      // A reranker that failed may still hold a request open: the abort releases it. One that
      // answered holds nothing (and an abort costs an event and an exception object per query).
      if (!answered) controller.abort();
      this.options.metrics?.rerankLatency.observe(performance.now() - started);
    }
  }

  private transition(state: BreakerState): void {
    this.options.metrics?.rerankBreakerState.set(STATE_VALUE[state]);
    const fields = { event: 'rerank_breaker', state, reranker: this.name };
    if (state === 'open') {
      this.options.log?.warn(
        { ...fields, cooldownMs: this.options.breaker.cooldownMs, lastFailure: this.lastFailure },
        'rerank circuit breaker open: queries answer without reranking',
      );
    } else {
      this.options.log?.info(fields, `rerank circuit breaker ${state}`);
    }
  }
}

function skipReason(err: unknown): RerankSkipReason {
  if (err instanceof RerankTimeoutError) return 'timeout';
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && CircuitBreaker.isOurError(err)) {
    if (code === 'EOPENBREAKER') return 'open';
    if (code === 'ESHUTDOWN') return 'disabled';
  }
  return 'error';
}
