import { Errors } from '../errors/app-error.js';
import { isTimeInRange } from '../memory/input-checks.js';
import { Limits } from '../memory/limits.js';

/**
 * The new expiry an update asks for: `expiresAt` (a future instant, or null: never) or `ttlSeconds`
 * (1..Limits.ttlSecondsMax from `now`), not both. undefined: the update leaves the expiry as it is.
 * Throws a 400 AppError naming the field. Kept on its own so that it can give way to the index
 * path's expiry rules (src/lifecycle/expiry.ts) when the two meet.
 */
export function resolveUpdateExpiry(
  change: { expiresAt?: Date | null; ttlSeconds?: number },
  now: Date = new Date(),
): Date | null | undefined {
  const { expiresAt, ttlSeconds } = change;
  if (expiresAt !== undefined && ttlSeconds !== undefined) throw Errors.validation('give expires_at or ttl_seconds, not both');
  if (ttlSeconds !== undefined) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > Limits.ttlSecondsMax) {
      throw Errors.validation(`ttl_seconds must be an integer in 1..${Limits.ttlSecondsMax}`);
    }
    return new Date(now.getTime() + ttlSeconds * 1000);
  }
  if (expiresAt === undefined || expiresAt === null) return expiresAt;
  if (!(expiresAt instanceof Date) || !isTimeInRange(expiresAt)) {
    throw Errors.validation('expires_at must be a date-time between years 1 and 9999');
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw Errors.validation('expires_at must be in the future (to remove a memory, delete it)');
  }
  return expiresAt;
}
