import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors/app-error.js';
import { expiryOnIndex, resolveExpiry } from '../../src/lifecycle/expiry.js';

const now = new Date('2030-05-01T12:00:00.000Z');

/** Refused with a 400 AppError whose detail matches. */
const refused = (fn: () => unknown, detail: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(isAppError(err) && err.statusCode).toBe(400);
    expect((err as Error).message).toMatch(detail);
    return;
  }
  throw new Error('not refused');
};

describe('resolveExpiry (index and update)', () => {
  it('nothing said: undefined (the index default, or unchanged on update)', () => {
    expect(resolveExpiry({}, now)).toBeUndefined();
  });

  it('null: never; a future date: that date; ttl_seconds: from now', () => {
    expect(resolveExpiry({ expiresAt: null }, now)).toBeNull();
    const at = new Date('2030-05-01T12:00:00.001Z');
    expect(resolveExpiry({ expiresAt: at }, now)).toEqual(at);
    expect(resolveExpiry({ ttlSeconds: 90 }, now)).toEqual(new Date('2030-05-01T12:01:30.000Z'));
  });

  it('refuses both at once, a date not in the future, an invalid or out-of-range date, a bad ttl', () => {
    refused(() => resolveExpiry({ expiresAt: new Date('2031-01-01T00:00:00Z'), ttlSeconds: 5 }, now), /not both/);
    refused(() => resolveExpiry({ expiresAt: null, ttlSeconds: 5 }, now), /not both/);
    refused(() => resolveExpiry({ expiresAt: now }, now), /in the future/);
    refused(() => resolveExpiry({ expiresAt: new Date('2020-01-01T00:00:00Z') }, now), /in the future/);
    refused(() => resolveExpiry({ expiresAt: new Date('nonsense') }, now), /between years 1 and 9999/);
    refused(() => resolveExpiry({ expiresAt: new Date(Date.UTC(10000, 0, 1)) }, now), /between years 1 and 9999/);
    for (const ttl of [0, -1, 1.5, Number.NaN, 10 * 365 * 24 * 3600 + 1]) refused(() => resolveExpiry({ ttlSeconds: ttl }, now), /ttl_seconds/);
  });
});

describe('expiryOnIndex', () => {
  it('the request wins; otherwise the deployment default; otherwise never', () => {
    const at = new Date('2031-01-01T00:00:00Z');
    expect(expiryOnIndex(at, 60, now)).toEqual(at);
    expect(expiryOnIndex(null, 60, now)).toBeNull();
    expect(expiryOnIndex(undefined, 60, now)).toEqual(new Date('2030-05-01T12:01:00.000Z'));
    expect(expiryOnIndex(undefined, undefined, now)).toBeNull();
  });
});
