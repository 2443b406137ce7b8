import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * The web console's browser tests (test/browser/): Debian's Chromium driven by playwright-core, a
 * recorder of what the page did (requests, console errors, CSP violations), axe-core, screenshots.
 */

/**
 * Just enough of the browser's globals for the functions that run in the page (page.evaluate, init
 * scripts): the project compiles without the DOM lib. A test file declares `window` with this type.
 */
export interface BrowserWindow {
  location: { hash: string; href: string };
  document: {
    activeElement: DomElement | null;
    documentElement: { scrollWidth: number };
    body: unknown;
    cookie: string;
    querySelectorAll(selector: string): ArrayLike<DomElement>;
    addEventListener(type: 'securitypolicyviolation', listener: (e: CspViolationEvent) => void, capture: boolean): void;
  };
  localStorage: { length: number };
  sessionStorage: { length: number };
  indexedDB: { databases(): Promise<{ name?: string }[]> };
  requestAnimationFrame(callback: () => void): void;
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  axe?: { run(context: unknown, options: object): Promise<{ violations: AxeResult[] }> };
  __engramCspViolation?(violation: object): void;
  __sameDocument?: boolean;
}
export interface DomElement {
  tagName: string;
  textContent: string | null;
  closest(selector: string): DomElement | null;
  blur(): void;
}
interface CspViolationEvent {
  effectiveDirective: string;
  blockedURI: string;
  sourceFile: string;
  lineNumber: number;
  sample: string;
}
interface AxeResult {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}
declare const window: BrowserWindow;

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const SCREENSHOT_DIR = 'test-output/console';
export const WIDE = { width: 1280, height: 800 };
export const NARROW = { width: 360, height: 740 };

/** Launches headless Chromium; a missing browser is a failure (never a skip), with how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_BIN)) {
    throw new Error(
      `Chromium is missing (${CHROMIUM_BIN}): the console's browser tests need it. Install Debian's chromium package ` +
        '(sudo bash scripts/install-chromium.sh, also run by scripts/prepare-tests.sh), or set CHROMIUM_BIN to a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_BIN, args: ['--headless', '--no-sandbox'] });
}

/** A free TCP port on loopback (the server is started on it right after). */
export { freePort } from './private-postgres.js';

export interface Problem {
  kind: 'console error' | 'page error' | 'csp violation';
  text: string;
  /** The test that was running (Recorder.test). */
  test: string;
}

/**
 * Everything the pages of one or more browser contexts asked for or complained about, over the whole
 * run: every request (any origin, any scheme), console errors, uncaught page errors, and the page's
 * own `securitypolicyviolation` events (reported through a binding installed before any page script).
 */
export class Recorder {
  readonly requests: { url: string; method: string; type: string; test: string }[] = [];
  readonly problems: Problem[] = [];
  /** Set by the test file to the running test's name, so a problem says where it happened. */
  test = '';

  async attach(context: BrowserContext): Promise<void> {
    context.on('request', (req) => this.requests.push({ url: req.url(), method: req.method(), type: req.resourceType(), test: this.test }));
    context.on('console', (msg) => {
      if (msg.type() === 'error') this.problems.push({ kind: 'console error', text: `${msg.text()} (${msg.location().url.split('#')[0]})`, test: this.test });
    });
    context.on('weberror', (err) => this.problems.push({ kind: 'page error', text: String(err.error()), test: this.test }));
    await context.exposeBinding('__engramCspViolation', (_source, v: Record<string, unknown>) => {
      this.problems.push({ kind: 'csp violation', text: JSON.stringify(v), test: this.test });
    });
    await context.addInitScript(() => {
      window.document.addEventListener(
        'securitypolicyviolation',
        (e) =>
          window.__engramCspViolation?.({
            directive: e.effectiveDirective,
            blocked: e.blockedURI,
            source: `${e.sourceFile}:${e.lineNumber}`,
            sample: e.sample,
          }),
        true,
      );
    });
  }

  /**
   * Requests whose origin is not `origin` (blob: URLs count by their creator's origin; data: URLs load
   * nothing), of one test or of the whole run.
   */
  foreignRequests(origin: string, test?: string): string[] {
    return this.requests
      .filter((r) => test === undefined || r.test === test)
      .filter((r) => !r.url.startsWith('data:'))
      .filter((r) => new URL(r.url).origin !== origin)
      .map((r) => `${r.method} ${r.url} (${r.type}, in "${r.test}")`);
  }

  /**
   * Problems, of one test or of the whole run, that no pattern `allowed(test)` gives for the test
   * they happened in matches.
   */
  unexpected(allowed: (test: string) => RegExp[], test?: string): string[] {
    return this.problems
      .filter((p) => test === undefined || p.test === test)
      .filter((p) => !allowed(p.test).some((re) => re.test(p.text)))
      .map((p) => `${p.kind} in "${p.test}": ${p.text}`);
  }
}

/**
 * The console line Chromium itself writes for an HTTP error status of a fetch: not the app's doing,
 * expected where a test provokes that status (a 404 for another user's memory, a 401 for a bad token).
 */
export const httpStatusLogged = (status: number) => new RegExp(`^Failed to load resource: the server responded with a status of ${status}\\b`);

const AXE_SOURCE = readFileSync(join('node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe is injected with
 * page.evaluate (the console's CSP rightly blocks a script tag added from outside) once per document.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => window.axe !== undefined))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe!.run(window.document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

export const formatViolations = (view: string, width: number, vs: AxeViolation[]) =>
  vs.map((v) => `${view} @${width}px: ${v.impact} ${v.id} (${v.help}) at ${v.targets.slice(0, 5).join(', ')}`);

/** Empties test-output/console: what is there after a run is that run's. */
export function clearScreenshots(): void {
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
}

/** A PNG of the viewport in test-output/console/<name>.png; the path is printed in the test log. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  writeFileSync(path, await page.screenshot({ fullPage: true }));
  console.warn(`screenshot: ${relative(process.cwd(), path)}`);
  return path;
}

export interface ViewReport {
  /** axe's serious/critical violations, as readable lines (empty: none). */
  violations: string[];
  /** The document's scroll width at 360 px (no horizontal scroll: at most 360). */
  narrowScrollWidth: number;
}

/**
 * Checks the view on screen at 1280 px and at 360 px wide: axe at both widths, the document's width at
 * 360 px, a screenshot at each (`<name>-1280.png`, `<name>-360.png`). Leaves the page at 1280 px.
 */
export async function checkView(page: Page, name: string): Promise<ViewReport> {
  const violations: string[] = [];
  let narrowScrollWidth = 0;
  for (const size of [WIDE, NARROW]) {
    await page.setViewportSize(size);
    // Let layout and any resize handler (the graph redraws) settle before measuring.
    await page.evaluate(() => new Promise<void>((r) => window.requestAnimationFrame(() => window.requestAnimationFrame(r))));
    violations.push(...formatViolations(name, size.width, await axeViolations(page)));
    if (size === NARROW) narrowScrollWidth = await page.evaluate(() => window.document.documentElement.scrollWidth);
    await screenshot(page, `${name}-${size.width}`);
  }
  await page.setViewportSize(WIDE);
  return { violations, narrowScrollWidth };
}
