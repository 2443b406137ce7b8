import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, JWT_SECRET, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const hs = (payload: object) => {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
};
const claims = (extra: object = {}) => ({ sub: 'alice', scope: 'memory:read memory:write', iat: now(), exp: now() + 600, ...extra });

/** Issue 7, Authentication: body user_id defaults, subjects, maximum token age, JWKS outage. */
describe(`authentication (${backend()})`, () => {
  let t: TestApp;
  let idp: Server;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let idpUp = true;

  beforeAll(async () => {
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' }] });
    idp = createServer((_req, res) => {
      if (idpUp) res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      else res.writeHead(502).end();
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    t = await createTestApp({
      env: {
        JWT_JWKS_URL: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`,
        JWT_MAX_TOKEN_AGE_SEC: '300',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    await new Promise<void>((resolve) => idp.close(() => resolve()));
  });

  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  const expectError = (res: Awaited<ReturnType<typeof call>>, status: number, code: string) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json()).toEqual({ code, detail: expect.any(String), request_id: expect.any(String) });
  };

  it("user_id in the index and query bodies defaults to the token's subject", async () => {
    const alice = hs(claims());
    const bob = hs(claims({ sub: 'bob' }));
    const created = await call(alice, 'POST', '/api/v1/memory/index', { text: 'Alice keeps her bicycle in the blue shed' });
    expect(created.statusCode, created.body).toBe(201);
    const found = await call(alice, 'POST', '/api/v1/memory/query', { query: 'where is the bicycle' });
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json().results.map((r: { memory_id: string }) => r.memory_id)).toContain(created.json().memory_id);
    // It is alice's memory, readable as such; bob's default is bob, who sees nothing of it.
    expect((await call(alice, 'GET', `/api/v1/memory/${created.json().memory_id}?user_id=alice`)).statusCode).toBe(200);
    const bobs = await call(bob, 'POST', '/api/v1/memory/query', { query: 'where is the bicycle' });
    expect(bobs.json().results).toEqual([]);
    // Naming another user still needs memory:relay.
    expectError(await call(bob, 'POST', '/api/v1/memory/query', { user_id: 'alice', query: 'bicycle' }), 403, 'CROSS_TENANT');
  });

  it('a token whose subject cannot be a user_id is 401 with a clear detail', async () => {
    for (const sub of ['has space', 'x'.repeat(129), '../../etc', 'tab\there']) {
      const res = await call(hs(claims({ sub })), 'GET', '/api/v1/memory');
      expectError(res, 401, 'UNAUTHENTICATED');
      expect(res.json().detail).toBe('token subject is not a valid user_id');
    }
  });

  it('JWT_MAX_TOKEN_AGE_SEC refuses tokens issued too long ago, or without iat', async () => {
    expect((await call(hs(claims({ iat: now() - 200 })), 'GET', '/api/v1/memory')).statusCode).toBe(200);
    const old = await call(hs(claims({ iat: now() - 400, exp: now() + 3600 })), 'GET', '/api/v1/memory');
    expectError(old, 401, 'UNAUTHENTICATED');
    expect(old.json().detail).toBe('token too old');
    const noIat = await call(hs(claims({ iat: undefined })), 'GET', '/api/v1/memory');
    expectError(noIat, 401, 'UNAUTHENTICATED');
    expect(noIat.json().detail).toBe('token missing iat claim');
  });

  it('a JWKS endpoint that is down (nothing cached) answers 503 AUTH_UNAVAILABLE with Retry-After, not 401', async () => {
    const rs = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(rsa.privateKey);
    idpUp = false;
    const down = await call(rs, 'GET', '/api/v1/memory');
    expectError(down, 503, 'AUTH_UNAVAILABLE');
    expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
    // HS256 tokens do not depend on the provider and keep working meanwhile.
    expect((await call(hs(claims()), 'GET', '/api/v1/memory')).statusCode).toBe(200);
    idpUp = true; // back: the next request fetches the keys again
    expect((await call(rs, 'GET', '/api/v1/memory')).statusCode).toBe(200);
  });
});
