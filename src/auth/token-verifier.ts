/**
 * Bearer-token (JWT) verification and minting. Infrastructure shared by the HTTP layer and the CLI,
 * so it must not depend on Fastify.
 *
 * Security model:
 *  - Algorithms come from a fixed allow-list: HS256 (only when a secret is configured), RS256/ES256
 *    (only when a public key or JWKS is configured). `none` and every other algorithm are refused.
 *  - The verification key is chosen from the token header's `alg` *family* before anything is verified:
 *    an HS256 token is only ever checked against the HMAC secret and an RS256/ES256 token only against
 *    the public key / JWKS, so a token "signed" with the public key text as an HMAC secret can never
 *    verify (HS/RS algorithm confusion). jose's `algorithms` option is additionally pinned per call.
 *  - `exp` and `sub` are required; `iss`/`aud` are enforced when configured; `nbf` is honoured; with a
 *    maximum token age, `iat` is required and a token issued longer ago is refused.
 *  - `sub` must be a valid user_id (Patterns.userId): it is the user the token acts as.
 *  - Every failure surfaces as `Errors.unauthenticated(detail)` with a short fixed detail that never
 *    echoes the token or attacker-controlled content — except a JWKS that cannot be fetched (and has
 *    no usable cached key), which is `Errors.authUnavailable()` (503): the client is not at fault.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { AppError, Errors } from '../errors/app-error.js';
import { Patterns } from '../memory/limits.js';

export const Scope = { Read: 'memory:read', Write: 'memory:write', Relay: 'memory:relay' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export interface Principal {
  subject: string;
  scopes: ReadonlySet<string>;
  tokenId?: string;
  expiresAt: Date;
}

export interface TokenVerifierOptions {
  /** HMAC secret for HS256; at least 32 bytes. */
  secret?: Uint8Array | string;
  /** RS256 (RSA ≥ 2048 bits) or ES256 (P-256) public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem?: string;
  /** JWKS endpoint for RS256/ES256 keys. Must be https, except for loopback hosts. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Allowed clock skew for exp/nbf, in seconds. Default 5. */
  clockToleranceSec?: number;
  /** Set: tokens must carry `iat` and be at most this old (seconds), whatever their `exp`. */
  maxTokenAgeSec?: number;
  /** How long fetched JWKS keys are used without refetching (ms). Default jose's, 10 minutes. */
  jwksCacheMaxAgeMs?: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

const MIN_SECRET_BYTES = 32;
const USER_ID = new RegExp(Patterns.userId);
/** Anything longer is not a token we issue or accept; refuse before parsing. */
const MAX_TOKEN_LENGTH = 8192;
/** Bound on how many same-kid/kid-less JWKS candidates are tried for one token. */
const MAX_JWKS_CANDIDATES = 5;
const DEFAULT_CLOCK_TOLERANCE_SEC = 5;

type AsymmetricAlg = 'RS256' | 'ES256';
const ASYMMETRIC_ALGS: ReadonlySet<string> = new Set<AsymmetricAlg>(['RS256', 'ES256']);

// ---------------------------------------------------------------------------------------------------
// Configuration helpers (throw plain Errors: these are operator mistakes, not client failures)
// ---------------------------------------------------------------------------------------------------

function secretBytes(secret: Uint8Array | string): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new Error(`token secret must be at least ${MIN_SECRET_BYTES} bytes (HS256)`);
  }
  return bytes;
}

/** Validates the PEM synchronously and tells which single algorithm it may verify. */
function algForPublicKeyPem(pem: string): AsymmetricAlg {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    throw new Error('publicKeyPem must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('publicKeyPem is not a valid public key');
  }
  if (key.type !== 'public') throw new Error('publicKeyPem must be a public key');
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) throw new Error('publicKeyPem RSA key must be at least 2048 bits');
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') throw new Error('publicKeyPem EC key must use the P-256 curve (ES256)');
    return 'ES256';
  }
  throw new Error('publicKeyPem must be an RSA (RS256) or P-256 EC (ES256) key');
}

function parseJwksUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('jwksUrl is not a valid URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('jwksUrl must use https (plain http is only allowed for loopback hosts)');
  }
  return url;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

// ---------------------------------------------------------------------------------------------------
// Error mapping
// ---------------------------------------------------------------------------------------------------

