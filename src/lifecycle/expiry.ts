import { Errors } from '../errors/app-error.js';
import { isTimeInRange } from '../memory/input-checks.js';
import { Limits } from '../memory/limits.js';

/**
 * When a memory expires, from what a request gives (index or update): `expiresAt` (a Date, or null
 * for never) or `ttlSeconds` (from now), never both. Neither: `undefined`, i.e. "not said", which
 * an index turns into the deployment default (MEMORY_DEFAULT_TTL_SECONDS) and an update into
 * "unchanged". Times are the service's clock; the database compares them with its own `now()`
 * (keep both on NTP). Throws a 400 AppError for a bad request.
 */
export interface ExpiryRequest {
  expiresAt?: Date | null;
  ttlSeconds?: number;
}

export function resolveExpiry(request: ExpiryRequest, now: Date = new Date()): Date | null | undefined {
  const { expiresAt, ttlSeconds } = request;
  if (expiresAt !== undefined && ttlSeconds !== undefined) {
    throw Errors.validation('give expires_at or ttl_seconds, not both');
  }
  if (ttlSeconds !== undefined) return afterSeconds(ttlSeconds, now, 'ttl_seconds');
  if (expiresAt === undefined || expiresAt === null) return expiresAt;
  if (!(expiresAt instanceof Date) || !isTimeInRange(expiresAt)) {
    throw Errors.validation('expires_at must be a date-time between years 1 and 9999');
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw Errors.validation(`expires_at must be in the future (it is ${expiresAt.toISOString()}, now is ${now.toISOString()})`);
  }
  return expiresAt;
}

/** An index's expiry: what the request says, else the deployment default (undefined: never). */
export function expiryOnIndex(resolved: Date | null | undefined, defaultTtlSeconds: number | undefined, now: Date = new Date()): Date | null {
  if (resolved !== undefined) return resolved;
  return defaultTtlSeconds === undefined ? null : afterSeconds(defaultTtlSeconds, now, 'MEMORY_DEFAULT_TTL_SECONDS');
}

function afterSeconds(seconds: number, now: Date, field: string): Date {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > Limits.ttlSecondsMax) {
    throw Errors.validation(`${field} must be an integer in 1..${Limits.ttlSecondsMax}`);
  }
  return new Date(now.getTime() + seconds * 1000);
}
