import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/verify/verify.js';
import { closeTestEmbedder, createTestApp, JWT_SECRET, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/** Issue 19, part 3: the README run as a newcomer runs it, against the service on this backend. */
describe(`the README walked through (${backend()})`, () => {
  let t: TestApp;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'engram-walk-'));
  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'warn' } });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    rmSync(dir, { recursive: true, force: true });
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
});