const CLAIM_DETAIL: Record<string, string> = {
  aud: 'token audience mismatch',
  iss: 'token issuer mismatch',
  nbf: 'token not yet valid',
};
const KNOWN_CLAIMS = new Set(['exp', 'sub', 'iat', 'nbf', 'iss', 'aud', 'jti']);

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Map anything thrown while verifying to a fixed, non-leaky 401. */
function toUnauthenticated(err: unknown): AppError {
  if (err instanceof AppError) return err;
  switch (errorCode(err)) {
    case 'ERR_JWT_EXPIRED':
      // jose reports a token past the maximum age as expired with the claim `iat`.
      return Errors.unauthenticated((err as { claim?: unknown }).claim === 'iat' ? 'token too old' : 'token expired');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return Errors.unauthenticated('invalid token signature');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return Errors.unauthenticated('token algorithm not allowed');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const e = err as { claim?: unknown; reason?: unknown };
      const claim = typeof e.claim === 'string' ? e.claim : '';
      if (e.reason === 'missing' && KNOWN_CLAIMS.has(claim)) return Errors.unauthenticated(`token missing ${claim} claim`);
      const fixed = CLAIM_DETAIL[claim];
      if (fixed && e.reason !== 'invalid') return Errors.unauthenticated(fixed);
      if (KNOWN_CLAIMS.has(claim)) return Errors.unauthenticated(`invalid token ${claim} claim`);
      return Errors.unauthenticated('token claim validation failed');
    }
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return Errors.unauthenticated('malformed token');
    case 'ERR_JOSE_NOT_SUPPORTED':
      return Errors.unauthenticated('unsupported token');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return Errors.unauthenticated('no matching token signing key');
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return Errors.authUnavailable(err);
    case 'ERR_JWK_INVALID':
      return Errors.unauthenticated('token signing keys unavailable');
    default:
      // TypeErrors from malformed input (e.g. undecodable header), network errors fetching the JWKS, …
      return Errors.unauthenticated('invalid token');
  }
}

// ---------------------------------------------------------------------------------------------------
// Claims → Principal
// ---------------------------------------------------------------------------------------------------

function parseScopes(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  const add = (value: unknown): void => {
    if (value === undefined) return;
    if (typeof value === 'string') {
      for (const s of value.split(/\s+/)) if (s) scopes.add(s);
      return;
    }
    if (Array.isArray(value) && value.every((s): s is string => typeof s === 'string')) {
      for (const s of value) if (s.trim()) scopes.add(s.trim());
      return;
    }
    throw Errors.unauthenticated('invalid token scope claim');
  };
  add(payload['scope']);
  add(payload['scp']);
  return scopes;
}

function toPrincipal(payload: JWTPayload): Principal {
  const { sub, exp, jti } = payload;
  // jose already enforced presence (requiredClaims) and that exp is a number; re-check the shapes anyway.
  if (typeof sub !== 'string' || sub.length === 0) throw Errors.unauthenticated('invalid token sub claim');
  // The subject is the user the token acts as: one that cannot be a user_id could never be served.
  if (!USER_ID.test(sub)) throw Errors.unauthenticated('token subject is not a valid user_id');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw Errors.unauthenticated('token missing exp claim');
  const principal: Principal = { subject: sub, scopes: parseScopes(payload), expiresAt: new Date(exp * 1000) };
  if (typeof jti === 'string' && jti.length > 0) principal.tokenId = jti;
  return principal;
}

