import { describe, expect, it } from 'vitest';
import { signToken } from '../../src/auth/token-verifier.js';
import { hasRelayScope } from '../../src/verify/http-checks.js';
import { formatResults } from '../../src/verify/verify.js';

const secret = 'a-secret-long-enough-for-hs256-signing-0123456789';

describe('engram verify output', () => {
  it('names the area of each check instead of the seed phase code', () => {
    const out = formatResults([
      { phase: '4A', name: 'rls-forced', status: 'PASS', detail: 'ok' },
      { phase: '4G', name: 'cross-tenant', status: 'SKIP', detail: 'why' },
    ]);
    expect(out).toMatch(/^PASS {2}database: rls-forced +ok$/m);
    expect(out).toMatch(/^SKIP {2}security: cross-tenant +why$/m);
    expect(out).not.toMatch(/\b4[A-G]\b/);
  });

  it('recognises a relay-scoped token, whose cross-tenant check would be a false FAIL', async () => {
    const relay = await signToken({ secret, subject: 'svc', scopes: ['memory:read', 'memory:relay'], ttlSeconds: 60 });
    const plain = await signToken({ secret, subject: 'alice', scopes: ['memory:read'], ttlSeconds: 60 });
    expect(hasRelayScope(relay)).toBe(true);
    expect(hasRelayScope(plain)).toBe(false);
    expect(hasRelayScope('not-a-token')).toBe(false);
  });
});
