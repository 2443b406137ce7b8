import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, onServer, createPostgresDatabase } from '../helpers/database.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/** The quick start as a user meets it: the real CLI, a real port, fetch. */
describe(`engram CLI (${backend()})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-cli-'));
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;
  let dropDb = async () => {};

  beforeAll(async () => {
    env = { ...process.env, ENGRAM_DATA_DIR: dataDir, PORT: '0', EMBEDDING_THREADS: '1', LOG_LEVEL: 'info' };
    if (onServer()) {
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      Object.assign(env, {
        DATABASE_URL: db.url,
        JWT_SECRET: randomBytes(32).toString('hex'),
        ENGRAM_KEK: randomBytes(32).toString('base64'),
        ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
      });
    }
  });

  afterAll(async () => {
    server?.kill('SIGKILL');
    await dropDb();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a bad configuration stops the start with exit code 2 and names the variable', async () => {
    const err = await run('node', [...CLI, 'serve'], { env: { ...env, PORT: 'http' } }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/PORT/);
  });

  it('token refuses a user id the server would refuse, with a clear message and exit code 2', async () => {
    for (const user of ['has space', '../etc/passwd', '-dash-first', 'x'.repeat(129), 'ünïcode']) {
      const err = await run('node', [...CLI, 'token', '--user', user], { env }).catch((e) => e);
      expect(err.code, user).toBe(2);
      expect(err.stderr).toMatch(/is not a valid user id/);
      expect(err.stdout).toBe('');
    }
  });

  it('migrate prepares the database', async () => {
    const { stdout } = await run('node', [...CLI, 'migrate'], { env });
    expect(stdout).toMatch(/database ready \((pglite|postgres), use-lite-512, 512-d\)/);
  });

  it('serve starts, token signs, and a memory goes in and comes back out; SIGTERM stops it cleanly', async () => {
    server = spawn('node', [...CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Engram listening on (http:\/\/[^ ]+) /.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    });
    expect(output).toMatch(/token --user alice/);

    const { stdout: token } = await run('node', [...CLI, 'token', '--user', 'alice', '--ttl', '10m'], { env });
    const headers = { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json' };

    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const indexed = await fetch(`${url}/api/v1/memory/index`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ user_id: 'alice', text: 'My favourite mountain is the Matterhorn.' }),
    });
    expect(indexed.status).toBe(201);
    const queried = await fetch(`${url}/api/v1/memory/query`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ user_id: 'alice', query: 'which mountain do I like?' }),
    });
    const body = (await queried.json()) as { results: { text: string }[] };
    expect(body.results[0]!.text).toContain('Matterhorn');
    expect((await fetch(`${url}/api/v1/memory`)).status).toBe(401);

    const exit = new Promise<number | null>((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exit).toBe(0);
    server = undefined;
  });
});
