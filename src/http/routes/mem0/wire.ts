import { Errors } from '../../../errors/app-error.js';
import { parseTimestamp } from '../../../memory/input-checks.js';
import type { SearchFilters } from '../../../store/memory-repository.js';

/**
 * mem0's wire format, mapped onto Engram's domain: its entity ids, filters and memory objects. mem0's
 * `agent_id`, `app_id` and `run_id` are kept in the memory's metadata (and filter on it); the user is
 * Engram's user (the token's subject, or a `user_id` a relay token may name).
 */
export const SCOPE_KEYS = ['agent_id', 'app_id', 'run_id'] as const;

/** Refuses fields of a body that Engram cannot honour (NOT_SUPPORTED, named) or does not know (VALIDATION_FAILED). */
export function checkFields(body: Record<string, unknown>, where: string, known: { supported: readonly string[]; ignored?: readonly string[]; unsupported?: Record<string, string> }) {
  for (const [key, value] of Object.entries(body)) {
    if (known.supported.includes(key) || known.ignored?.includes(key)) continue;
    const why = known.unsupported?.[key];
    if (why !== undefined) {
      if (value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0)) continue;
      throw Errors.notSupported(`${where}: ${key} is not supported by Engram (${why})`);
    }
    throw Errors.validation(`${where} has an unknown field "${key.slice(0, 64)}"`);
  }
}

/** A body field that must be a JSON object when given (metadata). */
export function optionalObject(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw Errors.validation(`${name} must be an object`);
  return value as Record<string, unknown>;
}

export interface Mem0Filters {
  userId?: string;
  filters: SearchFilters;
}

/**
 * mem0's filters: `{ user_id, agent_id, app_id, run_id, created_at: { gte, gt, lte, lt }, metadata }`,
 * or `{ AND: [ …those… ] }`. OR, NOT, categories and other fields answer NOT_SUPPORTED.
 */
export function parseFilters(input: unknown, extraMetadata?: Record<string, unknown>): Mem0Filters {
  const out: Mem0Filters = { filters: {} };
  const metadata: Record<string, unknown> = { ...(extraMetadata ?? {}) };
  const visit = (f: unknown, path: string) => {
    if (f === undefined || f === null) return;
    if (typeof f !== 'object' || Array.isArray(f)) throw Errors.validation(`${path} must be an object`);
    for (const [key, value] of Object.entries(f as Record<string, unknown>)) {
      const at = `${path}.${key}`;
      if (key === 'AND') {
        if (!Array.isArray(value)) throw Errors.validation(`${at} must be an array`);
        value.forEach((v, i) => visit(v, `${at}[${i}]`));
      } else if (key === 'user_id') {
        if (typeof value !== 'string') throw Errors.validation(`${at} must be a string`);
        if (out.userId !== undefined && out.userId !== value) throw Errors.validation(`${at}: one user_id per request`);
        out.userId = value;
      } else if ((SCOPE_KEYS as readonly string[]).includes(key)) {
        if (typeof value !== 'string') throw Errors.validation(`${at} must be a string`);
        metadata[key] = value;
      } else if (key === 'metadata') {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw Errors.validation(`${at} must be an object`);
        Object.assign(metadata, value);
      } else if (key === 'created_at') {
        dateRange(value, at, out.filters);
      } else if (key === 'OR' || key === 'NOT') {
        throw Errors.notSupported(`${at}: ${key} filters are not supported by Engram (only AND of equalities and a created_at range)`);
      } else {
        throw Errors.notSupported(`${at}: filtering on ${key.slice(0, 64)} is not supported by Engram (user_id, agent_id, app_id, run_id, metadata, created_at)`);
      }
    }
  };
  visit(input, 'filters');
  if (Object.keys(metadata).length > 0) out.filters.metadata = metadata;
  return out;
}

function dateRange(value: unknown, at: string, filters: SearchFilters) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw Errors.validation(`${at} must be an object of gte, gt, lte, lt`);
  for (const [op, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw Errors.validation(`${at}.${op} must be a date-time string`);
    const t = timestamp(v, `${at}.${op}`);
    if (op === 'gte') filters.createdAfter = t;
    else if (op === 'gt') filters.createdAfter = new Date(t.getTime() + 1);
    else if (op === 'lt') filters.createdBefore = t;
    else if (op === 'lte') filters.createdBefore = new Date(t.getTime() + 1);
    else throw Errors.validation(`${at} has an unknown operator "${op.slice(0, 16)}" (gte, gt, lte, lt)`);
  }
}

/** mem0's expiration_date ("YYYY-MM-DD", or a date-time): the memory expires at the end of that day (UTC). */
export function parseExpiration(value: unknown, at: string): Date | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'string') throw Errors.validation(`${at} must be a date (YYYY-MM-DD) or null`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(timestamp(`${value}T00:00:00Z`, at).getTime() + 86_400_000 - 1);
  return timestamp(value, at);
}

function timestamp(value: string, at: string): Date {
  const t = parseTimestamp(value);
  if (!t) throw Errors.validation(`${at} must be an RFC 3339 date-time (or YYYY-MM-DD)`);
  return t;
}

export interface StoredMemory {
  memoryId: string;
  text: string | undefined;
  metadata: Record<string, unknown>;
  createdAt: Date;
  /** Absent where the caller does not know them (a search hit). */
  updatedAt?: Date;
  expiresAt?: Date | null;
}

/** A memory as mem0's API returns one. */
export function toMem0(userId: string, m: StoredMemory, extra: Record<string, unknown> = {}) {
  const scope = Object.fromEntries(SCOPE_KEYS.map((k) => [k, typeof m.metadata[k] === 'string' ? m.metadata[k] : null]));
  return {
    id: m.memoryId,
    memory: m.text ?? null,
    user_id: userId,
    ...scope,
    metadata: m.metadata,
    categories: [],
    created_at: m.createdAt.toISOString(),
    ...(m.updatedAt ? { updated_at: m.updatedAt.toISOString() } : {}),
    ...(m.expiresAt !== undefined ? { expiration_date: m.expiresAt?.toISOString() ?? null } : {}),
    owner: userId,
    immutable: false,
    ...extra,
  };
}
