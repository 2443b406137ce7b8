/**
 * Attacker-style tests for the token verifier. Real crypto throughout (jose + node:crypto), no mocks.
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeJwt, exportJWK, exportSPKI, generateKeyPair, importPKCS8, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/app-error.js';
import {
  Scope,
  createTokenVerifier,
  parseBearer,
  signToken,
  type TokenVerifier,
} from '../../src/auth/token-verifier.js';

// ---------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------

const SECRET = randomBytes(32).toString('hex'); // 64 bytes of text
const OTHER_SECRET = randomBytes(32).toString('hex');
const now = (): number => Math.floor(Date.now() / 1000);

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Builds an HS256 compact JWT by hand with node:crypto — independent of the code under test. */
function handSignedHs256(payload: JWTPayload, key: string | Uint8Array, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = createHmac('sha256', key).update(input).digest('base64url');
  return `${input}.${sig}`;
}

function claims(extra: JWTPayload = {}): JWTPayload {
  const t = now();
  return { sub: 'user-1', iat: t, exp: t + 300, scope: 'memory:read memory:write', ...extra };
}

async function signWith(
  key: CryptoKey | Uint8Array,
  alg: 'HS256' | 'RS256' | 'ES256' | 'PS256',
  payload: JWTPayload,
  header: Record<string, string> = {},
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(key);
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Asserts the promise rejects with a 503 AUTH_UNAVAILABLE AppError (the key set could not be fetched). */
async function expectAuthUnavailable(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => {
      throw new Error('expected rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ code: 'AUTH_UNAVAILABLE', statusCode: 503 });
  return err as AppError;
}

/** Asserts the promise rejects with a 401 UNAUTHENTICATED AppError (and the exact detail, if given). */
async function expectUnauthenticated(p: Promise<unknown>, detail?: string, token?: string): Promise<AppError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected rejection, got ${JSON.stringify(v, (_k, x: unknown) => (x instanceof Set ? [...x] : x))}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const appErr = err as AppError;
  expect(appErr.code).toBe('UNAUTHENTICATED');
  expect(appErr.statusCode).toBe(401);
  if (detail !== undefined) expect(appErr.message).toBe(detail);
  if (token !== undefined) {
    expect(appErr.message).not.toContain(token);
    for (const part of token.split('.')) if (part.length > 8) expect(appErr.message).not.toContain(part);
  }
  return appErr;
}

function expectThrowsUnauthenticated(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe('UNAUTHENTICATED');
  expect((caught as AppError).statusCode).toBe(401);
}

// ---------------------------------------------------------------------------------------------------
// key material (generated once)
// ---------------------------------------------------------------------------------------------------

let rsa: { privateKey: CryptoKey; publicKey: CryptoKey; pem: string };
let otherRsa: { privateKey: CryptoKey; publicKey: CryptoKey; pem: string };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey; pem: string };

beforeAll(async () => {
  const mk = async (alg: 'RS256' | 'ES256') => {
    const kp = await generateKeyPair(alg);
    return { ...kp, pem: await exportSPKI(kp.publicKey) };
  };
  [rsa, otherRsa, ec] = await Promise.all([mk('RS256'), mk('RS256'), mk('ES256')]);
});

// ---------------------------------------------------------------------------------------------------
// HS256 happy path & scopes
// ---------------------------------------------------------------------------------------------------

describe('HS256 verification', () => {
  const verifier = (): TokenVerifier => createTokenVerifier({ secret: SECRET });

  it('accepts a valid token and parses the space-separated scope claim', async () => {
    const exp = now() + 300;
    const token = await signWith(enc(SECRET), 'HS256', claims({ exp, jti: 'tok-1' }));
    const p = await verifier().verify(token);
    expect(p.subject).toBe('user-1');
    expect([...p.scopes].sort()).toEqual([Scope.Read, Scope.Write]);
    expect(p.tokenId).toBe('tok-1');
    expect(p.expiresAt.getTime()).toBe(exp * 1000);
  });

  it('parses the scp array claim (and keeps unknown scopes)', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ scope: undefined, scp: [Scope.Relay, 'admin:everything'] }));
    const p = await verifier().verify(token);
    expect(p.scopes.has(Scope.Relay)).toBe(true);
    expect(p.scopes.has('admin:everything')).toBe(true);
    expect(p.scopes.has(Scope.Read)).toBe(false);
    expect(p.scopes.size).toBe(2);
  });

  it('merges scope and scp, ignoring extra whitespace', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ scope: '  memory:read \t memory:read  ', scp: ['memory:write'] }));
    const p = await verifier().verify(token);
    expect([...p.scopes].sort()).toEqual([Scope.Read, Scope.Write]);
  });

  it('a token without any scope claim has no scopes', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ scope: undefined }));
    expect((await verifier().verify(token)).scopes.size).toBe(0);
  });

  it('rejects a malformed scope claim', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ scope: undefined, scp: [1, 2] }));
    await expectUnauthenticated(verifier().verify(token), 'invalid token scope claim');
    const token2 = await signWith(enc(SECRET), 'HS256', claims({ scope: 42 }));
    await expectUnauthenticated(verifier().verify(token2), 'invalid token scope claim');
  });

  it('accepts a Uint8Array secret', async () => {
    const key = randomBytes(32);
    const token = await signWith(key, 'HS256', claims());
    expect((await createTokenVerifier({ secret: key }).verify(token)).subject).toBe('user-1');
  });
});

