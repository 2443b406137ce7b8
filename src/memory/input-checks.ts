/**
 * Checks on client input that the HTTP schemas cannot express and the database would otherwise
 * refuse with an error (a 5xx): what PostgreSQL's jsonb, uuid and timestamptz types accept. The
 * domain calls them, so the CLI and every route get the same 4xx.
 */
import { Errors } from '../errors/app-error.js';
import { Limits, Patterns } from './limits.js';

/** Canonical UUID text only: PostgreSQL refuses the `urn:uuid:` prefix that ajv's `uuid` format allows. */
export const UUID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
const UUID = new RegExp(UUID_PATTERN);
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export function assertMemoryId(id: string): void {
  if (!isUuid(id)) throw Errors.validation('memory id must be a UUID (8-4-4-4-12 hex digits)');
}

/** The instants we accept: years 1..9999, well inside what JS dates, PostgreSQL and PGlite hold. */
const MIN_TIME = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_TIME = new Date('9999-12-31T23:59:59.999Z').getTime();
export const isTimeInRange = (date: Date): boolean => {
  const t = date.getTime();
  return Number.isFinite(t) && t >= MIN_TIME && t <= MAX_TIME;
};

// RFC 3339 date-time, no leap second (JS and PostgreSQL cannot represent :60).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** A strict RFC 3339 timestamp as a Date, or undefined: no leap seconds, real calendar days, years 1..9999. */
export function parseTimestamp(value: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  // Date.UTC rolls 31 February over into March: compare the day back.
  const calendar = new Date(Date.UTC(2000, month - 1, day));
  if (day < 1 || calendar.getUTCMonth() !== month - 1) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  const date = new Date(value.replace(' ', 'T'));
  return year >= 1 && isTimeInRange(date) ? date : undefined;
}

/** A filter bound given as a Date (the CLI) or parsed by the route: valid and within range. */
export function assertFilterDate(date: Date | undefined, field: string): void {
  if (date !== undefined && !(date instanceof Date && isTimeInRange(date))) {
    throw Errors.validation(`${field} must be a date-time between years 1 and 9999`);
  }
}

// U+0000 and lone surrogates: valid in a JS string and in JSON text, refused by jsonb.
// eslint-disable-next-line no-control-regex
const JSONB_UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Metadata (stored or used as a filter) must be a JSON object within the size and depth limits whose
 * keys and strings jsonb can hold. The walk is iterative and stops at the depth limit, so a body of
 * 5,000 nested arrays is refused without recursion; the size is measured only after that.
 */
const METADATA_KEY = new RegExp(Patterns.metadataKey);

export function assertMetadata(metadata: unknown, field = 'metadata'): asserts metadata is Record<string, unknown> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw Errors.validation(`${field} must be a JSON object`);
  }
  // The route schemas say the same (propertyNames); callers without one (the mem0 routes) rely on this.
  const badKey = Object.keys(metadata).find((key) => !METADATA_KEY.test(key));
  if (badKey !== undefined) throw Errors.validation(`${field} has an invalid key ${JSON.stringify(badKey.slice(0, 64))}: keys must match ${Patterns.metadataKey}`);
  const stack: Array<{ value: unknown; depth: number }> = [{ value: metadata, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (JSONB_UNSAFE.test(value)) throw Errors.validation(`${field} strings must not contain U+0000 or unpaired surrogates`);
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw Errors.validation(`${field} numbers must be finite`);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > Limits.metadataDepth) throw Errors.validation(`${field} may nest at most ${Limits.metadataDepth} levels`);
    for (const [key, child] of Object.entries(value)) {
      if (JSONB_UNSAFE.test(key)) throw Errors.validation(`${field} keys must not contain U+0000 or unpaired surrogates`);
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > Limits.metadataBytes) {
    throw Errors.payloadTooLarge(`${field} must be at most ${Limits.metadataBytes} bytes of JSON`);
  }
}

/** A list cursor: the position after the last row of a page, opaque to clients. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: Cursor): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2) {
      const [at, id] = decoded as unknown[];
      const createdAt = typeof at === 'string' ? parseTimestamp(at) : undefined;
      if (createdAt && isUuid(id)) return { createdAt, id };
    }
  } catch {
    // fall through
  }
  throw Errors.validation('cursor is not valid');
}

/**
 * The dates a write brings along (an import): within range, not in the future beyond a small clock
 * skew, and updated no earlier than created.
 */
export function assertWrittenDates(createdAt: Date | undefined, updatedAt: Date | undefined, now = Date.now()): void {
  for (const [date, field] of [[createdAt, 'created_at'], [updatedAt, 'updated_at']] as const) {
    if (date === undefined) continue;
    if (!(date instanceof Date) || !isTimeInRange(date)) throw Errors.validation(`${field} must be a date-time between years 1 and 9999`);
    if (date.getTime() > now + Limits.importClockSkewMs) throw Errors.validation(`${field} must not be in the future`);
  }
  if (createdAt && updatedAt && updatedAt < createdAt) throw Errors.validation('updated_at must not be before created_at');
  if (!createdAt && updatedAt && updatedAt.getTime() < now - Limits.importClockSkewMs) {
    throw Errors.validation('updated_at in the past needs created_at too');
  }
}

/** Text over the contract limit is a payload problem (413), counted in UTF-8 bytes. */
export function assertText(text: string): void {
  if (Buffer.byteLength(text, 'utf8') > Limits.textBytes) {
    throw Errors.payloadTooLarge(`text must be at most ${Limits.textBytes} bytes`);
  }
}
