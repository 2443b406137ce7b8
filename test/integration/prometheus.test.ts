import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';

/**
 * A real Prometheus (Debian's package) scrapes a running Engram on loopback every second; after a
 * few queries, PromQL over the scraped histogram gives a p95. Never skipped: without the binary
 * this fails and says how to install it.
 */
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const QUERIES = 30;

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Prometheus scrapes Engram', () => {
  let t: TestApp | undefined;
  let appUrl: string;
  let promUrl: string;
  let prom: ChildProcess | undefined;
  let promExit: string | undefined;
  let promLog = '';
  let dir: string | undefined;

  /** Runs an instant query against Prometheus' HTTP API. */
  async function promQuery(query: string): Promise<PromSample[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`Prometheus query ${query} failed: ${body.error}`);
    return body.data!.result;
  }

  /** Polls until check() returns a value (not undefined), for at most timeoutMs. */
  async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (promExit) throw new Error(`Prometheus exited (${promExit}) while waiting for ${what}:\n${promLog.slice(-4000)}`);
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` + (lastError ? ` (last error: ${String(lastError)})` : '') +
          `\nPrometheus log:\n${promLog.slice(-4000)}`);
      }
      await sleep(250);
    }
  }

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) return; // the test fails on this, with the fix (never skipped)
    t = await createTestApp({ env: { RATE_LIMIT_DISABLED: '1' } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const appPort = (t.app.server.address() as AddressInfo).port;
    appUrl = `http://127.0.0.1:${appPort}`;

    dir = mkdtempSync(join(tmpdir(), 'engram-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: engram',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${appPort}']`,
        '',
      ].join('\n'),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      promLog = (promLog + chunk.toString()).slice(-20_000);
    };
    prom.stdout!.on('data', keep);
    prom.stderr!.on('data', keep);
    prom.once('error', (err) => (promExit = `spawn error: ${err.message}`));
    prom.once('exit', (code, signal) => (promExit = `code ${code}, signal ${signal}`));

    await waitFor('Prometheus to be ready', async () => {
      const res = await fetch(`${promUrl}/-/ready`);
      return res.ok ? true : undefined;
    });
  });

  afterAll(async () => {
    if (prom && !promExit) {
      const exited = new Promise<void>((resolve) => prom!.once('exit', () => resolve()));
      prom.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        prom.kill('SIGKILL');
        await exited;
      }
    }
    await t?.close();
    await closeTestEmbedder();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads back up == 1 and a p95 of memory_query_latency_ms via histogram_quantile', async () => {
    if (!existsSync(PROMETHEUS)) {
      throw new Error(
        `Prometheus is not installed (${PROMETHEUS} is missing). Run \`bash scripts/check-monitoring.sh\`, ` +
          "which installs Debian's prometheus package (or set PROMETHEUS_BIN to its binary).",
      );
    }
    const app = t!;
    // The route Prometheus scrapes: no token, Prometheus text format.
    const metrics = await fetch(`${appUrl}/metrics`);
    expect(metrics.status, 'GET /metrics (no auth) must serve the Prometheus exposition').toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('memory_query_latency_ms_bucket');

    // A first scrape before any query, so rate() over the histogram sees it move.
    const up = await waitFor('a first successful scrape (up{job="engram"} == 1)', async () => {
      const r = await promQuery('up{job="engram"} == 1');
      return r.length > 0 ? r : undefined;
    });
    expect(up).toHaveLength(1);
    expect(up[0]!.metric.instance).toBe(new URL(appUrl).host);
    expect(Number(up[0]!.value[1])).toBe(1);

    const token = await app.token('alice');
    const post = async (path: string, payload: object) => {
      const res = await fetch(`${appUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      return { status: res.status, body: await res.text() };
    };
    const texts = [
      'Alice adopted a golden retriever puppy named Rex.',
      'Alice works as a nurse at the Lisbon hospital.',
      'Alice is learning to play the cello on Sundays.',
    ];
    for (const text of texts) {
      const res = await post('/api/v1/memory/index', { user_id: 'alice', text, source: 'chat' });
      expect(res.status, res.body).toBe(201);
    }
    const questions = ['what pet does she have?', 'where does she work?', 'which instrument?'];
    for (let i = 0; i < QUERIES; i++) {
      const res = await post('/api/v1/memory/query', { user_id: 'alice', query: questions[i % questions.length], k: 2 });
      expect(res.status, res.body).toBe(200);
    }

    // Prometheus has scraped every query.
    const total = await waitFor(`Prometheus to scrape memory_queries_total >= ${QUERIES}`, async () => {
      const r = await promQuery('sum(memory_queries_total{job="engram"})');
      const v = r[0] ? Number(r[0].value[1]) : 0;
      return v >= QUERIES ? v : undefined;
    });
    expect(total).toBeGreaterThanOrEqual(QUERIES);

    const p95 = await promQuery('histogram_quantile(0.95, sum by (le) (rate(memory_query_latency_ms_bucket{job="engram"}[1m])))');
    expect(p95, 'one p95 series').toHaveLength(1);
    const value = Number(p95[0]!.value[1]);
    expect(Number.isFinite(value), `p95 is ${p95[0]!.value[1]}`).toBe(true);
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThanOrEqual(10_000); // within the histogram's finite buckets

    const stillUp = await promQuery('up{job="engram"}');
    expect(stillUp.map((s) => Number(s.value[1]))).toEqual([1]);
  }, 120_000);
});
