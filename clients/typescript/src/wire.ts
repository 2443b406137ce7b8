/**
 * The one place where names change: the client speaks camelCase, the service snake_case JSON.
 *
 * Requests are built field by field (each typed as the body the OpenAPI document describes, so a
 * misspelt or removed field does not compile). Responses are converted by fromWire(), which renames
 * every key (`memory_id` → `memoryId`) except inside user data: a `metadata` object is returned
 * exactly as stored, key for key.
 */
import type { operations } from './openapi.js';
import type {
  AddOptions,
  BatchItem,
  EntitiesRequest,
  Instant,
  MemoryUpdate,
  PageOptions,
  SearchOptions,
  SummarizeRequest,
} from './types.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Body<Op extends keyof operations> = Json<operations[Op]['requestBody']>;
type Responses<Op extends keyof operations> = operations[Op]['responses'];
/** The JSON body of an operation's response with that status. */
export type Reply<Op extends keyof operations, Status extends number = 200> = Status extends keyof Responses<Op> ? Json<Responses<Op>[Status]> : never;

/** Keys whose values are the user's own data: passed through untouched, never renamed. */
const VERBATIM = new Set(['metadata']);

/** `memory_id` → `memoryId`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** A service JSON type with every key camelCased, except inside `metadata`. */
export type Camelized<T> = T extends readonly (infer U)[]
  ? Camelized<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: K extends 'metadata' ? T[K] : Camelized<T[K]> }
    : T;

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A response (or an NDJSON line) of the service, camelCased; `metadata` values untouched. */
export function fromWire<T>(value: T): Camelized<T> {
  return convert(value) as Camelized<T>;
}

function convert(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(convert);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[camel(key)] = VERBATIM.has(key) ? v : convert(v);
  return out;
}

const instant = <T extends Instant | null | undefined>(v: T) => (v instanceof Date ? v.toISOString() : v) as Exclude<T, Date>;

/** Drops undefined fields: the service refuses unknown fields strictly (null is kept: it means something). */
export function compact<T extends object>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T;
}

type UserField = { user_id?: string };

function newMemory(item: BatchItem): Body<'indexMemoryBatch'>['items'][number] {
  return compact<Body<'indexMemoryBatch'>['items'][number]>({
    text: item.text,
    source: item.source,
    metadata: item.metadata,
    expires_at: instant(item.expiresAt),
    ttl_seconds: item.ttlSeconds,
    dedup: item.dedup,
    created_at: instant(item.createdAt),
    updated_at: instant(item.updatedAt),
  });
}

export function indexBody(user: UserField, text: string, o: AddOptions): Body<'indexMemory'> {
  return { ...user, ...newMemory({ ...o, text }) };
}

export function batchBody(user: UserField, items: BatchItem[]): Body<'indexMemoryBatch'> {
  return { ...user, items: items.map(newMemory) };
}

export function queryBody(user: UserField, query: string, o: SearchOptions): Body<'queryMemory'> {
  const f = o.filters;
  const filters: Body<'queryMemory'>['filters'] = f && {
    source: f.source,
    metadata: f.metadata,
    created_after: instant(f.createdAfter),
    created_before: instant(f.createdBefore),
  };
  return compact<Body<'queryMemory'>>({
    ...user,
    query,
    k: o.k ?? o.limit,
    min_score: o.minScore,
    min_relevance: o.minRelevance,
    rerank: o.rerank,
    filters: filters && compact(filters),
  });
}

export function updateBody(user: UserField, c: MemoryUpdate): Body<'updateMemory'> {
  return compact<Body<'updateMemory'>>({
    ...user,
    text: c.text,
    source: c.source,
    metadata: c.metadata,
    expires_at: instant(c.expiresAt),
    ttl_seconds: c.ttlSeconds,
  });
}

type ListQuery = NonNullable<operations['listMemories']['parameters']['query']>;

export function listQuery(user: UserField, o: PageOptions): ListQuery {
  return compact<ListQuery>({
    ...user,
    limit: o.pageSize,
    cursor: o.cursor,
    source: o.filters?.source,
    metadata: o.filters?.metadata === undefined ? undefined : JSON.stringify(o.filters.metadata),
    include_text: o.includeText,
    max_text_chars: o.maxTextChars,
  });
}

export function summarizeBody(user: UserField, r: SummarizeRequest): Body<'summarizeMemories'> {
  return compact<Body<'summarizeMemories'>>({
    ...user,
    memory_ids: r.memoryIds,
    query: r.query,
    k: r.k,
    created_after: instant(r.createdAfter),
    created_before: instant(r.createdBefore),
    style: r.style,
    method: r.method,
    max_sentences: r.maxSentences,
    max_chars: r.maxChars,
  });
}

export function entitiesBody(user: UserField, r: EntitiesRequest): Body<'extractEntities'> {
  return compact<Body<'extractEntities'>>({ ...user, text: r.text, memory_ids: r.memoryIds, persist: r.persist });
}
