import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { signToken, Scope } from '../auth/token-verifier.js';
import { AREAS, check, expectThat, skip, type CheckResult } from './check.js';
import { databaseChecks } from './database-checks.js';
import { httpChecks } from './http-checks.js';

export interface VerifyOptions {
  url: string;
  metricsUrl?: string;
  token?: string;
  signingSecret?: string;
  /** Claims the deployment checks (JWT_ISSUER / JWT_AUDIENCE), put into the tokens verify signs. */
  issuer?: string;
  audience?: string;
  databaseUrl?: string;
  redisUrl?: string;
}

/**
 * Checks against a live deployment (the areas of check.ts: database, Redis and rate limits, metrics,
 * dashboard, alert rules, health, security).
 * It creates two throwaway users (engram-verify-*) when it can sign tokens, and erases them at the end.
 */
export async function verify(opts: VerifyOptions): Promise<CheckResult[]> {
  const url = opts.url.replace(/\/+$/, '');
  const results: CheckResult[] = [];
  const run = async (phase: string, name: string, body: () => Promise<string>) => results.push(await check(phase, name, body));

  let users: { a: { id: string; token: string }; b: { id: string; token: string } } | undefined;
  if (opts.signingSecret) {
    const mint = async (id: string) => ({
      id,
      token: await signToken({
        secret: opts.signingSecret!,
        subject: id,
        scopes: [Scope.Read, Scope.Write],
        ttlSeconds: 600,
        issuer: opts.issuer,
        audience: opts.audience,
      }),
    });
    const tag = randomUUID().slice(0, 8);
    users = { a: await mint(`engram-verify-a-${tag}`), b: await mint(`engram-verify-b-${tag}`) };
  }

  let db: pg.Client | undefined;
  if (opts.databaseUrl) {
    try {
      const checked = await databaseChecks(opts.databaseUrl);
      results.push(...checked.results);
      db = checked.client;
    } catch (err) {
      results.push({ phase: '4A', name: 'database', status: 'FAIL', detail: `cannot connect: ${(err as Error).message}` });
    }
  } else {
    results.push(skip('4A', 'database', 'no --database-url (RLS, policies, role and indexes not checked)'));
  }

  // Whether the service itself uses Redis: its /readyz lists a redis check only then (REDIS_URL set).
  const serviceRedis = await readyChecks(url).then((checks) => checks?.redis);
  if (opts.redisUrl) {
    await run('4B', 'redis', async () => {
      const redis = new Redis(opts.redisUrl!, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      redis.on('error', () => {});
      try {
        await redis.connect();
        const pong = await redis.ping();
        expectThat(pong === 'PONG', `PING answered ${pong}`);
      } finally {
        redis.disconnect();
      }
      expectThat(
        serviceRedis !== undefined,
        'Redis answers PING, but the service does not use Redis (its /readyz lists none): its rate limits are per process; set REDIS_URL on the service',
      );
      expectThat(serviceRedis === 'ok', `Redis answers PING here, but the service's own Redis check says: ${serviceRedis}`);
      return 'Redis answers PING, and the service uses Redis (its /readyz: ok)';
    });
  } else if (serviceRedis !== undefined) {
    await run('4B', 'redis', async () => {
      expectThat(serviceRedis === 'ok', `the service's Redis check says: ${serviceRedis}`);
      return "the service uses Redis and its /readyz says ok (give --redis-url to check it from here too)";
    });
  } else {
    results.push(skip('4B', 'redis', 'the service does not use Redis (REDIS_URL unset): its rate limits are in memory, per process'));
  }

  results.push(...(await httpChecks({ url, metricsUrl: opts.metricsUrl ?? `${url}/metrics`, users, token: opts.token })));
  // A refused token made nothing: no memory to tamper with, no user to erase.
  const refused = results.some((r) => r.name === 'token' && r.status === 'FAIL');

  if (refused) {
    results.push(skip('4G', 'wrong-user-ciphertext', 'needs a token the service accepts (see security: token)'));
  } else if (db && users) {
    const { a, b } = users;
    await run('4G', 'wrong-user-ciphertext', async () => {
      const api = `${url}/api/v1/memory`;
      const post = async (u: { id: string; token: string }, text: string) => {
        const res = await fetch(`${api}/index`, {
          method: 'POST',
          headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: u.id, text }),
        });
        expectThat(res.status === 201, `indexing for ${u.id} got ${res.status}`);
        return ((await res.json()) as { memory_id: string }).memory_id;
      };
      const aId = await post(a, 'A verify note.');
      const bId = await post(b, 'B verify note.');
      // Two statements: on Citus the two rows live in different shards.
      const source = await db!.query<{ c: Buffer }>(`SELECT text_ciphertext AS c FROM memories WHERE id = $1`, [aId]);
      const moved = await db!.query(`UPDATE memories SET text_ciphertext = $1 WHERE id = $2`, [source.rows[0]?.c ?? null, bId]);
      expectThat(moved.rowCount === 1, 'could not copy the ciphertext: --database-url must be a superuser or BYPASSRLS login for this check');
      const res = await fetch(`${api}/${bId}`, { headers: { authorization: `Bearer ${b.token}` } });
      const body = (await res.json()) as { code?: string };
      expectThat(res.status === 500 && body.code === 'DECRYPT_FAILED', `reading the moved ciphertext got ${res.status} ${JSON.stringify(body)}`);
      return "A's ciphertext copied into B's row fails with DECRYPT_FAILED";
    });
  } else if (!db) {
    results.push(skip('4G', 'wrong-user-ciphertext', 'needs --database-url'));
  } else {
    results.push(skip('4G', 'wrong-user-ciphertext', 'needs a signing secret for two users'));
  }

  if (users && !refused) {
    const { a, b } = users;
    await run('4G', 'cleanup', async () => {
      for (const u of [a, b]) {
        const res = await fetch(`${url}/api/v1/memory?user_id=${encodeURIComponent(u.id)}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${u.token}` },
        });
        expectThat(res.ok, `erasing ${u.id} got ${res.status}: erase it by hand`);
      }
      return `erased the throwaway users ${a.id} and ${b.id}`;
    });
  }
  await db?.end();
  return results;
}

/** One line per check: status, what was checked (area and check), and what was seen. */
export function formatResults(results: CheckResult[]): string {
  return results
    .map((r) => `${r.status.padEnd(4)}  ${`${AREAS[r.phase] ?? r.phase}: ${r.name}`.padEnd(42)}  ${r.detail}`)
    .join('\n');
}

/** The named checks of the service's /readyz, or undefined when it cannot be read (the health check reports that). */
async function readyChecks(url: string): Promise<Record<string, string> | undefined> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { checks?: Record<string, string> }).checks;
  } catch {
    return undefined;
  }
}
