import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Recorder,
  type BrowserWindow,
  checkView,
  clearScreenshots,
  freePort,
  httpStatusLogged,
  launchChromium,
  screenshot,
} from '../helpers/browser.js';
import { CLI, runCli, startServe, type ServeProcess } from '../helpers/cli.js';

/**
 * The web console (issue 20) as a person meets it: real Chromium against a real `engram serve` on
 * embedded PGlite, signed in with the link `engram console` prints. Elements are found by role, label
 * and text (the accessible names the console promises), never by CSS class. One server and one
 * browser for the file, one user per test. Every request, console error and CSP violation of every
 * page is recorded; the last tests check them, and the server's logs, over the whole run.
 */

declare const window: BrowserWindow;

/** A memory as the export route writes it (one NDJSON line). */
interface Exported {
  text: string;
  source: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}
interface QueryHit {
  memory_id: string;
  text: string;
  scores: Record<string, number | null>;
  context_from?: { memory_id: string; chunk_id: string } | null;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('web console in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-console-'));
  const recorder = new Recorder();
  /** Every token the test used and every memory text it stored: none may reach the server's logs. */
  const tokens = new Set<string>();
  const texts = new Set<string>();
  /** Console errors a test provokes on purpose (Chromium logs a fetch's 401 and 404 statuses). */
  const allowedProblems = new Map<string, RegExp[]>();
  const allowed = (test: string) => allowedProblems.get(test) ?? [];
  const contexts: BrowserContext[] = [];
  let env: NodeJS.ProcessEnv;
  let server: ServeProcess | undefined;
  let browser: Browser | undefined;
  let origin: string;
  let port: number;
  let current = '';

  beforeAll(async () => {
    // The console's assets are built into dist/console (npm run build does it too); a few seconds.
    await runCli('node', ['scripts/build-console.mjs']);
    clearScreenshots();
    port = await freePort();
    // Embedded mode whatever the caller's environment says (a DATABASE_URL would turn the console off).
    const inherited = { ...process.env };
    for (const name of ['DATABASE_URL', 'DATABASE_OWNER_URL', 'ENGRAM_URL', 'ENGRAM_TOKEN', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'REDIS_URL']) {
      delete inherited[name];
    }
    env = {
      ...inherited,
      CONSOLE_ENABLED: 'true',
      ENGRAM_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      EMBEDDING_THREADS: '1',
      // The most the server would ever write: a token or a memory text in its logs would show here.
      LOG_LEVEL: 'debug',
    };
    // Both at once; neither is left behind when the other fails (a missing Chromium fails the file).
    const [served, launched] = await Promise.allSettled([startServe(env, 120_000), launchChromium()]);
    if (served.status === 'fulfilled') server = served.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    for (const r of [served, launched]) if (r.status === 'rejected') throw r.reason;
    origin = new URL(server!.url).origin;
    expect(origin).toBe(`http://127.0.0.1:${port}`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach((ctx) => {
    current = ctx.task.name;
    recorder.test = current;
    expect(server?.child.exitCode, `engram serve has exited:\n${server?.output().slice(-4000)}`).toBeNull();
  });

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    // The page of each test asked nothing of another origin and logged nothing unexpected.
    expect(recorder.foreignRequests(origin, current)).toEqual([]);
    expect(recorder.unexpected(allowed, current)).toEqual([]);
  });

  // --- helpers ------------------------------------------------------------------------------------

  async function newPage(): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    contexts.push(context);
    await recorder.attach(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  /** `engram console --user <user>`: the sign-in link it prints, and the token in its fragment. */
  async function consoleLink(user: string): Promise<{ link: string; token: string }> {
    const { stdout } = await runCli('node', [...CLI, 'console', '--user', user, '--port', String(port)], { env });
    const link = stdout.trim();
    const match = new RegExp(`^${origin}/console/#token=([A-Za-z0-9_.-]+)$`).exec(link);
    expect(match, `engram console printed ${JSON.stringify(stdout)}`).not.toBeNull();
    tokens.add(match![1]!);
    return { link, token: match![1]! };
  }

  /** `engram token --user <user> [--scope …]`. */
  async function cliToken(user: string, scopes?: string[]): Promise<string> {
    const { stdout } = await runCli('node', [...CLI, 'token', '--user', user, ...(scopes ? ['--scope', ...scopes] : [])], { env });
    const token = stdout.trim();
    tokens.add(token);
    return token;
  }

  async function api<T = Record<string, unknown>>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${origin}/api/v1/memory${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Stores a memory through the API; returns its id. */
  async function remember(token: string, text: string, extra: Record<string, unknown> = {}): Promise<string> {
    texts.add(text);
    const res = await api<{ memory_id: string }>(token, 'POST', '/index', { text, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.memory_id;
  }

  /** Every memory of the token's user, through the export route (its lines are the memories). */
  async function exported(token: string): Promise<Exported[]> {
    const res = await fetch(`${origin}/api/v1/memory/export`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return parseNdjson(await res.text());
  }

  /** Opens the sign-in link of `engram console --user <user>` and waits until signed in. */
  async function signIn(page: Page, user: string): Promise<string> {
    const { link, token } = await consoleLink(user);
    await page.goto(link);
    await page.getByText(`Signed in as ${user}`).waitFor();
    return token;
  }

  const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });
  const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
  const alert = (page: Page, text: string | RegExp) => page.getByRole('alert').filter({ hasText: text });
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
  const hash = (page: Page) => page.evaluate(() => window.location.hash);
  const focused = (page: Page) =>
    page.evaluate(() => `${window.document.activeElement?.tagName} ${window.document.activeElement?.textContent?.trim()}`);
  /** Moves the keyboard's starting point to the top of the page, as a fresh Tab from the address bar. */
  async function fromTop(page: Page) {
    await page.evaluate(() => window.document.activeElement?.blur());
    await page.mouse.click(1, 1);
  }

  async function go(page: Page, view: 'Memories' | 'Search' | 'Entities' | 'Summaries' | 'Data', heading: string = view) {
    await nav(page, view).click();
    await h1(page, heading).waitFor();
  }

  /** Opens a console URL by changing only the fragment (as typing it in the address bar does): no reload. */
  async function openHash(page: Page, fragment: string) {
    await page.evaluate(() => (window.__sameDocument = true));
    await page.goto(`${origin}/console/${fragment}`);
    expect(await page.evaluate(() => window.__sameDocument), 'the page reloaded').toBe(true);
  }

  async function expectViewOk(page: Page, name: string) {
    const report = await checkView(page, name);
    // Soft: the test goes on (and reports what else is wrong) after a layout or axe finding.
    expect.soft(report.violations, `axe: serious or critical violations on ${name}`).toEqual([]);
    expect.soft(report.narrowScrollWidth, `${name} scrolls sideways at 360 px (after a resize from 1280 px)`).toBeLessThanOrEqual(360);
  }

  async function noTokenKept(page: Page) {
    const kept = await page.evaluate(async () => ({
      href: window.location.href,
      local: window.localStorage.length,
      session: window.sessionStorage.length,
      cookie: window.document.cookie,
      idb: (await window.indexedDB.databases()).map((d) => d.name),
    }));
    expect(kept.href).not.toMatch(/token/);
    expect(kept).toMatchObject({ local: 0, session: 0, cookie: '', idb: [] });
  }

  // --- the tests ----------------------------------------------------------------------------------

  it('serves /console with a strict Content-Security-Policy, its security headers and no inline code', async () => {
    const redirect = await fetch(`${origin}/console`, { redirect: 'manual' });
    expect(redirect.status).toBeGreaterThanOrEqual(301);
    expect(redirect.status).toBeLessThanOrEqual(308);
    expect(new URL(redirect.headers.get('location')!, origin).pathname).toBe('/console/');

    const res = await fetch(`${origin}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')] as const),
    );
    expect(Object.fromEntries(directives)).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toMatch(/no-store/);

    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/console\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\bstyle=|\bon[a-z]+=/i);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);

    // The assets carry the policy too; a JS bundle is JavaScript, never sniffed.
    const js = await fetch(`${origin}/console/assets/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('content-security-policy')).toBe(csp);
  });

  it('signs in with the link of `engram console`, forgets the token everywhere but in memory, and is usable by keyboard', async () => {
    const page = await newPage();
    const first = await page.goto(`${origin}/console/`);
    expect(first!.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Token', { exact: true }).waitFor();
    // Keyboard: the first Tab lands on the skip link.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('A Skip to content');
    await expectViewOk(page, 'sign-in');

    const { link, token } = await consoleLink('alice');
    await page.goto(link);
    await page.getByText('Signed in as alice').waitFor();
    await h1(page, 'Memories').waitFor();
    // The token left the address bar at once, and went nowhere but into the page's memory.
    expect(page.url()).toBe(`${origin}/console/#/memories`);
    await noTokenKept(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // The link's token is a 15-minute read/write token for alice.
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.sub).toBe('alice');
    expect(payload.exp - payload.iat).toBe(900);
    // No relay scope: no user picker.
    expect(await page.getByLabel('User id', { exact: true }).count()).toBe(0);

    // Keyboard: Tab from the top reaches the skip link first; Enter on it moves focus into the content.
    await fromTop(page);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('A Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => !!window.document.activeElement?.closest('main'))).toBe(true);
    // The nav links are reachable by Tab and work with Enter; focus lands on the new view's heading.
    await fromTop(page);
    for (const view of ['Search', 'Data']) {
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await focused(page)) === `A ${view}` && (await page.evaluate(() => !!window.document.activeElement?.closest('nav')));
      }
      expect(reached, `Tab never reached the ${view} link`).toBe(true);
      await page.keyboard.press('Enter');
      const heading = view === 'Data' ? 'Your data' : view;
      await h1(page, heading).waitFor();
      await expect.poll(() => focused(page)).toBe(`H1 ${heading}`);
    }

    // A reload forgets the token: the sign-in view again.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Signed in as alice').count()).toBe(0);
    // Sign out forgets it too.
    await page.goto(link);
    await page.getByText('Signed in as alice').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Signed in as alice').count()).toBe(0);
    await noTokenKept(page);
  });

  it('adds memories, opens one, edits its text, metadata and expiry, deletes it, and deletes a selection', async () => {
    const page = await newPage();
    const token = await signIn(page, 'alice');
    await h1(page, 'Memories').waitFor();
    await page.getByText('No memories yet').waitFor();

    const added = [
      { text: 'Alice keeps her passport in the blue drawer of the desk.', source: 'chat', metadata: '{"topic":"travel"}' },
      { text: 'Alice is allergic to hazelnuts and carries an epinephrine pen.', source: 'doctor', metadata: '{"topic":"health"}' },
      { text: 'Alice prefers aisle seats on long flights.', source: 'chat', metadata: '{}' },
    ];
    const expiresLocal = '2031-05-06T07:08';
    for (const [i, m] of added.entries()) {
      texts.add(m.text);
      await page.getByLabel('Text', { exact: true }).fill(m.text);
      await page.getByLabel('Source', { exact: true }).fill(m.source);
      await page.getByLabel('Metadata (JSON)', { exact: true }).fill(m.metadata);
      await page.getByLabel('Expires at', { exact: true }).fill(i === 0 ? expiresLocal : '');
      await page.getByRole('button', { name: 'Add memory' }).click();
      await page.getByRole('link', { name: m.text, exact: true }).waitFor();
      await status(page, 'Added').waitFor();
    }

    // The list: newest first, with source, metadata and dates; one page, Page 1, no way back.
    const table = page.getByRole('table', { name: 'Memories, newest first' });
    const rows = table.getByRole('row');
    await expect.poll(() => rows.count()).toBe(added.length + 1);
    for (const [i, m] of [...added].reverse().entries()) {
      const row = await rows.nth(i + 1).innerText();
      expect(row).toContain(m.text);
      expect(row).toContain(m.source);
      if (m.metadata !== '{}') expect(row).toContain(m.metadata); // empty metadata may show as nothing
    }
    expect(await table.locator(`time[datetime^="${await page.evaluate((v) => new Date(v).toISOString().slice(0, 16), expiresLocal)}"]`).count()).toBe(1);
    await page.getByText('Page 1').waitFor();
    expect(await page.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    // A page at a time, never all of them.
    const lists = recorder.requests.filter((r) => r.test === current && /\/api\/v1\/memory\/?\?/.test(r.url));
    expect(lists.length).toBeGreaterThan(0);
    for (const r of lists) expect(new URL(r.url).searchParams.get('limit')).toMatch(/^(1|50)$/);
    expect(recorder.requests.filter((r) => r.test === current && r.url.includes('/export'))).toEqual([]);
    await expectViewOk(page, 'memories');

    // Bad metadata JSON is refused before any request.
    const requestsBefore = recorder.requests.length;
    await page.getByLabel('Text', { exact: true }).fill('never stored');
    await page.getByLabel('Metadata (JSON)', { exact: true }).fill('{not json');
    await page.getByRole('button', { name: 'Add memory' }).click();
    await alert(page, 'JSON').waitFor();
    expect(recorder.requests.slice(requestsBefore).filter((r) => r.method === 'POST')).toEqual([]);
    await page.getByLabel('Text', { exact: true }).fill('');
    await page.getByLabel('Metadata (JSON)', { exact: true }).fill('');

    // The detail of the first one, by its link.
    await page.getByRole('link', { name: added[0]!.text, exact: true }).click();
    await h1(page, 'Memory').waitFor();
    const id = UUID.exec(await hash(page))![0];
    expect(await hash(page)).toBe(`#/memories/${id}`);
    await page.getByText(id).first().waitFor();
    await expectViewOk(page, 'memory');

    // Edit text, metadata and expiry; then clear the expiry.
    const edited = 'Alice keeps her passport in the red drawer of the hall cabinet.';
    texts.add(edited);
    await page.getByLabel('Text', { exact: true }).fill(edited);
    await page.getByLabel('Metadata (JSON)', { exact: true }).fill('{"topic":"travel","checked":true}');
    const newExpiry = '2032-01-02T03:04';
    await page.getByLabel('Expires at', { exact: true }).fill(newExpiry);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await status(page, 'Saved').waitFor();
    let stored = await api(token, 'GET', `/${id}`);
    expect(stored.body).toMatchObject({
      text: edited,
      source: 'chat',
      metadata: { topic: 'travel', checked: true },
      expires_at: await page.evaluate((v) => new Date(v).toISOString(), newExpiry),
    });
    const patches = recorder.requests.filter((r) => r.test === current && r.method === 'PATCH');
    expect(patches.map((r) => new URL(r.url).pathname)).toEqual([`/api/v1/memory/${id}`]);

    await page.getByLabel('Expires at', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await api(token, 'GET', `/${id}`)).body.expires_at).toBeNull();
    stored = await api(token, 'GET', `/${id}`);
    expect(stored.body.text).toBe(edited);

    // Delete it: a confirmation, then back to the list.
    await page.getByRole('button', { name: 'Delete memory' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await screenshot(page, 'memory-delete-dialog-1280');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await h1(page, 'Memories').waitFor();
    expect(await hash(page)).toBe('#/memories');
    await status(page, 'Deleted').waitFor();
    expect((await api(token, 'GET', `/${id}`)).status).toBe(404);

    // A deleted memory's address shows "not found".
    allowedProblems.set(current, [httpStatusLogged(404)]);
    await openHash(page, `#/memories/${id}`);
    await h1(page, 'Memory not found').waitFor();
    await go(page, 'Memories');

    // Batch delete: nothing selected, nothing to delete; Cancel keeps them; Delete removes them.
    const deleteSelected = page.getByRole('button', { name: 'Delete selected' });
    await page.getByRole('link', { name: added[1]!.text, exact: true }).waitFor();
    expect(await deleteSelected.isDisabled()).toBe(true);
    for (const m of added.slice(1)) await page.getByRole('checkbox', { name: `Select ${m.text.slice(0, 60)}` }).check();
    await deleteSelected.click();
    await page.getByRole('dialog', { name: 'Delete 2 memories?' }).getByRole('button', { name: 'Cancel' }).click();
    expect(await exported(token)).toHaveLength(2);
    await deleteSelected.click();
    await page.getByRole('dialog', { name: 'Delete 2 memories?' }).getByRole('button', { name: 'Delete', exact: true }).click();
    await status(page, 'Deleted 2 memories').waitFor();
    expect(await exported(token)).toEqual([]);
    await page.getByText('No memories yet').waitFor();
  });

  it("another user's memory id in the address bar shows \"not found\", never the memory", async () => {
    allowedProblems.set(current, [httpStatusLogged(404)]);
    const bob = await cliToken('bob');
    const secret = 'Bob hides the spare key under the third flowerpot.';
    const bobsId = await remember(bob, secret);

    const page = await newPage();
    await signIn(page, 'carol');
    await openHash(page, `#/memories/${bobsId}`);
    await h1(page, 'Memory not found').waitFor();
    await page.getByText('NOT_FOUND: memory not found').waitFor();
    await page.getByText('Signed in as carol').waitFor();
    const html = await page.content();
    expect(html).not.toContain('flowerpot');
    expect(html).not.toContain('spare key');
    // The request named carol's token's user, and the API said 404.
    expect(recorder.requests.some((r) => r.test === current && r.url === `${origin}/api/v1/memory/${bobsId}`)).toBe(true);
    await expectViewOk(page, 'not-found');
  });

  it('refuses a tampered token: a flipped signature character, or a payload naming another user', async () => {
    allowedProblems.set(current, [httpStatusLogged(401)]);
    const { token } = await consoleLink('dave');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // A character in the middle of the signature: every bit of it counts (the last one may carry padding bits).
    const at = Math.floor(signature.length / 2);
    const flipped = `${header}.${payload}.${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherSub = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url')}.${signature}`;
    for (const t of [flipped, otherSub]) tokens.add(t);

    const page = await newPage();
    await page.goto(`${origin}/console/`);
    for (const bad of [flipped, otherSub]) {
      await page.getByLabel('Token', { exact: true }).fill(bad);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${origin}/api/v1/memory`)),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(answer.status()).toBe(401);
      await alert(page, 'UNAUTHENTICATED').waitFor();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.getByText(/Signed in as/).count()).toBe(0);
    }
    await screenshot(page, 'sign-in-refused-1280');
    // The same through a link.
    const linked = await newPage();
    await linked.goto(`${origin}/console/#token=${otherSub}`);
    await alert(linked, 'UNAUTHENTICATED').waitFor();
    await linked.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(linked.url()).not.toContain('token');
    expect(await linked.getByText(/Signed in as/).count()).toBe(0);
    expect(await linked.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
    await noTokenKept(linked);
  });

  it('a relay token (memory:relay) picks which user to view', async () => {
    const bob = await cliToken('bob');
    const bobsText = 'Bob waters the fern on the balcony every Sunday.';
    await remember(bob, bobsText);
    const ops = await cliToken('ops', ['memory:read', 'memory:write', 'memory:relay']);

    const page = await newPage();
    await page.goto(`${origin}/console/`);
    await page.getByLabel('Token', { exact: true }).fill(ops);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as ops').waitFor();
    await page.getByLabel('User id', { exact: true }).fill('bob');
    await page.getByRole('button', { name: 'View user' }).click();
    await page.getByRole('link', { name: bobsText, exact: true }).click();
    await h1(page, 'Memory').waitFor();
    await page.getByText(bobsText).first().waitFor();
    const asBob = recorder.requests.filter((r) => r.test === current && r.url.includes('/api/v1/memory') && new URL(r.url).searchParams.get('user_id') === 'bob');
    expect(asBob.length).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'relay-view-user-1280');
  });

  it('search shows every hit with its score parts, its neighbour, and whether the reranker ran', async () => {
    const token = (await consoleLink('erin')).token;
    const convo = [
      'Erin adopted a beagle puppy named Rex in March.',
      'He chews every shoe he can find in the hallway.',
      'Erin bought a red bicycle for the commute to work.',
      'The bicycle has a basket and a bell.',
      'Erin learns Portuguese on Tuesday evenings.',
    ];
    for (const t of convo) await remember(token, t, { source: 'chat' });
    const query = 'what does the dog named Rex chew';
    texts.add(query); // a query is the user's words too

    const page = await newPage();
    await signIn(page, 'erin');
    await go(page, 'Search');
    expect(await page.getByLabel('Results (k)', { exact: true }).inputValue()).toBe('10');
    expect(await page.getByLabel('Rerank', { exact: true }).isChecked()).toBe(true);
    for (const label of ['Minimum score', 'Minimum relevance', 'Source filter', 'Metadata filter (JSON)', 'Created after', 'Created before']) {
      await page.getByLabel(label, { exact: true }).waitFor();
    }
    await page.getByLabel('Query', { exact: true }).fill(query);
    // What the API answered the page is what the page must show.
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${origin}/api/v1/memory/query`),
      page.getByRole('button', { name: 'Search', exact: true }).click(),
    ]);
    expect(answer.status()).toBe(200);
    expect(answer.request().postDataJSON()).toMatchObject({ query, k: 10 });
    const viaApi = (await answer.json()) as { results: QueryHit[]; reranked: boolean };
    await page.getByText(`Reranker: ${viaApi.reranked ? 'ran' : 'skipped'}`).waitFor();
    const results = viaApi.results;
    expect(results.length).toBeGreaterThan(0);
    await page.getByRole('article', { name: `Result ${results.length}`, exact: true }).waitFor();
    expect(await page.getByRole('article', { name: `Result ${results.length + 1}`, exact: true }).count()).toBe(0);

    for (const [i, r] of results.entries()) {
      const article = page.getByRole('article', { name: `Result ${i + 1}`, exact: true });
      expect(await article.innerText()).toContain(r.text);
      const parts = article.getByRole('table', { name: 'Score parts' });
      for (const part of ['vector', 'keyword', 'fused', 'context', 'rerank']) {
        const row = parts.getByRole('row').filter({ has: page.getByRole('rowheader', { name: part, exact: true }) });
        const shown = (await row.innerText()).replace(part, '').trim();
        const value = r.scores[part];
        expect(value, `the API's ${part}`).not.toBeUndefined();
        if (value === null || value === undefined) expect(shown, `${part} of result ${i + 1}`).toBe('—');
        // Shown with two or more decimals.
        else expect(Math.abs(Number(shown) - value), `${part} of result ${i + 1}: ${shown} for ${value}`).toBeLessThanOrEqual(0.0051);
      }
      expect(await article.getByRole('link', { name: 'Open memory' }).getAttribute('href')).toBe(`#/memories/${r.memory_id}`);
      // The neighbour whose lead gave it context, linked.
      const neighbour = article.getByRole('link', { name: 'Neighbour' });
      if (r.context_from) expect(await neighbour.getAttribute('href')).toBe(`#/memories/${r.context_from.memory_id}`);
      else expect(await neighbour.count()).toBe(0);
    }
    // The neighbouring turn ("He chews…") got its context from the Rex memory: shown, and linked.
    expect(results.some((r) => r.context_from), 'no result of the API has context_from').toBe(true);
    await expectViewOk(page, 'search');

    // Without the reranker: skipped, and its part is empty.
    await page.getByLabel('Rerank', { exact: true }).uncheck();
    const [unranked] = await Promise.all([
      page.waitForRequest((r) => r.url() === `${origin}/api/v1/memory/query`),
      page.getByRole('button', { name: 'Search', exact: true }).click(),
    ]);
    expect(unranked.postDataJSON()).toMatchObject({ rerank: false });
    await page.getByText('Reranker: skipped').waitFor();
    const rerankRow = page
      .getByRole('article', { name: 'Result 1', exact: true })
      .getByRole('table', { name: 'Score parts' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'rerank', exact: true }) });
    await expect.poll(async () => (await rerankRow.innerText()).replace('rerank', '').trim()).toBe('—');

    // A floor nothing reaches: "No results".
    await page.getByLabel('Minimum score', { exact: true }).fill('0.99');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No results').waitFor();

    // Open memory goes to the memory.
    await page.getByLabel('Minimum score', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('article', { name: 'Result 1', exact: true }).getByRole('link', { name: 'Open memory' }).click();
    await h1(page, 'Memory').waitFor();
  });

  it('entity graph: extracts from recent memories, lists the entities, shows evidence and links to the memories', async () => {
    const token = (await consoleLink('frank')).token;
    const rex = 'My dog Rex is a beagle.';
    await remember(token, rex);
    await remember(token, 'Rex loves the beach in Porto.');
    await remember(token, 'I work at Acme with Maria.');

    const page = await newPage();
    await signIn(page, 'frank');
    await go(page, 'Entities');
    await page.getByText('No entities yet').waitFor();
    await page.getByRole('button', { name: 'Extract from recent memories' }).click();

    const list = page.getByRole('list', { name: 'Entities' });
    const rexButton = list.getByRole('button', { name: 'Rex (animal)', exact: true });
    await rexButton.waitFor();
    const graph = (await api<{ entities: { name: string }[]; relationships: unknown[] }>(token, 'GET', '/graph?limit=100')).body;
    expect(graph.entities.map((e) => e.name)).toContain('Rex');
    await page.getByRole('img', { name: `Entity graph: ${graph.entities.length} entities, ${graph.relationships.length} relationships` }).waitFor();
    expect(await list.getByRole('button').count()).toBe(graph.entities.length);

    // By keyboard: focus the entity's button and press Enter.
    await rexButton.focus();
    await page.keyboard.press('Enter');
    const evidence = page.getByRole('heading', { name: 'Evidence for Rex' });
    await evidence.waitFor();
    const lookup = (
      await api<{ memories: { memory_id: string; text: string }[]; relationships: { source: string; predicate: string; target: string; evidence: string }[] }>(
        token,
        'GET',
        '/entities?name=Rex',
      )
    ).body;
    // Each relationship with its evidence sentence.
    expect(lookup.relationships.length).toBeGreaterThan(0);
    const panel = page.locator('section, aside, div').filter({ has: evidence }).last();
    await page.getByRole('link', { name: rex, exact: true }).waitFor(); // loaded
    for (const r of lookup.relationships) {
      expect(await panel.innerText()).toContain(`${r.source} ${r.predicate} ${r.target}`);
      expect(await panel.innerText()).toContain(r.evidence);
    }
    const rexMemory = lookup.memories.find((m) => m.text === rex)!;
    expect(rexMemory).toBeDefined();
    await expectViewOk(page, 'entities');
    const link = page.getByRole('link', { name: rex, exact: true });
    expect(await link.getAttribute('href')).toBe(`#/memories/${rexMemory.memory_id}`);
    await link.click();
    await h1(page, 'Memory').waitFor();
    expect(await hash(page)).toBe(`#/memories/${rexMemory.memory_id}`);
  });

  it('summaries: the four styles, each sentence linked to its source memories', async () => {
    const token = (await consoleLink('gina')).token;
    const ids = new Set<string>();
    for (const t of [
      'Gina moved to Lisbon in 2021 for a job at a bank.',
      'In 2022 Gina started running and finished a half marathon.',
      'Gina adopted a cat called Miso in 2023.',
      'Gina is planning a trip to Japan next spring.',
    ]) {
      ids.add(await remember(token, t));
    }

    const page = await newPage();
    await signIn(page, 'gina');
    await go(page, 'Summaries');
    const style = page.getByLabel('Style', { exact: true });
    expect(await style.evaluate((s: { options: ArrayLike<{ value: string }> }) => Array.from(s.options, (o) => o.value))).toEqual(['bullets', 'paragraph', 'tldr', 'timeline']);
    for (const s of ['bullets', 'paragraph', 'tldr', 'timeline']) {
      await style.selectOption(s);
      const [asked] = await Promise.all([
        page.waitForRequest((r) => r.url() === `${origin}/api/v1/memory/summarize`),
        page.getByRole('button', { name: 'Summarize' }).click(),
      ]);
      expect(asked.postDataJSON()).toMatchObject({ style: s });
      const source = page.getByRole('link', { name: 'Source 1 of sentence 1', exact: true });
      await source.waitFor();
      const href = (await source.getAttribute('href'))!;
      expect(href, s).toMatch(new RegExp(`^#/memories/${UUID.source}$`));
      expect(ids.has(href.slice('#/memories/'.length)), `${s}: ${href} is not one of gina's memories`).toBe(true);
      if (s === 'timeline') await expectViewOk(page, 'summaries');
    }
    const summarize = recorder.requests.filter((r) => r.test === current && r.url.endsWith('/api/v1/memory/summarize'));
    expect(summarize).toHaveLength(4);
    // With a query.
    await page.getByLabel('Query', { exact: true }).fill('the cat');
    await page.getByRole('button', { name: 'Summarize' }).click();
    await page.getByRole('link', { name: 'Source 1 of sentence 1', exact: true }).click();
    await h1(page, 'Memory').waitFor();
  });

  it('exports NDJSON, imports it back with progress, and refuses a bad file naming the line', { timeout: 120_000 }, async () => {
    const token = (await consoleLink('hana')).token;
    const mine = [
      { text: 'Hana plays the cello in a community orchestra.', source: 'chat', metadata: { topic: 'music' } },
      { text: 'Hana is vegetarian since 2019.', source: 'profile', metadata: {} },
      { text: 'Hana works night shifts at the hospital on weekends.', source: 'chat', metadata: { topic: 'work' } },
    ];
    for (const m of mine) await remember(token, m.text, { source: m.source, metadata: m.metadata });

    const page = await newPage();
    await signIn(page, 'hana');
    await go(page, 'Data', 'Your data');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    expect(download.suggestedFilename()).toBe('engram-hana.ndjson');
    const file = join(dataDir, 'export.ndjson');
    await download.saveAs(file);
    await status(page, 'Exported 3 memories').waitFor();
    const lines = parseNdjson(readFileSync(file, 'utf8'));
    expect(lines.map((l) => l.text).sort()).toEqual(mine.map((m) => m.text).sort());
    for (const l of lines) expect(l).toMatchObject(mine.find((m) => m.text === l.text)!);
    await expectViewOk(page, 'data');

    // Import: the export again (3 already there) and 102 new lines, in two batches (100 + 5), with progress.
    // (Within the default ingest budget of 120 units a minute for one user.)
    const fresh = Array.from({ length: 102 }, (_, i) => ({
      text: `Imported note ${i + 1}: Hana's reading list item number ${i + 1}.`,
      source: 'import',
      metadata: { n: i + 1 },
      created_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
      updated_at: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
      expires_at: null,
    }));
    for (const f of fresh) texts.add(f.text);
    const importFile = join(dataDir, 'import.ndjson');
    writeFileSync(importFile, [...lines, ...fresh].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const seenTexts = page.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          const texts = new Set<string>();
          const look = () => {
            for (const el of Array.from(window.document.querySelectorAll('[role="status"], output'))) {
              const t = el.textContent ?? '';
              if (/Imported \d+ of \d+/.test(t)) texts.add(t.trim());
              if (/\(\d+ already there\)/.test(t)) resolve([...texts]);
            }
          };
          new window.MutationObserver(look).observe(window.document.body, { subtree: true, childList: true, characterData: true });
        }),
    );
    const seen = seenTexts.catch((err: Error) => [`(page gone: ${err.message})`]);
    await page.getByLabel('Import file (NDJSON)', { exact: true }).setInputFiles(importFile);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status(page, 'Imported 105 of 105 (3 already there)').waitFor({ timeout: 60_000 });
    expect(await seen).toContain('Imported 100 of 105');
    const progress = page.getByRole('progressbar', { name: 'Import progress' });
    expect(await progress.evaluate((p: { value: number; max: number }) => [p.value, p.max])).toEqual([105, 105]);
    const batches = recorder.requests.filter((r) => r.test === current && r.url.endsWith('/api/v1/memory/index/batch'));
    expect(batches).toHaveLength(2);
    const after = await exported(token);
    expect(after).toHaveLength(105);
    expect(after.find((m) => m.text === fresh[41]!.text)).toMatchObject({ source: 'import', metadata: { n: 42 }, created_at: fresh[41]!.created_at });
    await screenshot(page, 'data-imported-1280');

    // 105 memories: pages of 50, by cursor, one page at a time; the source filter.
    await go(page, 'Memories');
    const rows = page.getByRole('table', { name: 'Memories, newest first' }).getByRole('row');
    const next = page.getByRole('button', { name: 'Next page' });
    const previous = page.getByRole('button', { name: 'Previous page' });
    await page.getByText('Page 1').waitFor();
    await expect.poll(() => rows.count()).toBe(51);
    expect(await previous.isDisabled()).toBe(true);
    await next.click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(() => rows.count()).toBe(51);
    await next.click();
    await page.getByText('Page 3').waitFor();
    await expect.poll(() => rows.count()).toBe(6);
    expect(await next.isDisabled()).toBe(true);
    await previous.click();
    await page.getByText('Page 2').waitFor();
    const pages = recorder.requests.filter((r) => r.test === current && /\/api\/v1\/memory\/?\?/.test(r.url)).map((r) => new URL(r.url).searchParams);
    for (const q of pages) expect(q.get('limit')).toMatch(/^(1|50)$/);
    expect(pages.filter((q) => q.has('cursor')).length).toBeGreaterThanOrEqual(2);
    await page.getByLabel('Filter by source', { exact: true }).fill('profile');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Page 1').waitFor();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).innerText()).toContain(mine[1]!.text);
    await go(page, 'Data', 'Your data');

    // A bad line: an alert naming it, nothing sent.
    const bad = join(dataDir, 'bad.ndjson');
    writeFileSync(bad, `${JSON.stringify(fresh[0])}\n{"text": "half a line\n`);
    const before = recorder.requests.length;
    await page.getByLabel('Import file (NDJSON)', { exact: true }).setInputFiles(bad);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await alert(page, /line 2\b/).waitFor();
    expect(recorder.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('erases everything only after the user id is typed, and the list is empty afterwards', async () => {
    const token = (await consoleLink('ivan')).token;
    await remember(token, 'Ivan collects old maps of the Baltic coast.');
    await remember(token, 'Ivan is learning to sail on a small dinghy.');

    const page = await newPage();
    await signIn(page, 'ivan');
    await go(page, 'Data', 'Your data');
    await page.getByRole('heading', { name: 'Erase everything' }).waitFor();
    const confirm = page.getByLabel('Type the user id to confirm', { exact: true });
    const erase = page.getByRole('button', { name: 'Erase all memories' });
    expect(await erase.isDisabled()).toBe(true);
    await confirm.fill('iva');
    expect(await erase.isDisabled()).toBe(true);
    await confirm.fill('Ivan');
    expect(await erase.isDisabled()).toBe(true);
    await confirm.fill('ivan');
    expect(await erase.isEnabled()).toBe(true);
    await screenshot(page, 'erase-confirm-1280');
    await erase.click();
    await status(page, 'Erased 2 memories').waitFor();
    expect(await exported(token)).toEqual([]);
    await go(page, 'Memories');
    await page.getByText('No memories yet').waitFor();
    await expectViewOk(page, 'memories-empty');
  });

  // --- over the whole run -------------------------------------------------------------------------

  it('no page asked anything of another origin, broke its CSP or logged an unexpected error', () => {
    expect(recorder.requests.length).toBeGreaterThan(50);
    expect(recorder.foreignRequests(origin)).toEqual([]);
    expect(recorder.problems.filter((p) => p.kind === 'csp violation')).toEqual([]);
    expect(recorder.unexpected(allowed)).toEqual([]);
  });

  it("no token and no memory text appears in the server's logs", () => {
    const logs = server!.output();
    // The logs are there (debug level: every request), so their silence means something.
    expect(logs).toMatch(/\/api\/v1\/memory\//);
    expect(logs).toMatch(/\/console\//);
    expect(tokens.size).toBeGreaterThanOrEqual(10);
    expect(texts.size).toBeGreaterThan(100);
    const leakedTokens = [...tokens].filter((t) => logs.includes(t) || logs.includes(t.split('.')[2]!));
    expect(leakedTokens, 'tokens in the server logs').toEqual([]);
    expect([...texts].filter((t) => logs.includes(t)), 'memory texts in the server logs').toEqual([]);
    expect(logs).not.toMatch(/token=/);
  });
});

const parseNdjson = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Exported);
