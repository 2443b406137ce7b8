import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { openDatabase } from '../../src/store/open.js';
import { verify } from '../../src/verify/verify.js';
import { closeTestEmbedder, createTestApp, JWT_SECRET, testEnv, type TestApp } from '../helpers/app.js';
import { backend, createPostgresDatabase, onServer } from '../helpers/database.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first fenced block of `lang` after the heading `heading`, as the README has it. */
function block(heading: string, lang: string): string {
  const from = README.indexOf(`\n${heading}\n`);
  expect(from, heading).toBeGreaterThan(-1);
  const open = README.indexOf(`\`\`\`${lang}\n`, from);
  return README.slice(open + lang.length + 4, README.indexOf('\n```', open));
}

/** Issue 19, part 3: the README run as a newcomer runs it, against the service on this backend. */
describe(`the README walked through (${backend()})`, () => {
  let t: TestApp;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-walk-'));
    t = await createTestApp({ env: { LOG_LEVEL: 'warn' } });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the curl walkthrough runs as written, each command answering the status its comment gives', async () => {
    // Only the address and the export file differ from the README; curl writes each status to stderr.
    const script = block('## Walkthrough with curl', 'sh')
      .replaceAll('http://127.0.0.1:8080', url)
      .replaceAll('alice.ndjson', join(dir, 'alice.ndjson'));
    const prelude = `set -eo pipefail\ncurl() { command curl -w '%{stderr}@@%{http_code}@@\\n' "$@"; }\n`;
    const out = await run('bash', ['-c', prelude + script], {
      cwd: ROOT,
      env: { ...process.env, JWT_SECRET, ENGRAM_URL: url, ENGRAM_DATA_DIR: join(dir, 'none') },
      maxBuffer: 8 << 20,
    }).catch((err: { stdout: string; stderr: string }) => {
      throw new Error(`the walkthrough stopped: ${err.stderr.slice(-2000)}`);
    });
    const statuses = [...out.stderr.matchAll(/@@(\d{3})@@/g)].map((m) => Number(m[1]));
    // index, again (deduplicated), ttl, batch, query, summarize, three lists, the id, get, update, export,
    // entities, persist, look up, delete, erase
    expect(statuses).toEqual([201, 200, 201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 204, 200]);
    expect(out.stdout).toContain('"entity":{"name":"Rex","type":"animal","mentions":1}');
    expect(out.stdout).toContain('"predicate":"adopt"');
    expect(out.stdout).toContain('{"memories_deleted":');
    expect(out.stdout).toContain('"key_destroyed":true}');
  });

  it("the TypeScript client's snippet runs as written and updates the memory it found", async () => {
    const file = join(dir, 'snippet.mts');
    const code = block('## From an application: the TypeScript client', 'ts')
      .replace("from '@engram/client'", `from '${join(ROOT, 'clients/typescript/src/index.ts')}'`)
      .replace('http://127.0.0.1:8080', url);
    writeFileSync(file, code);
    const token = await t.token('alice');
    await run('node', ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, ENGRAM_TOKEN: token } }).catch((err: { stderr: string }) => {
      throw new Error(`the snippet failed: ${err.stderr}`);
    });
    const list = await t.app.inject({ url: '/api/v1/memory', headers: { authorization: `Bearer ${token}` } });
    expect(list.json().memories.map((m: { text: string }) => m.text)).toEqual(['Alice is allergic to hazelnuts and almonds.']);
  });

  it('verify signing with another secret than the service says so once, and touches nothing', async () => {
    const results = await verify({ url, signingSecret: 'another-secret-that-is-long-enough-for-hs256-xyz' });
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName.token).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('signed with another secret than the service checks') });
    expect(byName.token!.detail).toContain('--jwt-secret');
    for (const name of ['cross-tenant', 'tenant-isolation', 'rate-limit', 'wrong-user-ciphertext']) {
      expect(byName[name], name).toMatchObject({ status: 'SKIP', detail: expect.stringContaining('a token the service accepts') });
    }
    expect(byName.cleanup).toBeUndefined();
    expect(results.filter((r) => r.status === 'FAIL').map((r) => r.name)).toEqual(['token']);
    // With the service's secret the same check passes.
    const good = await verify({ url, signingSecret: JWT_SECRET });
    expect(good.find((r) => r.name === 'token')).toMatchObject({ status: 'PASS' });
  });

  it('a start refused for a bad variable generates no secrets and creates no data directory', () => {
    const dataDir = join(dir, 'refused');
    for (const bad of [{ PORT: 'abc' }, { EMBEDDINGS_PROVIDER: 'openai' }, { LOG_LEVEL: 'loud' }]) {
      expect(() => loadConfig({ ENGRAM_DATA_DIR: dataDir, ...bad })).toThrow(ConfigError);
      expect(existsSync(dataDir), JSON.stringify(bad)).toBe(false);
    }
    // A valid one still generates them once, and the next start reuses them.
    const warnings: string[] = [];
    const first = loadConfig({ ENGRAM_DATA_DIR: dataDir }, { warn: (m) => warnings.push(m) });
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);
    expect(loadConfig({ ENGRAM_DATA_DIR: dataDir }).jwt.secret).toBe(first.jwt.secret);
    expect(warnings[0]).toContain('generated development secrets');
  });

  it('a start with MIGRATE_ON_START=false on a database never migrated says to migrate', async () => {
    const fresh = onServer() ? await createPostgresDatabase() : undefined;
    try {
      const config = loadConfig(testEnv(fresh ? { DATABASE_URL: fresh.url } : { ENGRAM_DATA_DIR: 'memory://' }));
      const opening = openDatabase(config.database, {
        migrate: false,
        embedding: { model: 'use-lite-512', dimensions: 512 },
        strictRoles: false,
        log: () => {},
        warn: () => {},
      });
      await expect(opening).rejects.toThrow('the database was never migrated (it has no Engram tables) and MIGRATE_ON_START is off: run `engram migrate`');
    } finally {
      await fresh?.drop();
    }
  });

  it("token's help names every place it looks for the secret, as the README does", async () => {
    const help = await run('node', ['--import', 'tsx', 'src/cli/main.ts', 'token', '--help'], { cwd: ROOT });
    for (const where of ['JWT_SECRET,', 'JWT_SECRET_FILE', '<ENGRAM_DATA_DIR>/secrets.json']) expect(help.stdout).toContain(where);
    expect(README).toContain('It looks for the secret in `JWT_SECRET`, `JWT_SECRET_FILE`, then `<ENGRAM_DATA_DIR>/secrets.json`');
  });
});

describe.runIf(backend() === 'pglite')('engram serve with MIGRATE_ON_START=false on a new data directory', () => {
  let parent: string;
  beforeAll(() => {
    parent = mkdtempSync(join(tmpdir(), 'engram-unmigrated-'));
  });
  afterAll(() => {
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('says to migrate first, and creates neither the database nor secrets', async () => {
    const dataDir = join(parent, 'data');
    const err = await run('node', ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      env: { ...process.env, MIGRATE_ON_START: 'false', DATABASE_URL: '', JWT_SECRET: '', ENGRAM_KEK: '', ENGRAM_HASH_KEY: '' },
      timeout: 60_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in err && err.code, JSON.stringify(err)).toBe(1);
    expect((err as { stderr: string }).stderr).toContain('holds no database yet and MIGRATE_ON_START is off');
    expect((err as { stderr: string }).stderr).toContain('engram migrate');
    expect(existsSync(dataDir)).toBe(false);
  });
});
