import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { consoleBase, consoleLink } from '../../src/cli/token.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(JWT_|ENGRAM_|DATABASE_|HOST$|PORT$|NODE_ENV$)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Issue 20: `engram console --user alice` prints a sign-in link and opens nothing. */
describe('engram console', () => {
  const secret = randomBytes(48).toString('base64');

  it('prints one link to the configured HOST and PORT, the token in its fragment', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { stdout, stderr } = await run('node', [...CLI, 'console', '--user', 'alice'], {
      cwd: ROOT,
      env: cleanEnv({ JWT_SECRET: secret, HOST: '0.0.0.0', PORT: '8123' }),
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const link = new URL(lines[0]!);
    expect(`${link.origin}${link.pathname}`).toBe('http://127.0.0.1:8123/console/'); // a wildcard address is reached on loopback
    expect(link.search).toBe('');
    const token = /^#token=(.+)$/.exec(link.hash)?.[1];
    expect(token).toBeDefined();
    const { payload } = await jwtVerify(token!, new TextEncoder().encode(secret));
    expect(payload.sub).toBe('alice');
    expect(String(payload.scope).split(' ').sort()).toEqual(['memory:read', 'memory:write']);
    expect(payload.exp! - payload.iat!).toBe(900); // short-lived: 15 minutes unless --ttl
    expect(payload.iat!).toBeGreaterThanOrEqual(before); // signed now
    expect(stderr).toContain('valid for 15 min');
    expect(stderr).not.toContain(token!);
  });

  it('points at --url or ENGRAM_URL when the server runs elsewhere, and takes --ttl and --scope', async () => {
    const { stdout } = await run(
      'node',
      [...CLI, 'console', '--user', 'ops', '--ttl', '2m', '--scope', 'memory:read', 'memory:relay'],
      { cwd: ROOT, env: cleanEnv({ JWT_SECRET: secret, ENGRAM_URL: 'https://memory.example.com' }) },
    );
    const link = new URL(stdout.trim());
    expect(`${link.origin}${link.pathname}`).toBe('https://memory.example.com/console/');
    const { payload } = await jwtVerify(link.hash.slice('#token='.length), new TextEncoder().encode(secret));
    expect(payload.scope).toBe('memory:read memory:relay');
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('refuses a bad user, URL or port with exit 2 and prints no link', async () => {
    for (const args of [
      ['--user', 'not a user'],
      ['--user', 'alice', '--url', 'ftp://example.com'],
      ['--user', 'alice', '--url', 'not a url'],
      ['--user', 'alice', '--port', '99999'],
      ['--user', 'alice', '--scope', 'memory:admin'],
    ]) {
      const err = await run('node', [...CLI, 'console', ...args], { cwd: ROOT, env: cleanEnv({ JWT_SECRET: secret }) }).catch((e) => e);
      expect(err.code, args.join(' ')).toBe(2);
      expect(err.stdout, args.join(' ')).toBe('');
    }
  });

  it('builds links for IPv6 and for a base with a path', () => {
    expect(consoleLink(consoleBase({ host: '::', port: '9000' }, {}), 't')).toBe('http://[::1]:9000/console/#token=t');
    expect(consoleLink(consoleBase({ url: 'https://e.example.com/engram' }, {}), 't')).toBe('https://e.example.com/engram/console/#token=t');
    expect(consoleLink(consoleBase({}, { HOST: 'memory.internal', PORT: '80' }), 't')).toBe('http://memory.internal/console/#token=t');
  });
});
