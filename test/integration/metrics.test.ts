import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { memoryRepository } from '../../src/store/memory-repository.js';
import { SignJWT } from 'jose';
import { closeTestEmbedder, createTestApp, JWT_SECRET, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/** One sample of the Prometheus text format: `name{a="b",c="d"} value`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Issue 3: every metric is moved by the code path it names, and labels carry no user ids. */
describe(`metrics (${backend()})`, () => {
  let t: TestApp;
  let auth: { authorization: string };
  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };
  const value = async (name: string, labels?: Record<string, string>) => sample(await scrape(), name, labels) ?? 0;
  const index = (text: string, user = 'alice') =>
    t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: auth, payload: { user_id: user, text } });
  const query = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/memory/query', headers: auth, payload });

  beforeAll(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${await t.token('alice')}` };
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('ingest moves ingest latency, chunks, TTFV, embedding latency and batch size', async () => {
    const before = await scrape();
    const text = Array.from({ length: 40 }, (_, i) => `Fact number ${i} is about a different thing entirely.`).join(' ');
    const res = await index(text);
    expect(res.statusCode).toBe(201);
    const chunks = res.json().chunk_count as number;
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('memory_ingested_total')).toBe(1);
    expect(delta('memory_ingest_latency_ms_count')).toBe(1);
    expect(delta('memory_ingest_chunks_count')).toBe(1);
    expect(delta('memory_ingest_chunks_sum')).toBe(chunks);
    expect(delta('memory_ttfv_ms_count')).toBe(1);
    expect(delta('memory_ttfv_ms_sum')).toBeGreaterThan(0);
    expect(delta('memory_embedding_latency_ms_count', { model: 'use-lite-512' })).toBe(1);
    expect(delta('memory_embedding_batch_size_sum', { model: 'use-lite-512' })).toBe(chunks);
    expect(delta('relay_memory_requests_total', { route: '/api/v1/memory/index', method: 'POST', status: '201' })).toBe(1);
    expect(delta('relay_memory_request_latency_ms_count', { route: '/api/v1/memory/index', method: 'POST', status: '201' })).toBe(1);
  });

  it('queries move the query counters and latency; active queries return to zero', async () => {
    const ok0 = await value('memory_queries_total', { outcome: 'ok' });
    const err0 = await value('memory_queries_total', { outcome: 'error' });
    const lat0 = await value('memory_query_latency_ms_count');
    expect((await query({ user_id: 'alice', query: 'fact number' })).statusCode).toBe(200);
    expect((await query({ user_id: 'alice', query: '   ' })).statusCode).toBe(400); // reaches the domain, fails there
    expect(await value('memory_queries_total', { outcome: 'ok' })).toBe(ok0 + 1);
    expect(await value('memory_queries_total', { outcome: 'error' })).toBe(err0 + 1);
    expect(await value('memory_query_latency_ms_count')).toBe(lat0 + 2);
    expect(await value('memory_active_queries')).toBe(0);
  });

  it('errors, auth failures and cross-tenant attempts are counted by code, reason and route', async () => {
    const v0 = await value('relay_memory_errors_total', { code: 'VALIDATION_FAILED' });
    await query({ user_id: 'alice', query: 'x', k: 1000 });
    expect(await value('relay_memory_errors_total', { code: 'VALIDATION_FAILED' })).toBe(v0 + 1);

    const a0 = await value('memory_auth_failures_total', { reason: 'a valid bearer token is required' });
    await t.app.inject({ method: 'GET', url: '/api/v1/memory' });
    expect(await value('memory_auth_failures_total', { reason: 'a valid bearer token is required' })).toBe(a0 + 1);
    const expired = await new SignJWT({ sub: 'alice', scope: 'memory:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const e0 = await value('memory_auth_failures_total', { reason: 'token expired' });
    await t.app.inject({ method: 'GET', url: '/api/v1/memory', headers: { authorization: `Bearer ${expired}` } });
    expect(await value('memory_auth_failures_total', { reason: 'token expired' })).toBe(e0 + 1);

    const c0 = await value('memory_cross_tenant_attempts_total', { route: '/api/v1/memory/query' });
    expect((await query({ user_id: 'mallory', query: 'x' })).statusCode).toBe(403);
    expect(await value('memory_cross_tenant_attempts_total', { route: '/api/v1/memory/query' })).toBe(c0 + 1);
    expect(await value('relay_memory_errors_total', { code: 'CROSS_TENANT' })).toBeGreaterThanOrEqual(1);
  });

  it('a tampered ciphertext moves the decrypt-failure counter', async () => {
    const res = await index('Decrypt me later.');
    const id = res.json().memory_id as string;
    await t.owner.query(`UPDATE memories SET text_ciphertext = set_byte(text_ciphertext, 20, get_byte(text_ciphertext, 20) # 1) WHERE id = $1`, [id]);
    const d0 = await value('memory_decrypt_failures_total');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/memory/${id}`, headers: auth })).statusCode).toBe(500);
    expect(await value('memory_decrypt_failures_total')).toBe(d0 + 1);
  });

  it('a statement refused by an RLS policy moves memory_rls_blocks_total', async () => {
    const hash = createUserHasher(t.config.keys.hashKey);
    const r0 = await value('memory_rls_blocks_total');
    // A write for Bob inside Alice's tenant transaction: the insert policy refuses it.
    const id = randomUUID();
    await expect(
      t.db.withTenant(hash('alice'), (tx) =>
        memoryRepository.insert(tx, hash('bob'), { id, source: null, metadata: {}, textCiphertext: Buffer.alloc(40), chunkCount: 1 }, [], 'm'),
      ),
    ).rejects.toThrow(/row-level security/);
    expect(await value('memory_rls_blocks_total')).toBe(r0 + 1);
  });

  it('exposes process metrics, the pool, open connections, and the declared rerank series; no user ids', async () => {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const first = await fetch(`${address}/metrics`); // keep-alive: the connection stays open
    await first.text();
    const text = await (await fetch(`${address}/metrics`)).text();
    expect(sample(text, 'relay_memory_active_connections')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'memory_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    for (const name of ['memory_rerank_latency_ms', 'memory_rerank_skipped_total', 'memory_rerank_circuit_breaker_state']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).not.toMatch(/alice|mallory|bob/);
    const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]).filter((n) => /^(memory|relay)_/.test(n!)));
    expect(names.size).toBeGreaterThanOrEqual(21);
  });
});