// ---------------------------------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------------------------------

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const { secret, publicKeyPem, jwksUrl, issuer, audience } = opts;
  if (secret === undefined && publicKeyPem === undefined && jwksUrl === undefined) {
    throw new Error('token verifier needs at least one of secret, publicKeyPem or jwksUrl');
  }
  const clockTolerance = opts.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new Error('clockToleranceSec must be a non-negative number');
  }

  const hmacKey = secret === undefined ? undefined : secretBytes(secret);

  let pemAlg: AsymmetricAlg | undefined;
  let pemKey: Promise<CryptoKey> | undefined;
  if (publicKeyPem !== undefined) {
    pemAlg = algForPublicKeyPem(publicKeyPem);
    if (hmacKey && bytesEqual(hmacKey, new TextEncoder().encode(publicKeyPem))) {
      throw new Error('token secret must not be the public key');
    }
    pemKey = importSPKI(publicKeyPem, pemAlg);
    pemKey.catch(() => undefined); // surfaced (as a 401) by verify(); avoid an unhandled rejection meanwhile
  }

  const maxTokenAge = opts.maxTokenAgeSec;
  if (maxTokenAge !== undefined && !(Number.isInteger(maxTokenAge) && maxTokenAge > 0)) {
    throw new Error('maxTokenAgeSec must be a positive integer');
  }

  const jwks =
    jwksUrl === undefined
      ? undefined
      : createRemoteJWKSet(parseJwksUrl(jwksUrl), {
          ...(opts.jwksCacheMaxAgeMs !== undefined ? { cacheMaxAge: opts.jwksCacheMaxAgeMs } : {}),
        });

  const baseOptions: JWTVerifyOptions = {
    requiredClaims: maxTokenAge !== undefined ? ['exp', 'sub', 'iat'] : ['exp', 'sub'],
    clockTolerance,
    ...(maxTokenAge !== undefined ? { maxTokenAge } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(audience !== undefined ? { audience } : {}),
  };

  async function verifyWithJwks(token: string, alg: AsymmetricAlg): Promise<JWTPayload> {
    if (!jwks) throw Errors.unauthenticated('token algorithm not allowed');
    const remote = jwks;
    const options: JWTVerifyOptions = { ...baseOptions, algorithms: [alg] };
    // Key-set fetch problems (network, non-200, bad JSON, timeout) with no usable cached key are the
    // provider's outage, not a bad token: 503 AUTH_UNAVAILABLE. "No key for this token" and "several
    // candidate keys" keep their jose errors (the latter carries the candidates).
    const getKey: JWTVerifyGetKey = async (header, input) => {
      try {
        return await remote(header, input);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
        throw Errors.authUnavailable(err);
      }
    };
    try {
      return (await jwtVerify(token, getKey, options)).payload;
    } catch (err) {
      // Several keys match (no/duplicate kid): jose lets us try each candidate in turn.
      if (errorCode(err) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || !(Symbol.asyncIterator in (err as object))) throw err;
      let tried = 0;
      for await (const candidate of err as AsyncIterable<CryptoKey>) {
        if (++tried > MAX_JWKS_CANDIDATES) break;
        try {
          return (await jwtVerify(token, candidate, options)).payload;
        } catch (inner) {
          if (errorCode(inner) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw inner;
        }
      }
      throw Errors.unauthenticated('invalid token signature');
    }
  }

  async function verifyPayload(token: string): Promise<JWTPayload> {
    const header = decodeProtectedHeader(token);
    const alg = header.alg;
    if (typeof alg !== 'string') throw Errors.unauthenticated('malformed token');

    if (alg === 'HS256') {
      // HMAC tokens are only ever checked against the configured secret — never against public key material.
      if (!hmacKey) throw Errors.unauthenticated('token algorithm not allowed');
      return (await jwtVerify(token, hmacKey, { ...baseOptions, algorithms: ['HS256'] })).payload;
    }

    if (ASYMMETRIC_ALGS.has(alg)) {
      const asymAlg = alg as AsymmetricAlg;
      if (pemKey && pemAlg === asymAlg) {
        try {
          return (await jwtVerify(token, await pemKey, { ...baseOptions, algorithms: [asymAlg] })).payload;
        } catch (err) {
          // With both a static key and a JWKS configured, a token the static key can't verify may be a JWKS one.
          if (!jwks || errorCode(err) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw err;
        }
      }
      return verifyWithJwks(token, asymAlg);
    }

    // none, HS384/512, PS*, ES384/512, EdDSA, anything unknown.
    throw Errors.unauthenticated('token algorithm not allowed');
  }

  return {
    async verify(token: string): Promise<Principal> {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw Errors.unauthenticated('malformed token');
      }
      let payload: JWTPayload;
      try {
        payload = await verifyPayload(token);
      } catch (err) {
        throw toUnauthenticated(err);
      }
      return toPrincipal(payload);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Authorization header & minting
// ---------------------------------------------------------------------------------------------------

/** Extracts `<t>` from `Authorization: Bearer <t>` (scheme case-insensitive); 401 when missing/malformed. */
export function parseBearer(header: string | undefined, schemes: readonly string[] = ['Bearer']): string {
  if (typeof header !== 'string') throw Errors.unauthenticated();
  const match = /^(\S+)[ \t]+(\S+)$/.exec(header.trim());
  if (!match || !schemes.some((s) => s.toLowerCase() === match[1]!.toLowerCase())) throw Errors.unauthenticated();
  const token = match[2];
  if (!token) throw Errors.unauthenticated();
  return token;
}

/** Mints an HS256 token with iat, exp (= iat + ttlSeconds) and a random jti. */
export async function signToken(opts: {
  secret: Uint8Array | string;
  subject: string;
  scopes: string[];
  ttlSeconds: number;
  issuer?: string;
  audience?: string;
}): Promise<string> {
  const key = secretBytes(opts.secret);
  const { subject, scopes, ttlSeconds } = opts;
  if (!isValidSubject(subject)) {
    throw Errors.validation(`subject must be a valid user id: 1-128 of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit`);
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw Errors.validation('ttlSeconds must be a positive integer');
  }
  for (const s of scopes) {
    if (typeof s !== 'string' || s.length === 0 || /\s/.test(s)) {
      throw Errors.validation('scopes must be non-empty strings without whitespace');
    }
  }
  const iat = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(randomUUID());
  if (opts.issuer !== undefined) jwt.setIssuer(opts.issuer);
  if (opts.audience !== undefined) jwt.setAudience(opts.audience);
  return jwt.sign(key);
}

/** Whether a token for this subject would be accepted: the subject must be a valid user_id. */
export function isValidSubject(subject: unknown): subject is string {
  return typeof subject === 'string' && USER_ID.test(subject);
}
