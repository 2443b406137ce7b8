import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { Recorder, type BrowserWindow, checkView, freePort, launchChromium } from './browser.js';
import { CLI, runCli, startServe, type ServeProcess } from './cli.js';

/**
 * The fixture of the web console's browser tests (test/browser/console-*.test.ts): real Chromium
 * against a real `engram serve` on embedded PGlite, signed in with the link `engram console` prints.
 * One server (its own port and data directory) and one browser per file, one user per test. Every
 * request, console error and CSP violation of every page is recorded; the file's last tests
 * (wholeRunChecks) check them, and the server's logs, over the file's run. The console is built, and
 * test-output/console emptied, once before any file (test/browser/setup.ts).
 */

declare const window: BrowserWindow;

/** A memory as the export route writes it (one NDJSON line). */
export interface Exported {
  text: string;
  source: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}
export interface QueryHit {
  memory_id: string;
  text: string;
  scores: Record<string, number | null>;
  context_from?: { memory_id: string; chunk_id: string } | null;
}

export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

export const parseNdjson = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Exported);

// --- the page, by role, label and text ------------------------------------------------------------

export const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });
export const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
export const alert = (page: Page, text: string | RegExp) => page.getByRole('alert').filter({ hasText: text });
export const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
export const hash = (page: Page) => page.evaluate(() => window.location.hash);
export const focused = (page: Page) =>
  page.evaluate(() => `${window.document.activeElement?.tagName} ${window.document.activeElement?.textContent?.trim()}`);

/** Moves the keyboard's starting point to the top of the page, as a fresh Tab from the address bar. */
export async function fromTop(page: Page) {
  await page.evaluate(() => window.document.activeElement?.blur());
  await page.mouse.click(1, 1);
}

export async function go(page: Page, view: 'Memories' | 'Search' | 'Entities' | 'Summaries' | 'Data', heading: string = view) {
  await nav(page, view).click();
  await h1(page, heading).waitFor();
}

export async function expectViewOk(page: Page, name: string) {
  const report = await checkView(page, name);
  // Soft: the test goes on (and reports what else is wrong) after a layout or axe finding.
  expect.soft(report.violations, `axe: serious or critical violations on ${name}`).toEqual([]);
  expect.soft(report.narrowScrollWidth, `${name} scrolls sideways at 360 px (after a resize from 1280 px)`).toBeLessThanOrEqual(360);
}

export async function noTokenKept(page: Page) {
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

// --- the fixture ------------------------------------------------------------------------------------

/** What a file's whole run must at least have done for the last checks' silence to mean something. */
export interface WholeRunMinimums {
  /** Requests of the file's pages (more than this many). */
  requests: number;
  /** Tokens the file used (at least this many). */
  tokens: number;
  /** Memory texts the file stored (more than this many). */
  texts: number;
}

/**
 * Called at the top of a `describe`: registers the hooks (start the server and Chromium; record each
 * test's pages; close) and returns the helpers. End the `describe` with `wholeRunChecks(...)`.
 */
export function consoleSuite() {
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-console-'));
  const recorder = new Recorder();
  /** Every token the file used and every memory text it stored: none may reach the server's logs. */
  const tokens = new Set<string>();
  const texts = new Set<string>();
  /** Console errors a test provokes on purpose (Chromium logs a fetch's 401 and 404 statuses). */
  const allowedProblems = new Map<string, RegExp[]>();
  const allowed = (test: string) => allowedProblems.get(test) ?? [];
  const contexts: BrowserContext[] = [];
  let env: NodeJS.ProcessEnv;
  let server: ServeProcess | undefined;
  let browser: Browser | undefined;
  let origin = '';
  let port: number;
  let current = '';

  beforeAll(async () => {
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

  /** Opens a console URL by changing only the fragment (as typing it in the address bar does): no reload. */
  async function openHash(page: Page, fragment: string) {
    await page.evaluate(() => (window.__sameDocument = true));
    await page.goto(`${origin}/console/${fragment}`);
    expect(await page.evaluate(() => window.__sameDocument), 'the page reloaded').toBe(true);
  }

  /** The file's last two tests: over its whole run, its pages and its server's logs. */
  function wholeRunChecks(min: WholeRunMinimums) {
    it('no page asked anything of another origin, broke its CSP or logged an unexpected error', () => {
      expect(recorder.requests.length).toBeGreaterThan(min.requests);
      expect(recorder.foreignRequests(origin)).toEqual([]);
      expect(recorder.problems.filter((p) => p.kind === 'csp violation')).toEqual([]);
      expect(recorder.unexpected(allowed)).toEqual([]);
    });

    it("no token and no memory text appears in the server's logs", () => {
      const logs = server!.output();
      // The logs are there (debug level: every request), so their silence means something.
      expect(logs).toMatch(/\/api\/v1\/memory\//);
      expect(logs).toMatch(/\/console\//);
      expect(tokens.size).toBeGreaterThanOrEqual(min.tokens);
      expect(texts.size).toBeGreaterThan(min.texts);
      const leakedTokens = [...tokens].filter((t) => logs.includes(t) || logs.includes(t.split('.')[2]!));
      expect(leakedTokens, 'tokens in the server logs').toEqual([]);
      expect([...texts].filter((t) => logs.includes(t)), 'memory texts in the server logs').toEqual([]);
      expect(logs).not.toMatch(/token=/);
    });
  }

  return {
    dataDir,
    recorder,
    tokens,
    texts,
    allowedProblems,
    /** The server's origin (set once it listens, before the first test). */
    get origin() {
      return origin;
    },
    /** The running test's name. */
    get current() {
      return current;
    },
    newPage,
    consoleLink,
    cliToken,
    api,
    remember,
    exported,
    signIn,
    openHash,
    wholeRunChecks,
  };
}
