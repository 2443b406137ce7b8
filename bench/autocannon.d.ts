// The part of autocannon 8's programmatic API that bench/loadtest.ts uses (the package ships no types and
// @types/autocannon is not a dependency). Shapes follow node_modules/autocannon/lib/{run,httpClient,
// requestIterator,aggregateResult}.js.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    /** Per-client state, reset before each pass over `requests` (with one entry: before every request). */
    type Context = Record<string, unknown>;

    interface RequestParams {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }

    interface Request extends RequestParams {
      /** Called before each request is built; returns the request to send (falsy: restart the sequence). */
      setupRequest?: (request: RequestParams, context: Context) => RequestParams | null | undefined;
      /** Called with each complete response, synchronously just before the instance's `response` event. */
      onResponse?: (status: number, body: string, context: Context, headers: Record<string, string | string[]>) => void;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      overallRate?: number;
      connectionRate?: number;
      pipelining?: number;
      /** Seconds before a request counts as timed out (default 10). */
      timeout?: number;
      requests?: Request[];
      ignoreCoordinatedOmission?: boolean;
      excludeErrorStats?: boolean;
      initialContext?: Context;
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p97_5: number;
      p99: number;
      [key: string]: number;
    }

    interface Result {
      url: string;
      connections: number;
      /** Seconds, measured by autocannon. */
      duration: number;
      start: Date;
      finish: Date;
      /** Socket errors plus timeouts. */
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      '1xx': number;
      '2xx': number;
      '3xx': number;
      '4xx': number;
      '5xx': number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram & { totalCount: number };
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }

    interface Client extends EventEmitter {
      opts: Options;
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
      on(event: 'response', listener: (client: Client, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
      on(event: 'reqError', listener: (error: Error) => void): this;
      on(event: 'tick', listener: (counts: { counter: number; bytes: number }) => void): this;
      on(event: 'done', listener: (result: Result) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
