import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { verify } from '../../src/verify/verify.js';
import { watchStart } from '../helpers/cli.js';
import { adminUrl, backend, withClient, withDatabase } from '../helpers/database.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');

/**
 * Issue 19: the README's "Running on PostgreSQL" recipe, run as written, gives a service whose expiry
 * sweeper deletes an expired memory. The commands are the README's own, read from it; only the role and
 * database names get a random suffix (they are cluster-wide, and the test must run twice), the shell's
 * `npm` acts on this checkout from a temporary directory (where `secrets/` goes), and the service gets a
 * free port and a short sweep interval. The recipe as it was (no DATABASE_OWNER_URL) is run too:
 * `engram verify` must fail its sweeper check there.
 */
describe.skipIf(backend() !== 'postgres')('the README PostgreSQL recipe', () => {
  const tag = randomUUID().replace(/-/g, '').slice(0, 8);
  const db = `engram_recipe_${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'engram-recipe-'));
  const servers: ChildProcess[] = [];

  const block = (() => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Running on PostgreSQL'));
    const code = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    return code
      .replace(/\bengram_owner\b/g, `engram_owner_${tag}`)
      .replace(/\bengram_svc\b/g, `engram_svc_${tag}`)
      .replace(/(DATABASE |-d |5432\/)engram\b/g, `$1${db}`);
  })();
  const [setup, start] = [block.slice(0, block.indexOf('# 4.')), block.slice(block.indexOf('# 4.'))];
  const shell = `set -euo pipefail\nnpm() { command npm --prefix ${JSON.stringify(REPO)} "$@"; }\n`;
  let env: NodeJS.ProcessEnv = {};

  afterAll(async () => {
    for (const s of servers) signal(s, 'SIGKILL');
    await withClient(adminUrl(), async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      for (const role of [`engram_svc_${tag}`, `engram_owner_${tag}`]) await c.query(`DROP ROLE IF EXISTS ${role}`);
    });
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(command: string): Promise<string> {
    // Its own process group (bash, npm, node): stopping it signals all of them, as Ctrl-C in a terminal does.
    const child = spawn('bash', ['-c', shell + command], {
      cwd: dir,
      env: { ...env, PORT: '0', EXPIRY_SWEEP_INTERVAL_MS: '300' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    servers.push(child);
    return watchStart(child, 240_000).url;
  }

  const signal = (child: ChildProcess, sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // the group is gone already
    }
  };
  /** Stops the recipe's server: its whole process group, and waits until no process of it is left. */
  const stop = async (child: ChildProcess) => {
    const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    signal(child, 'SIGTERM');
    await exited;
    await vi.waitFor(() => expect(groupAlive(child)).toBe(false), { timeout: 20_000, interval: 200 });
  };
  const groupAlive = (child: ChildProcess) => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('steps 1-3 as written: secrets, roles, database, migrate', async () => {
    const { stdout } = await run('bash', ['-c', `${shell}${setup}\nprintf '%s\\n' "$ENGRAM_KEK_FILE" "$ENGRAM_HASH_KEY_FILE" "$JWT_SECRET_FILE"`], { cwd: dir, timeout: 180_000 });
    const [kek, hash, jwt] = stdout.trim().split('\n').slice(-3);
    expect(kek).toBe(join(dir, 'secrets/kek'));
    env = { ...process.env, ENGRAM_KEK_FILE: kek, ENGRAM_HASH_KEY_FILE: hash, JWT_SECRET_FILE: jwt, LOG_LEVEL: 'info' };
    expect(stdout).toMatch(/database ready \(postgres, use-lite-512, 512-d\)/);
  }, 240_000);

  it('step 4 as written: the sweeper deletes an expired memory, and verify passes it', async () => {
    const url = await serve(start);
    const { stdout: token } = await run('npm', ['--prefix', REPO, 'run', '-s', 'engram', '--', 'token', '--user', 'alice'], { env, cwd: dir });
    const res = await fetch(`${url}/api/v1/memory/index`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'The door code is 4711 until Friday.', ttl_seconds: 1 }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { memory_id: id } = (await res.json()) as { memory_id: string };
    const rows = () => withClient(withDatabase(adminUrl(), db), async (c) => (await c.query(`SELECT 1 FROM memories WHERE id = $1`, [id])).rowCount);
    expect(await rows()).toBe(1);
    await vi.waitFor(async () => expect(await rows()).toBe(0), { timeout: 30_000, interval: 250 });

    const results = await verify({ url, signingSecret: readFileSync(env.JWT_SECRET_FILE!, 'utf8').trim() });
    expect(results.find((r) => r.name === 'expiry-sweeper')).toMatchObject({ status: 'PASS' });
    await stop(servers.at(-1)!);
  }, 300_000);

  it('without DATABASE_OWNER_URL (the recipe before the fix) the sweeper fails, and verify says so', async () => {
    const withoutOwner = start.replace(/^DATABASE_OWNER_URL=\S+ \\\n/m, '');
    expect(withoutOwner).not.toContain('DATABASE_OWNER_URL');
    const url = await serve(withoutOwner);
    await vi.waitFor(async () => expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/memory_expiry_sweeper_failing 1/), { timeout: 30_000 });
    const results = await verify({ url });
    expect(results.find((r) => r.name === 'expiry-sweeper')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('DATABASE_OWNER_URL') });
    await stop(servers.at(-1)!);
  }, 120_000);
});
