import { execFile } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const clientDir = join(repo, 'clients/typescript');

/**
 * What a user gets: `npm pack` the client, `npm install` the tarball into an empty project (offline: the
 * client has no dependencies), import `@engram/client` there in a plain `node` process and call the
 * service. No build step besides the one npm runs when packing (the package's `prepare`).
 */
describe(`@engram/client from its npm tarball (${backend()})`, () => {
  let t: TestApp;
  let baseUrl: string;
  let work: string;
  let app: string;
  let packed: { filename: string; files: { path: string }[] };

  // npm and node as a user would run them: nothing from the npm run (or vitest) this test runs under.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS'));
  const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env, timeout: 120_000 });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'engram-client-pack-'));
    app = join(work, 'app');
    // The service starts while npm packs and installs.
    await Promise.all([
      (async () => {
        t = await createTestApp();
        await t.app.listen({ host: '127.0.0.1', port: 0 });
        baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      })(),
      (async () => {
        // Packed from a copy: the two vitest projects run this file at once, and packing rebuilds dist/.
        // The copy finds the server's TypeScript (the package's build step would otherwise install its own).
        const source = join(work, 'client');
        cpSync(clientDir, source, { recursive: true, filter: (path) => !/[/\\](dist|node_modules)$/.test(path) });
        mkdirSync(join(source, 'node_modules'));
        symlinkSync(join(repo, 'node_modules/typescript'), join(source, 'node_modules/typescript'), 'dir');
        const { stdout } = await npm(['pack', '--json', '--pack-destination', work], source);
        packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;

        mkdirSync(app);
        writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty-app', version: '1.0.0', private: true, type: 'module' }));
        await npm(['install', '--offline', join(work, packed.filename)], app);
      })(),
    ]);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the built JavaScript and declarations, the README and package.json, and no sources', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/client.js', 'dist/client.d.ts']));
    expect(files.filter((f) => !/^dist\/[\w-]+\.(js|d\.ts)$/.test(f))).toEqual(['README.md', 'package.json']);
    const installed = join(app, 'node_modules/@engram/client');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(existsSync(join(installed, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('imports in plain node and adds, searches, gets and deletes, in camelCase', async () => {
    writeFileSync(
      join(app, 'smoke.mjs'),
      `import { EngramClient, EngramError } from '@engram/client';
const engram = new EngramClient({ baseUrl: process.env.ENGRAM_URL, token: process.env.ENGRAM_TOKEN, userId: 'alice' });
const added = await engram.add('Alice keeps bees on her rooftop in Lisbon.', { source: 'chat', metadata: { hive_count: 2 }, ttlSeconds: 3600 });
const hits = await engram.search('what insects does Alice keep?', { k: 3, filters: { source: 'chat', metadata: { hive_count: 2 } }, rerank: false });
const got = await engram.get(added.memoryId);
await engram.delete(added.memoryId);
const gone = await engram.get(added.memoryId).catch((e) => e);
console.log(JSON.stringify({
  resolved: import.meta.resolve('@engram/client'),
  added, hits, got,
  gone: { engramError: gone instanceof EngramError, status: gone.status, code: gone.code },
}));
`,
    );
    const { stdout } = await run(process.execPath, ['smoke.mjs'], {
      cwd: app,
      env: { ...env, ENGRAM_URL: baseUrl, ENGRAM_TOKEN: await t.token('alice') },
      timeout: 60_000,
    });
    type Json = Record<string, unknown>;
    const out = JSON.parse(stdout) as { resolved: string; added: Json & { chunkIds: string[] }; hits: Json[]; got: Json; gone: Json };
    expect(out.resolved).toContain('/app/node_modules/@engram/client/dist/index.js');
    expect(out.added).toMatchObject({ memoryId: expect.stringMatching(/^[0-9a-f-]{36}$/), deduplicated: false, chunkCount: 1 });
    expect(Date.parse(String(out.added.expiresAt))).toBeGreaterThan(Date.now() + 3_500_000);
    expect(out.hits).toHaveLength(1);
    expect(out.hits[0]).toMatchObject({
      memoryId: out.added.memoryId,
      chunkId: out.added.chunkIds[0],
      text: 'Alice keeps bees on her rooftop in Lisbon.',
      source: 'chat',
      metadata: { hive_count: 2 },
      createdAt: out.added.createdAt,
      scores: { rerank: null },
    });
    expect(typeof out.hits[0]!.score).toBe('number');
    expect(out.got).toEqual({
      memoryId: out.added.memoryId,
      text: 'Alice keeps bees on her rooftop in Lisbon.',
      source: 'chat',
      metadata: { hive_count: 2 },
      chunkIds: out.added.chunkIds,
      createdAt: out.added.createdAt,
      updatedAt: out.added.updatedAt,
      expiresAt: out.added.expiresAt,
    });
    expect(out.gone).toEqual({ engramError: true, status: 404, code: 'NOT_FOUND' });
  });

  it("typechecks against the package's declarations (camelCase, no snake_case)", async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], strict: true, noEmit: true }, files: ['typed.ts'] }),
    );
    writeFileSync(
      join(app, 'typed.ts'),
      `import { EngramClient, EngramError, type SearchResult } from '@engram/client';
const engram = new EngramClient({ baseUrl: 'http://127.0.0.1:1', token: 't' });
export async function f(): Promise<string> {
  const { memoryId, expiresAt } = await engram.add('x', { ttlSeconds: 60, dedup: false });
  const hits: SearchResult[] = await engram.search('x', { minScore: 0.2, filters: { createdAfter: new Date() } });
  const page = await engram.page({ pageSize: 5 });
  // @ts-expect-error snake_case is not part of the API
  void hits[0]?.memory_id;
  void (new EngramError(404, 'NOT_FOUND', 'gone').code satisfies string);
  return memoryId + String(expiresAt) + String(page.nextCursor) + String(hits[0]?.createdAt);
}
`,
    );
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, env, timeout: 60_000 }).catch((e: { stdout?: string }) => e);
    expect(result.stdout).toBe('');
  });
});
