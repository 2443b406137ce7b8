import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

/** The modules `src/cli/main.ts` loads before any command runs: its static imports, followed through src/. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.startsWith(REPO)) return;
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^import\s+(?!type\b)[^'"]*?from\s+'([^']+)';?$/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else seen.add(spec);
    }
  };
  visit(join(REPO, entry));
  return seen;
}

describe('engram CLI start-up', () => {
  it('loads no server, database driver, model or MCP SDK before a command needs it (engram token took 7 s)', () => {
    const loaded = [...staticClosure('src/cli/main.ts')].map((f) => f.replace(`${REPO}/`, ''));
    const heavy = loaded.filter((m) =>
      /^(src\/(server|app)\.ts|src\/(embed|store|mcp|verify|http|memory\/memory-service)\b|pg$|ioredis|fastify|@electric-sql|@energetic-ai|@modelcontextprotocol|piscina)/.test(m),
    );
    expect(heavy).toEqual([]);
  });

  it('secrets the README recipe writes into the checkout are ignored by git', async () => {
    const { stdout } = await promisify(execFile)('git', ['check-ignore', '-v', 'secrets/kek', 'secrets/jwt_secret'], { cwd: REPO });
    expect(stdout.trim().split('\n')).toHaveLength(2);
  });

  it('verify signs its test tokens with JWT_SECRET_FILE, as the README says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-verify-secret-'));
    try {
      const file = join(dir, 'jwt_secret');
      writeFileSync(file, 'a-test-secret-that-is-long-enough-0123456789\n');
      const env = { ...process.env, JWT_SECRET_FILE: file, JWT_SECRET: '' };
      const out = await promisify(execFile)('node', ['--import', 'tsx', 'src/cli/main.ts', 'verify', '--url', 'http://127.0.0.1:9'], { cwd: REPO, env }).catch((e) => e);
      expect(out.stdout).toContain(`signing test tokens with the secret from JWT_SECRET_FILE (${file})`);
      const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
      const section = readme.slice(readme.indexOf('### `engram verify`'), readme.indexOf('## Development'));
      expect(section).toContain('JWT_SECRET_FILE');
      expect(section).not.toMatch(/not in `JWT_SECRET_FILE`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a usage error exits 2 (as import --help promises), help exits 0', async () => {
    for (const args of [['token'], ['verify'], ['serve', '--no-such-option'], ['import', '--batch-size', '0', 'x'], ['no-such-command']]) {
      const err = await promisify(execFile)('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO }).catch((e) => e);
      expect(err.code, args.join(' ')).toBe(2);
    }
    const help = await promisify(execFile)('node', ['--import', 'tsx', 'src/cli/main.ts', 'token', '--help'], { cwd: REPO });
    expect(help.stdout).toContain('--user');
  });

  it("verify's help describes what it checks, not the seed report's phases", async () => {
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', 'src/cli/main.ts', 'verify', '--help'], { cwd: REPO });
    expect(stdout).not.toMatch(/seed|4A|Phases/);
    expect(stdout).toMatch(/expiry sweeper/);
  });
});