// ---------------------------------------------------------------------------------------------------
// time & required claims
// ---------------------------------------------------------------------------------------------------

describe('time and required claims', () => {
  const v = (): TokenVerifier => createTokenVerifier({ secret: SECRET });

  it('rejects an expired token with UNAUTHENTICATED / "token expired"', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ iat: now() - 600, exp: now() - 60 }));
    await expectUnauthenticated(v().verify(token), 'token expired', token);
  });

  it('honours the default 5s clock tolerance, but no more', async () => {
    const justExpired = await signWith(enc(SECRET), 'HS256', claims({ exp: now() - 2 }));
    expect((await v().verify(justExpired)).subject).toBe('user-1');
    const strict = createTokenVerifier({ secret: SECRET, clockToleranceSec: 0 });
    await expectUnauthenticated(strict.verify(justExpired), 'token expired');
  });

  it('rejects a token without exp', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ exp: undefined }));
    await expectUnauthenticated(v().verify(token), 'token missing exp claim');
  });

  it('rejects a non-numeric exp', async () => {
    const token = handSignedHs256(claims({ exp: String(now() + 300) as unknown as number }), SECRET);
    await expectUnauthenticated(v().verify(token), 'invalid token exp claim');
  });

  it('rejects a token without sub', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ sub: undefined }));
    await expectUnauthenticated(v().verify(token), 'token missing sub claim');
  });

  it('rejects an empty, non-string, over-long or control-character sub', async () => {
    for (const sub of ['', 123, ['user-1']]) {
      const token = handSignedHs256(claims({ sub: sub as string }), SECRET);
      await expectUnauthenticated(v().verify(token), 'invalid token sub claim');
    }
    // A subject that cannot be a user_id (Patterns.userId) could never be served: refused at verification.
    for (const sub of ['x'.repeat(129), 'user\n1', 'user 1', '../etc', '-leading-dash', 'ünicode', 'a/b', 'x\u0000']) {
      const token = handSignedHs256(claims({ sub }), SECRET);
      await expectUnauthenticated(v().verify(token), 'token subject is not a valid user_id');
    }
    for (const sub of ['alice', 'user@example.com', 'tenant:42.user_7', 'A-1']) {
      expect((await v().verify(handSignedHs256(claims({ sub }), SECRET))).subject).toBe(sub);
    }
    // boundary: exactly 128 chars is fine
    const ok = handSignedHs256(claims({ sub: 'x'.repeat(128) }), SECRET);
    expect((await v().verify(ok)).subject).toHaveLength(128);
  });

  it('with a maximum token age, refuses tokens issued longer ago or without iat', async () => {
    const aged = createTokenVerifier({ secret: SECRET, maxTokenAgeSec: 300 });
    expect((await aged.verify(handSignedHs256(claims({ iat: now() - 200 }), SECRET))).subject).toBe('user-1');
    await expectUnauthenticated(aged.verify(handSignedHs256(claims({ iat: now() - 400, exp: now() + 3600 }), SECRET)), 'token too old');
    await expectUnauthenticated(aged.verify(handSignedHs256(claims({ iat: undefined }), SECRET)), 'token missing iat claim');
    // Without the setting, the same old token is fine (only exp counts).
    expect((await v().verify(handSignedHs256(claims({ iat: now() - 400, exp: now() + 3600 }), SECRET))).subject).toBe('user-1');
    expect(() => createTokenVerifier({ secret: SECRET, maxTokenAgeSec: 0 })).toThrow(/maxTokenAgeSec/);
  });

  it('honours nbf', async () => {
    const future = await signWith(enc(SECRET), 'HS256', claims({ nbf: now() + 120 }));
    await expectUnauthenticated(v().verify(future), 'token not yet valid');
    const past = await signWith(enc(SECRET), 'HS256', claims({ nbf: now() - 10 }));
    expect((await v().verify(past)).subject).toBe('user-1');
  });
});

