import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { CLI } from '../helpers/cli.js';
import { backend } from '../helpers/database.js';

/** Issue 9: export → erase → `engram import` → export gives back the same memories; resume; failures. */
let t: TestApp;
let url: string;
let dir: string;
const USER = 'nora';

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await t.token(USER)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, text: await res.text() };
};
const exportLines = async () => (await api('GET', '/api/v1/memory/export')).text;
const erase = async () => expect((await api('DELETE', `/api/v1/memory?user_id=${USER}`)).status).toBe(200);

/** The export without ids, oldest first: what a round trip must keep. */
const comparable = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { memory_id: _id, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    })
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));

function importCli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [...CLI, 'import', ...args], { env: { ...process.env, ENGRAM_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const multiChunk = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} 🙂 of the diary,\r\nwritten in Zürich — naïve café notes.`).join(' ');
const SEED = [
  { text: 'A plain note.', source: 'chat', metadata: { topic: 'misc' }, created_at: '2021-01-01T10:00:00.000Z' },
  { text: multiChunk, source: 'diary', created_at: '2021-02-01T10:00:00.123Z', updated_at: '2022-03-04T05:06:07.891Z' },
  {
    text: 'Zoë met 山田 at the café 👩‍👩‍👧‍👦.\r\nSecond line\twith tab, trailing spaces   ',
    metadata: { person: { name: 'Zoë', tags: ['café', '日本', '🙂'] }, n: 1.5, ok: true, nothing: null },
    created_at: '2021-03-01T10:00:00.000Z',
  },
  { text: 'e\u0301 combining, \u2028 line separator, "quotes" and \\ backslash', created_at: '2021-04-01T10:00:00.000Z' },
  { text: 'Expires later.', expires_at: '2999-01-01T00:00:00.000Z', created_at: '2021-05-01T10:00:00.000Z' },
];

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_DISABLED: '1' } });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'engram-import-'));
});
afterAll(async () => {
  await t?.close();
  await closeTestEmbedder();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`engram import (${backend()})`, () => {
  let original: string;

  it('export → erase → import → export gives back the same texts, sources, metadata and dates', async () => {
    const seeded = await api('POST', '/api/v1/memory/index/batch', { items: SEED });
    expect(JSON.parse(seeded.text)).toMatchObject({ stored: SEED.length, failed: 0 });
    original = await exportLines();
    expect(comparable(original)).toHaveLength(SEED.length);
    expect(comparable(original).find((m) => m.source === 'diary')!.chunk_count).toBeGreaterThan(1);

    const file = join(dir, 'memories.ndjson');
    const expired = JSON.stringify({ memory_id: crypto.randomUUID(), text: 'gone', source: null, metadata: {}, chunk_count: 1, created_at: '2020-01-01T00:00:00.000Z', updated_at: '2020-01-01T00:00:00.000Z', expires_at: '2020-06-01T00:00:00.000Z' });
    writeFileSync(file, `${original}${expired}\n`);
    await erase();
    expect(await exportLines()).toBe('');

    const run = await importCli([file, '--token', await t.token(USER), '--batch-size', '2']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`${SEED.length} stored, 0 deduplicated, 1 expired (skipped)`);
    expect(existsSync(`${file}.import-state.json`)).toBe(false); // done: no state left behind

    const again = await exportLines();
    expect(comparable(again)).toEqual(comparable(original));
    // Byte-identical texts, compared as the raw JSON strings of the lines.
    const texts = (s: string) => comparable(s).map((m) => JSON.stringify(m.text));
    expect(texts(again)).toEqual(texts(original));
  });

  it('an interrupted import (a truncated file) resumes from its state file without duplicates', async () => {
    await erase();
    const full = join(dir, 'full.ndjson');
    const partial = join(dir, 'partial.ndjson');
    const state = join(dir, 'state.json');
    writeFileSync(full, original);
    const lines = original.split('\n');
    writeFileSync(partial, `${lines.slice(0, 3).join('\n')}\n${lines[3]!.slice(0, 20)}`); // cut mid-line
    const token = await t.token(USER);

    const first = await importCli([partial, '--token', token, '--batch-size', '2', '--resume', state]);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toContain('line 4: BAD_LINE invalid JSON');
    expect(existsSync(state)).toBe(true);
    expect(comparable(await exportLines())).toHaveLength(3);

    // Another input is refused, not mixed in.
    const other = join(dir, 'other.ndjson');
    writeFileSync(other, lines.slice(1).join('\n'));
    const refused = await importCli([other, '--token', token, '--resume', state]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not the one/);

    const second = await importCli([full, '--token', token, '--batch-size', '2', '--resume', state]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain(`${SEED.length - 3} stored, 0 deduplicated, 0 expired (skipped), 3 done before (skipped), 0 failed`);
    expect(existsSync(state)).toBe(false);
    expect(comparable(await exportLines())).toEqual(comparable(original));
  });

  it('reads standard input, and exits 1 with the failing line numbers when items fail', async () => {
    await erase();
    const input = [
      JSON.stringify({ text: 'good one', metadata: {} }),
      JSON.stringify({ text: 'bad metadata key', metadata: { 'not a key!': 1 } }),
      '{ not json',
      '',
      JSON.stringify({ text: '' }),
      JSON.stringify({ text: 'good two' }),
    ].join('\n');
    const run = await importCli(['-', '--token', await t.token(USER)], input);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('2 stored, 0 deduplicated, 0 expired (skipped), 0 done before (skipped), 3 failed');
    expect(run.stdout).toMatch(/line 2: VALIDATION_FAILED item\.metadata/);
    expect(run.stdout).toContain('line 3: BAD_LINE invalid JSON');
    expect(run.stdout).toMatch(/line 5: VALIDATION_FAILED/);
    expect(comparable(await exportLines()).map((m) => m.text)).toEqual(expect.arrayContaining(['good one', 'good two']));
  });

  it('a bad token or service is a fatal error (exit 2), not a list of failed lines', async () => {
    const run = await importCli(['-', '--token', 'not-a-token'], JSON.stringify({ text: 'x' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refused the import: 401/);
  });
});
