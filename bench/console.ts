// The web console's weight and first load, in one run: npx tsx bench/console.ts [--memories N] [--loads R]
// Defaults: 10,000 memories for one user on embedded PGlite, 5 cold loads. Builds the console
// (scripts/build-console.mjs), serves it from the real app on a real port, seeds the memories
// through POST /index/batch, then opens the sign-in link in Debian's Chromium (playwright-core) in a
// fresh browser context each time (nothing cached) and times until the first page of the list is on
// screen, beside the same page of the list fetched from the API alone. Also: the JavaScript the
// memories view loads and all of it (the graph library is a chunk only the entity view loads), raw,
// gzip and brotli, as the server sends it. Prints figures only; no assertions.
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { CONSOLE_BUILD_DIR } from '../src/http/plugins/console.js';
import { buildConsole, formatSizes } from '../scripts/build-console.mjs';
import { intOption, loadLocomo, msSince, percentile, sessionsOf, startBenchApp, turnText } from './common.js';

const { values } = parseArgs({ options: { memories: { type: 'string' }, loads: { type: 'string' } } });
const memories = intOption('memories', values.memories, 10_000, 100_000);
const loads = intOption('loads', values.loads, 5, 50);
const USER = 'console-bench';

const built = await buildConsole({ outDir: CONSOLE_BUILD_DIR });
const bench = await startBenchApp('pglite', { CONSOLE_ENABLED: 'true' });
let browser: Browser | undefined;
try {
  const url = await bench.app.listen({ host: '127.0.0.1', port: 0 });
  const token = await bench.token(USER);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // Seed: LoCoMo turns, numbered so that none is a duplicate of another.
  const turns = loadLocomo().flatMap((s) => sessionsOf(s).flatMap((session) => session.turns.map(turnText)));
  const seedStart = process.hrtime.bigint();
  for (let from = 0; from < memories; from += 100) {
    const items = Array.from({ length: Math.min(100, memories - from) }, (_, i) => ({
      text: `${turns[(from + i) % turns.length]} (#${from + i})`,
      source: 'bench',
      metadata: { n: from + i },
      dedup: false,
    }));
    const res = await fetch(`${url}/api/v1/memory/index/batch`, { method: 'POST', headers: auth, body: JSON.stringify({ items }) });
    if (res.status !== 201 && res.status !== 200) throw new Error(`seed: ${res.status} ${await res.text()}`);
  }
  console.log(`Console first load: ${memories} memories for one user on PGlite (seeded in ${(msSince(seedStart) / 1000).toFixed(0)} s), ${loads} cold loads`);

  // The bundle as built (each file as the server sends it: plain, gzip or brotli).
  console.log(formatSizes(built).replace(/^/gm, '  '));

  // The API alone: the page of the list the console asks for first.
  const listUrl = `${url}/api/v1/memory/?limit=50&max_text_chars=200`;
  const apiMs: number[] = [];
  for (let i = 0; i < loads; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(listUrl, { headers: auth });
    if (((await res.json()) as { memories: unknown[] }).memories.length !== 50) throw new Error('the API page is not 50 memories');
    apiMs.push(msSince(t0));
  }

  // The console: a cold load of the sign-in link until the list's first page is on screen.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  const link = `${url}/console/#token=${token}`;
  const loadMs: number[] = [];
  const nextMs: number[] = [];
  let jsBytes = 0;
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    let js = 0;
    page.on('requestfinished', (request) => {
      if (request.resourceType() === 'script') void request.sizes().then((s) => (js += s.responseBodySize));
    });
    const t0 = process.hrtime.bigint();
    await page.goto(link);
    await page.locator('tbody tr').nth(49).waitFor();
    loadMs.push(msSince(t0));
    const firstRow = await page.locator('tbody tr').first().textContent();
    const t1 = process.hrtime.bigint();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(`document.querySelector('tbody tr')?.textContent !== ${JSON.stringify(firstRow)}`);
    await page.locator('tbody tr').nth(49).waitFor();
    nextMs.push(msSince(t1));
    jsBytes = js;
    await context.close();
  }
  const stat = (xs: number[]) => `median ${percentile(xs, 50).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`  JavaScript the memories view loaded (bytes on the wire): ${kb(jsBytes)}`);
  console.log(`  API alone, GET the first 50 memories:         ${stat(apiMs)}`);
  console.log(`  console, cold load until 50 rows are shown:   ${stat(loadMs)}  (${(percentile(loadMs, 50) / percentile(apiMs, 50)).toFixed(1)}× the API call)`);
  console.log(`  console, Next page until 50 new rows:         ${stat(nextMs)}`);
} finally {
  await browser?.close();
  await bench.close();
}
