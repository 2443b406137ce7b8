import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { CONSOLE_CSP } from '../../src/http/plugins/console.js';
import { closeTestEmbedder, createTestApp, testEnv, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/**
 * Issue 20: how the service serves the console's files (the page itself is tested in Chromium,
 * test/browser/). A stand-in build: the serving rules do not depend on what the files hold.
 */
describe(`console: serving (${backend()})`, () => {
  let dir: string;
  let t: TestApp;
  const JS = 'export const answer = 42;\n'.repeat(40);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-console-'));
    mkdirSync(join(dir, 'assets'));
    const html = '<!doctype html><title>Engram</title><script type="module" src="/console/assets/main.js"></script>';
    writeFileSync(join(dir, 'index.html'), html);
    writeFileSync(join(dir, 'index.html.br'), brotliCompressSync(html));
    writeFileSync(join(dir, 'assets', 'main.js'), JS);
    writeFileSync(join(dir, 'assets', 'main.js.br'), brotliCompressSync(JS));
    writeFileSync(join(dir, 'assets', 'graph-ABCD2345.js'), JS);
    writeFileSync(join(dir, '.secret'), 'not to be served');
    t = await createTestApp({ consoleDir: dir, env: { CONSOLE_ENABLED: 'true' } });
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page under a policy that loads and talks to nothing but its own origin', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console/', headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-encoding']).toBe('br'); // what a browser is sent
    const plain = await t.app.inject({ method: 'GET', url: '/console/' });
    expect(plain.body).toContain('<title>Engram</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/^default-src 'none'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('redirects /console to /console/', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console' });
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/console/');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('sends the precompressed file to a browser that takes brotli, the plain one otherwise', async () => {
    const br = await t.app.inject({ method: 'GET', url: '/console/assets/main.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.rawPayload.length).toBeLessThan(JS.length / 4);
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe('no-cache'); // a fixed name: revalidated on each load
    const plain = await t.app.inject({ method: 'GET', url: '/console/assets/main.js', headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(JS);
    expect(plain.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('lets browsers keep content-hashed chunks', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console/assets/graph-ABCD2345.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers a missing file 404 NOT_FOUND (a GET route that found nothing, not a method the path refuses)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console/assets/missing.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
    expect(res.headers.allow).toBeUndefined();
  });

  it('serves nothing outside the build and no dotfile', async () => {
    for (const url of ['/console/.secret', '/console/../package.json', '/console/%2e%2e/package.json', '/console/assets/missing.js']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toContain('not to be served');
      expect(res.body, url).not.toContain('"dependencies"');
    }
  });

  it('leaves the API without the console policy (it is JSON, not a page)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});

describe(`console: switched off or not built (${backend()})`, () => {
  afterAll(async () => closeTestEmbedder());

  it('answers 503 with what to do when the build is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'engram-console-none-'));
    const t = await createTestApp({ consoleDir: empty, env: { CONSOLE_ENABLED: 'true' } });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/console/' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'NOT_READY', detail: expect.stringContaining('npm run build') });
      expect(t.logs.join('')).toContain('holds no build');
    } finally {
      await t.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('serves no console with CONSOLE_ENABLED=false', async () => {
    const t = await createTestApp({ env: { CONSOLE_ENABLED: 'false' } });
    try {
      for (const url of ['/console', '/console/', '/console/assets/main.js']) {
        expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
      }
    } finally {
      await t.close();
    }
  });
});

describe('console: CONSOLE_ENABLED default', () => {
  it('is on in embedded mode and off on PostgreSQL unless set', () => {
    expect(loadConfig(testEnv({ ENGRAM_DATA_DIR: 'memory://' })).consoleEnabled).toBe(true);
    expect(loadConfig(testEnv({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' })).consoleEnabled).toBe(false);
    expect(loadConfig(testEnv({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', CONSOLE_ENABLED: 'true' })).consoleEnabled).toBe(true);
    expect(loadConfig(testEnv({ ENGRAM_DATA_DIR: 'memory://', CONSOLE_ENABLED: 'off' })).consoleEnabled).toBe(false);
  });
});