// ---------------------------------------------------------------------------------------------------
// forged / tampered / confused tokens
// ---------------------------------------------------------------------------------------------------

describe('forgery', () => {
  it('rejects alg "none" (hand-built, empty signature) for every configuration', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token), 'token algorithm not allowed', token);
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: rsa.pem }).verify(token), 'token algorithm not allowed');
    await expectUnauthenticated(
      createTokenVerifier({ secret: SECRET, publicKeyPem: rsa.pem }).verify(token),
      'token algorithm not allowed',
    );
    // casing games
    const token2 = `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url(claims())}.`;
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token2), 'token algorithm not allowed');
  });

  it('rejects other algorithms outside the allow-list even with a valid HMAC', async () => {
    const input = `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url(claims())}`;
    const token = `${input}.${createHmac('sha512', SECRET).update(input).digest('base64url')}`;
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token), 'token algorithm not allowed');
  });

  it('HS/RS confusion: HS256 signed with the RSA public key PEM as secret, verifier has only that public key', async () => {
    const token = handSignedHs256(claims(), rsa.pem);
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: rsa.pem }).verify(token), 'token algorithm not allowed', token);
  });

  it('HS/RS confusion: same forged token against a verifier with both a secret and that public key', async () => {
    const token = handSignedHs256(claims(), rsa.pem);
    const verifier = createTokenVerifier({ secret: SECRET, publicKeyPem: rsa.pem });
    await expectUnauthenticated(verifier.verify(token), 'invalid token signature', token);
    // ...while legitimately signed tokens of both families still work on that verifier
    expect((await verifier.verify(await signWith(enc(SECRET), 'HS256', claims()))).subject).toBe('user-1');
    expect((await verifier.verify(await signWith(rsa.privateKey, 'RS256', claims()))).subject).toBe('user-1');
  });

  it('HS/RS confusion: also fails with the PEM variants (no trailing newline, DER bytes)', async () => {
    const verifier = createTokenVerifier({ publicKeyPem: rsa.pem });
    for (const key of [rsa.pem.trim(), `${rsa.pem.trim()}\n`, Buffer.from(rsa.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')]) {
      await expectUnauthenticated(verifier.verify(handSignedHs256(claims(), key)), 'token algorithm not allowed');
    }
  });

  it('refuses a configuration whose HMAC secret is the public key', () => {
    expect(() => createTokenVerifier({ secret: rsa.pem, publicKeyPem: rsa.pem })).toThrow(/must not be the public key/);
  });

  it('rejects an HS256 token signed with a different secret', async () => {
    const token = await signWith(enc(OTHER_SECRET), 'HS256', claims());
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token), 'invalid token signature', token);
  });

  it('rejects an RS256 token signed with a different RSA key', async () => {
    const token = await signWith(otherRsa.privateKey, 'RS256', claims());
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: rsa.pem }).verify(token), 'invalid token signature', token);
  });

  it('rejects a tampered payload (sub changed, signature kept) — HS256 and RS256', async () => {
    const tamper = (token: string): string => {
      const [h, , s] = token.split('.');
      return `${h}.${b64url(claims({ sub: 'admin' }))}.${s}`;
    };
    const hs = tamper(await signWith(enc(SECRET), 'HS256', claims()));
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(hs), 'invalid token signature');
    const rs = tamper(await signWith(rsa.privateKey, 'RS256', claims()));
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: rsa.pem }).verify(rs), 'invalid token signature');
  });

  it('rejects a truncated / stripped signature', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims());
    const stripped = token.slice(0, token.lastIndexOf('.') + 1);
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(stripped), 'invalid token signature');
  });

  it('rejects garbage as "malformed token" without echoing it', async () => {
    const v = createTokenVerifier({ secret: SECRET });
    for (const junk of ['', 'not-a-jwt', 'a.b', 'a.b.c.d', `${b64url('{"alg":')}.${b64url(claims())}.x`, 'x'.repeat(10_000)]) {
      const err = await expectUnauthenticated(v.verify(junk));
      expect(err.message).toMatch(/^(malformed token|invalid token)$/);
    }
    await expectUnauthenticated(v.verify('x'.repeat(10_000)), 'malformed token');
    await expectUnauthenticated(v.verify(`${b64url({ typ: 'JWT' })}.${b64url(claims())}.`), 'malformed token');
  });

  it('rejects a JWS whose payload is not a JSON object', async () => {
    const input = `${b64url({ alg: 'HS256' })}.${b64url('"just a string"')}`;
    const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token), 'malformed token');
  });

  it('rejects an unknown critical header', async () => {
    const token = handSignedHs256(claims(), SECRET, { alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 });
    const err = await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token));
    expect(['unsupported token', 'malformed token']).toContain(err.message);
  });
});

