import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BrowserWindow, httpStatusLogged, screenshot } from '../helpers/browser.js';
import {
  UUID,
  alert,
  consoleSuite,
  expectViewOk,
  go,
  h1,
  hash,
  parseNdjson,
  status,
} from '../helpers/console-suite.js';

/**
 * The web console (issue 20) as a person meets it, their memories: add, open, edit, delete one and a
 * selection; export, import (with progress, pages of 50) and a refused file; erase everything. Real
 * Chromium against a real `engram serve` on embedded PGlite (test/helpers/console-suite.ts); elements
 * are found by role, label and text, never by CSS class. The last tests check every page's requests and
 * problems, and the server's logs, over the file.
 */

declare const window: BrowserWindow;

describe('web console in Chromium: memories', () => {
  const suite = consoleSuite();
  const { dataDir, recorder, texts, allowedProblems, newPage, consoleLink, api, remember, exported, signIn, openHash, wholeRunChecks } = suite;

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
    const lists = recorder.requests.filter((r) => r.test === suite.current && /\/api\/v1\/memory\/?\?/.test(r.url));
    expect(lists.length).toBeGreaterThan(0);
    for (const r of lists) expect(new URL(r.url).searchParams.get('limit')).toMatch(/^(1|50)$/);
    expect(recorder.requests.filter((r) => r.test === suite.current && r.url.includes('/export'))).toEqual([]);
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
    const patches = recorder.requests.filter((r) => r.test === suite.current && r.method === 'PATCH');
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
    allowedProblems.set(suite.current, [httpStatusLogged(404)]);
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
    const batches = recorder.requests.filter((r) => r.test === suite.current && r.url.endsWith('/api/v1/memory/index/batch'));
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
    const pages = recorder.requests.filter((r) => r.test === suite.current && /\/api\/v1\/memory\/?\?/.test(r.url)).map((r) => new URL(r.url).searchParams);
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

  // Its pages make some 40 requests; it uses 5 tokens and stores over 100 memory texts (the import).
  wholeRunChecks({ requests: 30, tokens: 5, texts: 100 });
});
