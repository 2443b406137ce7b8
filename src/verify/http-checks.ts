import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { Scope } from '../auth/token-verifier.js';
import { createMetrics } from '../metrics/metrics.js';
import { check, expectThat, skip, type CheckResult } from './check.js';

export interface HttpTarget {
  url: string;
  metricsUrl: string;
  /** Tokens for two throwaway users, when a signing secret is known. */
  users?: { a: { id: string; token: string }; b: { id: string; token: string } };
  /** Without a secret: one given token (its subject acts as user A). */
  token?: string;
}

const ROOT = new URL('../../', import.meta.url);
const json = { 'content-type': 'application/json' };

async function call(url: string, init: RequestInit & { token?: string } = {}) {
  const headers = { ...(init.headers as Record<string, string>), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) };
  const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (metrics, NDJSON)
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** The metric series Engram exports, as this build declares them. */
export function requiredSeries(): string[] {
  const names = createMetrics()
    .registry.getMetricsAsArray()
    .map((m) => m.name)
    .filter((n) => /^(memory|relay)_/.test(n));
  return [...names, 'process_cpu_user_seconds_total'];
}

/** Series names referenced by a deploy/ file (alert rules, dashboard). */
function referencedSeries(relativePath: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(fileURLToPath(new URL(relativePath, ROOT)), 'utf8');
  } catch {
    return undefined;
  }
  const names = new Set([...text.matchAll(/\b((?:memory|relay)_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!));
  return [...names];
}

export async function httpChecks(t: HttpTarget): Promise<CheckResult[]> {
  const api = `${t.url}/api/v1/memory`;
  const results: CheckResult[] = [];
  const run = async (phase: string, name: string, body: () => Promise<string>) => results.push(await check(phase, name, body));

  await run('4F', 'health', async () => {
    const live = await call(`${t.url}/healthz`);
    const ready = await call(`${t.url}/readyz`);
    expectThat(live.status === 200, `/healthz answered ${live.status}`);
    expectThat(ready.status === 200, `/readyz answered ${ready.status}: ${ready.text.slice(0, 200)}`);
    return '/healthz and /readyz answer 200';
  });

  let exported = new Set<string>();
  let metricsText = '';
  await run('4C', 'metrics', async () => {
    const res = await call(t.metricsUrl);
    metricsText = res.text;
    expectThat(res.status === 200, `${t.metricsUrl} answered ${res.status}`);
    for (const line of res.text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      expectThat(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.test(line), `unparsable line: ${line.slice(0, 80)}`);
    }
    exported = new Set([...res.text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const missing = requiredSeries().filter((n) => !exported.has(n));
    expectThat(missing.length === 0, `missing series: ${missing.join(', ')}`);
    return `${exported.size} series, all ${requiredSeries().length} required present`;
  });

  if (metricsText) results.push(sweeperCheck(metricsText));

  for (const [phase, name, file] of [
    ['4D', 'dashboard-series', 'deploy/grafana/engram-dashboard.json'],
    ['4E', 'alert-series', 'deploy/prometheus/alerts.yml'],
  ] as const) {
    const used = referencedSeries(file);
    if (!used) {
      results.push(skip(phase, name, `${file} not found next to this build`));
      continue;
    }
    await run(phase, name, async () => {
      const unknown = used.filter((n) => !exported.has(n));
      expectThat(unknown.length === 0, `${file} uses series the service does not export: ${unknown.join(', ')}`);
      return `${file}: all ${used.length} series it uses are exported`;
    });
  }

  await run('4G', 'no-token', async () => {
    const res = await call(api);
    expectThat(res.status === 401 && res.body.code === 'UNAUTHENTICATED', `got ${res.status} ${res.text.slice(0, 120)}`);
    return 'a request without a token gets 401 UNAUTHENTICATED';
  });
  await run('4G', 'bad-tokens', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'verify', scope: 'memory:read', exp: Math.floor(Date.now() / 1000) + 300 };
    const tokens = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'forged signature': `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.${Buffer.from('forged').toString('base64url')}`,
      garbage: 'not-a-token',
    };
    for (const [what, token] of Object.entries(tokens)) {
      const res = await call(api, { token });
      expectThat(res.status === 401, `${what}: got ${res.status}`);
    }
    return `${Object.keys(tokens).join(', ')}: all 401`;
  });

  const a = t.users?.a ?? (t.token ? { id: undefined, token: t.token } : undefined);
  if (!a) {
    results.push(skip('4G', 'cross-tenant', 'needs --jwt-secret (or JWT_SECRET) or --token'));
    results.push(skip('4G', 'tenant-isolation', 'needs --jwt-secret (or JWT_SECRET) or --token'));
    results.push(skip('4B', 'rate-limit', 'needs --jwt-secret (or JWT_SECRET) or --token'));
    return results;
  }

  // The service must accept the token before anything that needs one says anything: a token signed with
  // another secret (a second shell without JWT_SECRET_FILE finds ./.engram/secrets.json instead) is one
  // failure that says so, not four that each look like a broken deployment.
  const accepted = await check('4G', 'token', async () => {
    const res = await call(`${api}?limit=1`, { token: a.token });
    expectThat(
      res.status !== 401,
      `the service refused the token verify acts with (401 ${String(res.body.detail ?? res.text.slice(0, 120))}): ${
        t.users
          ? 'it was signed with another secret than the service checks; give verify the service\'s (--jwt-secret, or JWT_SECRET / JWT_SECRET_FILE as the service has them)'
          : 'give a token the service accepts (--token)'
      }`,
    );
    return 'the service accepts the token verify acts with';
  });
  results.push(accepted);
  if (accepted.status === 'FAIL') {
    for (const [phase, name] of [['4G', 'cross-tenant'], ['4G', 'tenant-isolation'], ['4B', 'rate-limit']] as const) {
      results.push(skip(phase, name, 'needs a token the service accepts (see security: token)'));
    }
    return results;
  }

  if (!t.users && t.token && hasRelayScope(t.token)) {
    results.push(skip('4G', 'cross-tenant', 'the --token carries memory:relay, which may act for any user: give a token without it, or --jwt-secret'));
  } else await run('4G', 'cross-tenant', async () => {
    const other = `engram-verify-other-${randomUUID()}`;
    const res = await call(`${api}/query`, { method: 'POST', token: a.token, headers: json, body: JSON.stringify({ user_id: other, query: 'x' }) });
    expectThat(res.status === 403 && res.body.code === 'CROSS_TENANT', `naming another user_id got ${res.status} ${res.text.slice(0, 120)}`);
    return "naming another user's id gets 403 CROSS_TENANT";
  });

  if (t.users) {
    const { b } = t.users;
    await run('4G', 'tenant-isolation', async () => {
      const marker = `verify-${randomUUID()}`;
      const made = await call(`${api}/index`, { method: 'POST', token: b.token, headers: json, body: JSON.stringify({ user_id: b.id, text: `B's private note ${marker}.` }) });
      expectThat(made.status === 201, `indexing as B got ${made.status} ${made.text.slice(0, 120)}`);
      const id = String(made.body.memory_id);
      const get = await call(`${api}/${id}`, { token: t.users!.a.token });
      expectThat(get.status === 404, `A reading B's memory by id got ${get.status}`);
      const q = await call(`${api}/query`, { method: 'POST', token: t.users!.a.token, headers: json, body: JSON.stringify({ user_id: t.users!.a.id, query: `private note ${marker}`, k: 100 }) });
      expectThat(q.status === 200 && !q.text.includes(marker), `A's query returned B's memory (${q.status})`);
      const own = await call(`${api}/${id}`, { token: b.token });
      expectThat(own.status === 200 && own.text.includes(marker), `B could not read its own memory (${own.status})`);
      return "A cannot read or find B's memory; B can";
    });
  } else {
    results.push(skip('4G', 'tenant-isolation', 'needs a signing secret for two users (--jwt-secret)'));
  }

  await run('4B', 'rate-limit', async () => {
    const first = await call(api, { token: a.token });
    const limit = Number(first.headers.get('x-ratelimit-limit'));
    expectThat(Number.isFinite(limit) && limit > 0, 'no X-RateLimit-Limit header (is rate limiting disabled?)');
    expectThat(first.headers.has('x-ratelimit-remaining') && first.headers.has('x-ratelimit-reset'), 'X-RateLimit-Remaining/Reset missing');
    expectThat(limit <= 5000, `limit ${limit} is too high to reach in a verify run`);
    for (let i = 1; i <= limit + 5; i++) {
      const res = await call(api, { token: a.token });
      if (res.status === 429) {
        expectThat(res.headers.has('retry-after'), '429 without Retry-After');
        expectThat(res.body.code === 'RATE_LIMITED', `429 body: ${res.text.slice(0, 120)}`);
        return `429 RATE_LIMITED with Retry-After after ${i + 1} requests (limit ${limit})`;
      }
    }
    throw new Error(`no 429 after ${limit + 6} requests at a limit of ${limit}`);
  });
  return results;
}

