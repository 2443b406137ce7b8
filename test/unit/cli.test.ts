import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
// tsx by absolute URL: some tests run the CLI from another directory, where `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CLI = ['--import', TSX, join(ROOT, 'src/cli/main.ts')];

/** A clean environment: none of the caller's Engram variables leak in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(JWT_|ENGRAM_|DATABASE_|NODE_ENV$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/** The CLI a newcomer meets in the first hour (issue 10's friction points). */
describe('engram CLI: the first hour', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-cli-unit-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('--version prints the package version', async () => {
    const { stdout } = await run('node', [...CLI, '--version'], { cwd: ROOT, env: cleanEnv() });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('serve --help lists its options and the environment variables', async () => {
    const { stdout } = await run('node', [...CLI, 'serve', '--help'], { cwd: ROOT, env: cleanEnv() });
    for (const option of ['--host', '--port', '--data-dir']) expect(stdout).toContain(option);
    for (const variable of ['DATABASE_URL', 'JWT_SECRET', 'ENGRAM_KEK', 'REDIS_URL', 'MIGRATE_ON_START']) {
      expect(stdout).toContain(variable);
    }
  });

  it('token run where no server secrets exist refuses, names where it looked, and generates nothing', async () => {
    const elsewhere = tempDir();
    const err = await run('node', [...CLI, 'token', '--user', 'alice'], { cwd: elsewhere, env: cleanEnv() }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stdout).toBe('');
    expect(err.stderr).toContain(join(elsewhere, '.engram', 'secrets.json'));
    expect(err.stderr).toMatch(/ENGRAM_DATA_DIR/);
    // No secrets were generated there: a token signed with them would be rejected by the server.
    expect(() => readFileSync(join(elsewhere, '.engram', 'secrets.json'))).toThrow();
  });

  it("token finds the server's embedded secrets through ENGRAM_DATA_DIR and says which secret it used", async () => {
    const dataDir = tempDir();
    const secret = randomBytes(32).toString('hex');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ JWT_SECRET: secret }), { mode: 0o600 });
    const { stdout, stderr } = await run('node', [...CLI, 'token', '--user', 'alice'], {
      cwd: tempDir(),
      env: cleanEnv({ ENGRAM_DATA_DIR: dataDir }),
    });
    expect(stderr).toContain(`signed with the JWT secret from ${join(dataDir, 'secrets.json')}`);
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(secret));
    expect(payload.sub).toBe('alice');
  });

  it('token signs with JWT_SECRET_FILE and puts JWT_ISSUER / JWT_AUDIENCE in the token', async () => {
    const dir = tempDir();
    const file = join(dir, 'jwt_secret');
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const { stdout, stderr } = await run('node', [...CLI, 'token', '--user', 'bob'], {
      cwd: dir,
      env: cleanEnv({ JWT_SECRET_FILE: file, JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'engram-test' }),
    });
    expect(stderr).toContain(`JWT_SECRET_FILE (${file})`);
    const claims = decodeJwt(stdout.trim());
    expect(claims).toMatchObject({ sub: 'bob', iss: 'https://issuer.test', aud: 'engram-test' });
  });
});
