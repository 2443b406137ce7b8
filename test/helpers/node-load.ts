import { randomBytes } from 'node:crypto';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one request to node `node` with the given X-Request-Id; throws when no HTTP answer came. */
export type Send = (
  node: number,
  user: string,
  method: string,
  path: string,
  body: object | undefined,
  requestId: string,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** One HTTP request of the load; status 0: no HTTP answer (then `error` says why). */
export interface Attempt {
  kind: 'index' | 'read';
  node: number;
  requestId: string;
  status: number;
  error?: string;
  phase: string;
}

/**
 * Write and read load on several Engram nodes, as a client behind a load balancer sends it: round
 * robin; a request that gets no answer or a 503 is sent again to the next node (deduplication answers
 * a retry of a text that was stored after all). Every HTTP attempt is recorded under its X-Request-Id,
 * so the nodes' request logs tell which attempts they received (see requestLog).
 */
export class NodeLoad {
  readonly attempts: Attempt[] = [];
  /** Memory id → user, for every index a node acknowledged (2xx with a memory_id). */
  readonly acknowledged = new Map<string, string>();
  /** Acknowledged memories that a later read (on any node) did not find. */
  readonly unreadable: string[] = [];
  phase = 'steady';
  private stopped = false;
  private seq = 0;
  private rr = 0;
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly send: Send,
    private readonly nodes: number,
    readonly users: string[],
  ) {}

  nextId(): string {
    return `load-${++this.seq}-${randomBytes(3).toString('hex')}`;
  }

  async attempt(kind: Attempt['kind'], node: number, user: string, method: string, path: string, body?: object, requestId = this.nextId()) {
    const record: Attempt = { kind, node, requestId, status: 0, phase: this.phase };
    this.attempts.push(record);
    try {
      const res = await this.send(node, user, method, path, body, requestId);
      record.status = res.status;
      return res;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      record.error = cause?.code ?? cause?.message ?? String(err);
      return undefined;
    }
  }

  /** Indexes `text` for `user`, first on `node`; retries on the next node while there is no answer or a 503. */
  async write(user: string, text: string, node = this.rr++ % this.nodes, requestId = this.nextId()): Promise<void> {
    for (let tries = 0; tries < 8; tries++, node = (node + 1) % this.nodes, requestId = this.nextId()) {
      const res = await this.attempt('index', node, user, 'POST', '/index', { user_id: user, text }, requestId);
      if (res && res.status >= 200 && res.status < 300) {
        this.acknowledged.set(res.body.memory_id as string, user);
        return;
      }
      if (res && res.status !== 503) return; // anything else is a failure the caller's checks report
      await sleep(20 * tries);
    }
  }

  /** Starts `writers` writers and `readers` readers, each pausing `pauseMs` between requests. */
  start(writers: number, readers: number, pauseMs: number): void {
    const writer = async (w: number) => {
      for (let i = 0; !this.stopped; i++) {
        const user = this.users[(w + i) % this.users.length]!;
        await this.write(user, `Load note ${w}.${i} for ${user}: written while the nodes restart one after the other.`);
        await sleep(pauseMs);
      }
    };
    // Reads of acknowledged memories, each on the next node: found at once, whichever node wrote it.
    const reader = async () => {
      while (!this.stopped) {
        const ids = [...this.acknowledged.keys()];
        const id = ids[Math.floor(Math.random() * ids.length)];
        if (id) {
          const user = this.acknowledged.get(id)!;
          const res = await this.attempt('read', this.rr++ % this.nodes, user, 'GET', `/${id}?user_id=${user}`);
          if (res?.status === 404) this.unreadable.push(id);
        }
        await sleep(pauseMs);
      }
    };
    for (let w = 0; w < writers; w++) this.running.push(writer(w));
    for (let r = 0; r < readers; r++) this.running.push(reader());
  }

  /** Waits until `n` more writes are acknowledged (at most `timeoutMs`): the load made progress. */
  async progress(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acknowledged.size + n;
    for (const until = performance.now() + timeoutMs; this.acknowledged.size < target && performance.now() < until; ) await sleep(20);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  count(f: (a: Attempt) => boolean): number {
    return this.attempts.filter(f).length;
  }
}

/**
 * What a node's request log (LOG_LEVEL=info, one JSON line each) says of the load's requests: those
 * it received, and those it had received before it logged "shutting down" and answered after.
 */
export function requestLog(output: string): { received: Set<string>; inFlightAtShutdown: Set<string> } {
  const received = new Set<string>();
  const before = new Set<string>();
  const inFlightAtShutdown = new Set<string>();
  let shuttingDown = false;
  for (const line of output.split('\n')) {
    if (line.includes('"msg":"shutting down"')) shuttingDown = true;
    const id = /"reqId":"(load-[^"]+)"/.exec(line)?.[1];
    if (!id) continue;
    if (line.includes('"msg":"incoming request"')) {
      received.add(id);
      if (!shuttingDown) before.add(id);
    } else if (shuttingDown && before.has(id) && line.includes('"msg":"request completed"')) {
      inFlightAtShutdown.add(id);
    }
  }
  return { received, inFlightAtShutdown };
}