// ---------------------------------------------------------------------------------------------------
// algorithm families
// ---------------------------------------------------------------------------------------------------

describe('asymmetric keys', () => {
  it('accepts RS256 via publicKeyPem', async () => {
    const token = await signWith(rsa.privateKey, 'RS256', claims({ scp: [Scope.Relay], scope: undefined }));
    const p = await createTokenVerifier({ publicKeyPem: rsa.pem }).verify(token);
    expect(p.subject).toBe('user-1');
    expect([...p.scopes]).toEqual([Scope.Relay]);
  });

  it('accepts ES256 via publicKeyPem', async () => {
    const token = await signWith(ec.privateKey, 'ES256', claims());
    expect((await createTokenVerifier({ publicKeyPem: ec.pem }).verify(token)).subject).toBe('user-1');
  });

  it('rejects an ES256 token at an RSA-key verifier (and vice versa) as algorithm not allowed', async () => {
    const es = await signWith(ec.privateKey, 'ES256', claims());
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: rsa.pem }).verify(es), 'token algorithm not allowed');
    const rs = await signWith(rsa.privateKey, 'RS256', claims());
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: ec.pem }).verify(rs), 'token algorithm not allowed');
  });

  it('rejects a valid HS256 token at a verifier with only a public key', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims());
    await expectUnauthenticated(createTokenVerifier({ publicKeyPem: rsa.pem }).verify(token), 'token algorithm not allowed');
  });

  it('rejects RS256 tokens at a secret-only verifier', async () => {
    const token = await signWith(rsa.privateKey, 'RS256', claims());
    await expectUnauthenticated(createTokenVerifier({ secret: SECRET }).verify(token), 'token algorithm not allowed');
  });

  it('rejects PS256 even when signed by the configured RSA key', async () => {
    const kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = kp.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pssKey = await importPKCS8(kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'PS256');
    const ps = await signWith(pssKey, 'PS256', claims());
    const v = createTokenVerifier({ publicKeyPem: spki });
    await expectUnauthenticated(v.verify(ps), 'token algorithm not allowed');
    // sanity: the same key pair does verify as RS256
    const rsKey = await importPKCS8(kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
    expect((await v.verify(await signWith(rsKey, 'RS256', claims()))).subject).toBe('user-1');
  });
});

// ---------------------------------------------------------------------------------------------------
// issuer / audience
// ---------------------------------------------------------------------------------------------------