/** The scopes a token claims (read without verifying: the service verifies; this only picks the checks). */
export function hasRelayScope(token: string): boolean {
  try {
    const claims = decodeJwt(token);
    const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    const scp: unknown[] = Array.isArray(claims.scp) ? claims.scp : typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
    return [...scope, ...scp].includes(Scope.Relay);
  } catch {
    return false;
  }
}

/**
 * Whether the expiry sweeper of the node behind the metrics URL works: its first pass runs at start, so
 * a login that cannot run it (not a member of engram_maintenance: DATABASE_OWNER_URL missing) shows here.
 */
export function sweeperCheck(metrics: string): CheckResult {
  const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  const ok = value(/^memory_expiry_sweeps_total\{outcome="ok"\} (\S+)$/m);
  const errors = value(/^memory_expiry_sweeps_total\{outcome="error"\} (\S+)$/m);
  const name = 'expiry-sweeper';
  if (Number.isNaN(ok) && Number.isNaN(errors)) return skip('4C', name, 'the sweeper is off on this node (EXPIRY_SWEEP_INTERVAL_MS=0): another node must run it');
  if (value(/^memory_expiry_sweeper_failing (\S+)$/m) === 1) {
    return {
      phase: '4C',
      name,
      status: 'FAIL',
      detail: `its last pass failed (${errors} failed, ${ok} worked): expired memories are not deleted; the service log says why ("expiry sweeper: pass failed"), usually DATABASE_OWNER_URL missing or its login not a member of engram_maintenance`,
    };
  }
  if (ok === 0) return skip('4C', name, 'the sweeper has not finished a pass yet');
  return { phase: '4C', name, status: 'PASS', detail: `it works (${ok} passes, ${errors} failed)` };
}
