import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/** Issue 19, part 1: what a newcomer hit in the first hour, each with the behaviour that fixes it. */
describe(`the first hour, fixed (${backend()})`, () => {
  let t: TestApp;
  let auth: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${await t.token('alice')}` };
  });
  afterAll(() => t?.close());

  it('GET (and other methods) on a POST-only path answer 405 with Allow, not a bad-id 400', async () => {
    for (const [method, path, allow] of [
      ['GET', 'query', 'POST'],
      ['GET', 'index', 'POST'],
      ['GET', 'summarize', 'POST'],
      ['DELETE', 'query', 'POST'],
      ['PATCH', 'index', 'POST'],
      ['DELETE', 'entities', 'GET, HEAD, POST'],
      ['PATCH', 'export', 'GET, HEAD'],
    ] as const) {
      const res = await t.app.inject({ method, url: `/api/v1/memory/${path}?user_id=alice`, headers: auth });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    }
    // A real id still reaches the route.
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/memory/00000000-0000-4000-8000-000000000000', headers: auth });
    expect(missing.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/memory/not-an-id', headers: auth });
    expect(bad.statusCode).toBe(400);
  });

  it('a metadata key that breaks the rule is named, on every route that takes metadata', async () => {
    const cases = [
      ['/api/v1/memory/index', { text: 'x', metadata: { ok: 1, 'bad key!': 2 } }, 'body.metadata'],
      ['/api/v1/memory/query', { query: 'x', filters: { metadata: { 'bad key!': 2 } } }, 'body.filters.metadata'],
      ['/v3/memories/add/', { messages: [{ role: 'user', content: 'x' }], metadata: { 'bad key!': 2 }, infer: false }, 'metadata'],
    ] as const;
    for (const [url, payload, where] of cases) {
      const res = await t.app.inject({ method: 'POST', url, headers: auth, payload });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().detail).toContain(`${where} has an invalid key "bad key!"`);
    }
  });
});

describe.runIf(backend() === 'pglite')('engram serve on a busy port', () => {
  let busy: Server;
  let port: number;
  const dataDir = join(mkdtempSync(join(tmpdir(), 'engram-busy-')), 'data');
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    port = (busy.address() as AddressInfo).port;
  });
  afterAll(() => {
    busy.close();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('fails at once with a message that says what to do, before creating a data directory or secrets', async () => {
    const err = await run('node', [...CLI, 'serve', '--port', String(port), '--data-dir', dataDir], { env: { ...process.env, LOG_LEVEL: 'info' } }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain(`127.0.0.1:${port} (the API) is already in use`);
    expect(err.stderr).toContain('--port or PORT');
    expect(existsSync(dataDir)).toBe(false);
    expect(err.stdout).not.toMatch(/migration|model/i);
  });
});