describe('issuer and audience', () => {
  const v = (): TokenVerifier => createTokenVerifier({ secret: SECRET, issuer: 'https://idp.example', audience: 'engram' });

  it('accepts matching iss and aud (string or array aud)', async () => {
    const t1 = await signWith(enc(SECRET), 'HS256', claims({ iss: 'https://idp.example', aud: 'engram' }));
    expect((await v().verify(t1)).subject).toBe('user-1');
    const t2 = await signWith(enc(SECRET), 'HS256', claims({ iss: 'https://idp.example', aud: ['other', 'engram'] }));
    expect((await v().verify(t2)).subject).toBe('user-1');
  });

  it('rejects the wrong audience', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ iss: 'https://idp.example', aud: 'someone-else' }));
    await expectUnauthenticated(v().verify(token), 'token audience mismatch');
  });

  it('rejects a missing audience when one is configured', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ iss: 'https://idp.example' }));
    await expectUnauthenticated(v().verify(token), 'token missing aud claim');
  });

  it('rejects the wrong issuer', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ iss: 'https://evil.example', aud: 'engram' }));
    await expectUnauthenticated(v().verify(token), 'token issuer mismatch');
  });

  it('rejects a missing issuer when one is configured', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ aud: 'engram' }));
    await expectUnauthenticated(v().verify(token), 'token missing iss claim');
  });

  it('does not check iss/aud when not configured', async () => {
    const token = await signWith(enc(SECRET), 'HS256', claims({ iss: 'whoever', aud: 'whatever' }));
    expect((await createTokenVerifier({ secret: SECRET }).verify(token)).subject).toBe('user-1');
  });
});

// ---------------------------------------------------------------------------------------------------
// JWKS
// ---------------------------------------------------------------------------------------------------

describe('JWKS', () => {
  let server: Server;
  let jwksUrl: string;
  let hits = 0;

  beforeAll(async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
    const bodies: Record<string, string> = {
      '/.well-known/jwks.json': JSON.stringify({ keys: [jwk, ecJwk] }),
      // two RSA keys without kid: a kid-less token matches both, the verifier must try each
      '/multi.json': JSON.stringify({
        keys: [
          { ...(await exportJWK(otherRsa.publicKey)), alg: 'RS256' },
          { ...(await exportJWK(rsa.publicKey)), alg: 'RS256' },
        ],
      }),
      '/broken.json': '{"keys": [',
    };
    server = createServer((req, res) => {
      hits++;
      const body = bodies[req.url ?? ''];
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('verifies an RS256 token against jwksUrl', async () => {
    const before = hits;
    const token = await signWith(rsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' });
    const p = await createTokenVerifier({ jwksUrl }).verify(token);
    expect(p.subject).toBe('user-1');
    expect(hits).toBeGreaterThan(before); // really went over HTTP
  });

  it('verifies an ES256 token against jwksUrl', async () => {
    const token = await signWith(ec.privateKey, 'ES256', claims(), { kid: 'ec-1' });
    expect((await createTokenVerifier({ jwksUrl }).verify(token)).subject).toBe('user-1');
  });

  it('rejects an RS256 token signed by a key not in the JWKS (even reusing its kid)', async () => {
    const v = createTokenVerifier({ jwksUrl });
    const spoofKid = await signWith(otherRsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' });
    await expectUnauthenticated(v.verify(spoofKid), 'invalid token signature');
    const unknownKid = await signWith(otherRsa.privateKey, 'RS256', claims(), { kid: 'nope' });
    await expectUnauthenticated(v.verify(unknownKid), 'no matching token signing key');
  });

  it('rejects HS256 tokens at a JWKS-only verifier, including one keyed with the JWKS document', async () => {
    const v = createTokenVerifier({ jwksUrl });
    const jwksText = await (await fetch(jwksUrl)).text();
    await expectUnauthenticated(v.verify(handSignedHs256(claims(), jwksText)), 'token algorithm not allowed');
    await expectUnauthenticated(v.verify(handSignedHs256(claims(), rsa.pem, { alg: 'HS256', kid: 'rsa-1' })), 'token algorithm not allowed');
  });

  it('reports a non-200 JWKS response as the keys being unavailable (503), not a bad token', async () => {
    const v = createTokenVerifier({ jwksUrl: jwksUrl.replace('jwks.json', 'missing.json') });
    const token = await signWith(rsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' });
    await expectAuthUnavailable(v.verify(token));
  });

  it('reports an unreachable JWKS host as the keys being unavailable (503), not a bad token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const v = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    const token = await signWith(rsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' });
    await expectAuthUnavailable(v.verify(token));
  });

  it('reports a JWKS that is not valid JSON as the keys being unavailable (503), not a bad token', async () => {
    const v = createTokenVerifier({ jwksUrl: jwksUrl.replace('.well-known/jwks.json', 'broken.json') });
    const token = await signWith(rsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' });
    await expectAuthUnavailable(v.verify(token));
  });

  it('a JWKS endpoint down past the cache is 503 AUTH_UNAVAILABLE with a retry hint; up again, tokens verify', async () => {
    let up = true;
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' }] });
    const idp = createServer((_req, res) => {
      if (up) res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      else res.socket?.destroy(); // as if the provider were down
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
      const verifier = createTokenVerifier({ jwksUrl: url, jwksCacheMaxAgeMs: 200 });
      const token = await signWith(rsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' });
      expect((await verifier.verify(token)).subject).toBe('user-1'); // fetched and cached
      up = false;
      expect((await verifier.verify(token)).subject).toBe('user-1'); // within the cache: no fetch needed
      await new Promise((r) => setTimeout(r, 300));
      const err = await expectAuthUnavailable(verifier.verify(token)); // past the cache: provider outage
      expect(err.retryAfter).toBeGreaterThan(0);
      up = true;
      expect((await verifier.verify(token)).subject).toBe('user-1');
    } finally {
      await new Promise<void>((resolve) => idp.close(() => resolve()));
    }
  });

  it('tries every candidate when several JWKS keys match a kid-less token', async () => {
    const v = createTokenVerifier({ jwksUrl: jwksUrl.replace('.well-known/jwks.json', 'multi.json') });
    expect((await v.verify(await signWith(rsa.privateKey, 'RS256', claims()))).subject).toBe('user-1');
    expect((await v.verify(await signWith(otherRsa.privateKey, 'RS256', claims()))).subject).toBe('user-1');
    const stranger = await generateKeyPair('RS256');
    await expectUnauthenticated(v.verify(await signWith(stranger.privateKey, 'RS256', claims())), 'invalid token signature');
  });

  it('with both a static key and a JWKS, falls back to the JWKS only for RS/ES tokens', async () => {
    const v = createTokenVerifier({ publicKeyPem: otherRsa.pem, jwksUrl });
    expect((await v.verify(await signWith(otherRsa.privateKey, 'RS256', claims()))).subject).toBe('user-1');
    expect((await v.verify(await signWith(rsa.privateKey, 'RS256', claims(), { kid: 'rsa-1' }))).subject).toBe('user-1');
    const stranger = await generateKeyPair('RS256');
    await expectUnauthenticated(v.verify(await signWith(stranger.privateKey, 'RS256', claims(), { kid: 'rsa-1' })), 'invalid token signature');
    await expectUnauthenticated(v.verify(handSignedHs256(claims(), otherRsa.pem)), 'token algorithm not allowed');
  });

  it('refuses a plain-http JWKS URL on a non-loopback host', () => {
    expect(() => createTokenVerifier({ jwksUrl: 'http://idp.example/jwks.json' })).toThrow(/https/);
    expect(() => createTokenVerifier({ jwksUrl: 'not a url' })).toThrow(/valid URL/);
    expect(() => createTokenVerifier({ jwksUrl: 'https://idp.example/jwks.json' })).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------
// configuration
// ---------------------------------------------------------------------------------------------------

describe('configuration', () => {
  it('throws without any key configuration', () => {
    expect(() => createTokenVerifier({})).toThrow(/at least one of/);
    expect(() => createTokenVerifier({ issuer: 'x', audience: 'y' })).toThrow(/at least one of/);
  });

  it('throws for a secret shorter than 32 bytes (string and bytes)', () => {
    expect(() => createTokenVerifier({ secret: 'x'.repeat(31) })).toThrow(/at least 32 bytes/);
    expect(() => createTokenVerifier({ secret: randomBytes(31) })).toThrow(/at least 32 bytes/);
    expect(() => createTokenVerifier({ secret: '' })).toThrow(/at least 32 bytes/);
    expect(() => createTokenVerifier({ secret: 'x'.repeat(32) })).not.toThrow();
    // 11 three-byte characters = 33 bytes: length is measured in bytes, not characters
    expect(() => createTokenVerifier({ secret: '€'.repeat(11) })).not.toThrow();
  });

  it('throws for unusable public keys', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createTokenVerifier({ publicKeyPem: weak })).toThrow(/2048/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createTokenVerifier({ publicKeyPem: p384 })).toThrow(/P-256/);
    const priv = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => createTokenVerifier({ publicKeyPem: priv })).toThrow(/SPKI/);
    expect(() => createTokenVerifier({ publicKeyPem: '-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----' })).toThrow(/not a valid/);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createTokenVerifier({ publicKeyPem: ed })).toThrow(/RSA.*EC/);
  });

  it('throws for a negative clock tolerance', () => {
    expect(() => createTokenVerifier({ secret: SECRET, clockToleranceSec: -1 })).toThrow(/clockToleranceSec/);
  });
});

// ---------------------------------------------------------------------------------------------------
// parseBearer
// ---------------------------------------------------------------------------------------------------

describe('parseBearer', () => {
  it('extracts the token, scheme case-insensitive, trimmed', () => {
    expect(parseBearer('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(parseBearer('bearer abc')).toBe('abc');
    expect(parseBearer('BEARER abc')).toBe('abc');
    expect(parseBearer('  Bearer    abc  ')).toBe('abc');
    expect(parseBearer('Bearer\tabc')).toBe('abc');
  });

  it.each([undefined, '', '   ', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearerabc', 'Bearer a b', 'Token abc', 'abc'])(
    'rejects %j with UNAUTHENTICATED',
    (header) => {
      expectThrowsUnauthenticated(() => parseBearer(header));
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// signToken
// ---------------------------------------------------------------------------------------------------

describe('signToken', () => {
  it('produces an HS256 token that verifies and carries exp = iat + ttl and a jti', async () => {
    const token = await signToken({ secret: SECRET, subject: 'svc-7', scopes: [Scope.Read, Scope.Relay], ttlSeconds: 900 });
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe('HS256');
    const payload = decodeJwt(token);
    expect(typeof payload.iat).toBe('number');
    expect(payload.exp).toBe((payload.iat ?? NaN) + 900);
    expect(Math.abs((payload.iat ?? 0) - now())).toBeLessThanOrEqual(2);
    expect(typeof payload.jti).toBe('string');
    expect(payload.jti).not.toBe('');

    const p = await createTokenVerifier({ secret: SECRET }).verify(token);
    expect(p.subject).toBe('svc-7');
    expect([...p.scopes].sort()).toEqual([Scope.Read, Scope.Relay]);
    expect(p.tokenId).toBe(payload.jti);
    expect(p.expiresAt.getTime()).toBe((payload.exp ?? 0) * 1000);
  });

  it('issues a fresh jti each time', async () => {
    const a = decodeJwt(await signToken({ secret: SECRET, subject: 's', scopes: [], ttlSeconds: 60 }));
    const b = decodeJwt(await signToken({ secret: SECRET, subject: 's', scopes: [], ttlSeconds: 60 }));
    expect(a.jti).not.toBe(b.jti);
  });

  it('sets iss/aud that a configured verifier accepts, and another rejects', async () => {
    const token = await signToken({ secret: SECRET, subject: 's', scopes: [], ttlSeconds: 60, issuer: 'engram', audience: 'engram-api' });
    expect((await createTokenVerifier({ secret: SECRET, issuer: 'engram', audience: 'engram-api' }).verify(token)).subject).toBe('s');
    await expectUnauthenticated(
      createTokenVerifier({ secret: SECRET, issuer: 'engram', audience: 'other' }).verify(token),
      'token audience mismatch',
    );
  });

  it('is not verifiable with another secret', async () => {
    const token = await signToken({ secret: SECRET, subject: 's', scopes: [], ttlSeconds: 60 });
    await expectUnauthenticated(createTokenVerifier({ secret: OTHER_SECRET }).verify(token), 'invalid token signature');
  });

  it('refuses weak secrets and bad inputs', async () => {
    await expect(signToken({ secret: 'short', subject: 's', scopes: [], ttlSeconds: 60 })).rejects.toThrow(/32 bytes/);
    await expect(signToken({ secret: SECRET, subject: '', scopes: [], ttlSeconds: 60 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // Subjects the server would refuse are refused when minting too.
    for (const subject of ['has space', 'a/b', '-x', 'x'.repeat(129), 'é']) {
      await expect(signToken({ secret: SECRET, subject, scopes: [], ttlSeconds: 60 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    await expect(signToken({ secret: SECRET, subject: 's', scopes: [], ttlSeconds: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(signToken({ secret: SECRET, subject: 's', scopes: ['a b'], ttlSeconds: 60 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
