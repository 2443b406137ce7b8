/**
 * The console's only way to the API: the bearer token (held in this module only — never in storage or
 * cookies, so a reload forgets it), the user every request names, and errors as `CODE: detail`.
 */
const BASE = '/api/v1/memory';

let token: string | null = null;
/** The user requests name (`user_id`); null: the token's own subject. */
let viewedUser: string | null = null;

export function setToken(value: string | null): void {
  token = value;
  viewedUser = null;
}

export function setViewedUser(user: string | null): void {
  viewedUser = user;
}

/** An API error body (`{code, detail, request_id}`), or a network failure as NETWORK_ERROR. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly status = 0,
    /** Seconds the server asks to wait before trying again (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** Any thrown value as the `CODE: detail` line the console shows. */
export const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.message : `CLIENT_ERROR: ${err instanceof Error ? err.message : String(err)}`;

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: Record<string, unknown>;
}

async function send(method: string, path: string, { query = {}, body }: RequestOptions): Promise<Response> {
  const params = new URLSearchParams();
  const named = method === 'GET' || method === 'DELETE' ? { user_id: viewedUser ?? undefined, ...query } : query;
  for (const [key, value] of Object.entries(named)) if (value !== undefined) params.set(key, String(value));
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(viewedUser ? { user_id: viewedUser, ...body } : body);
  }
  const search = params.toString();
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}${search ? `?${search}` : ''}`, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError('NETWORK_ERROR', err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) throw await toError(res);
  return res;
}

async function toError(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get('retry-after')) || undefined;
  try {
    const body = (await res.json()) as { code?: unknown; detail?: unknown };
    if (typeof body.code === 'string') return new ApiError(body.code, String(body.detail ?? ''), res.status, retryAfter);
  } catch {
    // not the API's JSON error body: described by the status below
  }
  return new ApiError(`HTTP_${res.status}`, res.statusText || 'request failed', res.status, retryAfter);
}

async function json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, options);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export interface MemorySummary {
  memory_id: string;
  text?: string;
  text_truncated?: boolean;
  source: string | null;
  metadata: Record<string, unknown>;
  chunk_count: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

export interface Memory {
  memory_id: string;
  text: string;
  source: string | null;
  metadata: Record<string, unknown>;
  chunk_ids: string[];
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

export interface MemoryPage {
  memories: MemorySummary[];
  next_cursor: string | null;
}

export interface ListOptions {
  limit: number;
  cursor?: string;
  source?: string;
  metadata?: string;
  max_text_chars?: number;
  include_text?: boolean;
}

export interface ScoreParts {
  vector: number | null;
  keyword: number | null;
  fused: number;
  context: number;
  rerank: number | null;
}

export interface QueryHit {
  memory_id: string;
  chunk_id: string;
  text: string;
  score: number;
  relevance: number;
  scores: ScoreParts;
  source: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  /** The neighbouring memory whose lead gave this hit context, when one did. */
  context_from?: { memory_id: string; chunk_id: string } | null;
}

export interface QueryResult {
  results: QueryHit[];
  reranked: boolean;
}

export type SummaryStyle = 'bullets' | 'paragraph' | 'tldr' | 'timeline';

export interface Summary {
  summary: string;
  style: SummaryStyle;
  method: 'extractive' | 'llm';
  fallback_reason: string | null;
  sources: Array<{ sentence: string; memory_ids: string[]; chunk_ids: string[]; created_at: string }>;
  memory_count: number;
  truncated: boolean;
}

export interface Entity {
  name: string;
  type: string;
  mentions: number;
}

export interface Relationship {
  source: string;
  predicate: string;
  target: string;
  evidence: string;
  memory_id: string | null;
}

/** GET /graph: the most mentioned entities and the relationships among them (ids name the nodes). */
export interface Graph {
  entities: Array<Entity & { id: string }>;
  relationships: Array<{ source_id: string; target_id: string; source: string; predicate: string; target: string }>;
  truncated: boolean;
}

export interface EntityDetail {
  entity: Entity;
  relationships: Relationship[];
  memories: Array<{ memory_id: string; text: string; created_at: string }>;
}

export interface BatchOutcome {
  items: Array<{ index: number; status: number; deduplicated?: boolean; error?: { code: string; detail: string } }>;
  stored: number;
  deduplicated: number;
  failed: number;
}

const memoryPath = (id: string) => `/${encodeURIComponent(id)}`;

export const api = {
  list: (options: ListOptions) => json<MemoryPage>('GET', '/', { query: { ...options } }),
  get: (id: string) => json<Memory>('GET', memoryPath(id)),
  add: (body: Record<string, unknown>) => json<{ memory_id: string; deduplicated: boolean }>('POST', '/index', { body }),
  update: (id: string, body: Record<string, unknown>) => json<Memory>('PATCH', memoryPath(id), { body }),
  remove: (id: string) => json<void>('DELETE', memoryPath(id)),
  query: (body: Record<string, unknown>) => json<QueryResult>('POST', '/query', { body }),
  summarize: (body: Record<string, unknown>) => json<Summary>('POST', '/summarize', { body }),
  graph: (limit: number) => json<Graph>('GET', '/graph', { query: { limit } }),
  entity: (name: string) => json<EntityDetail>('GET', '/entities', { query: { name } }),
  extract: (memoryIds: string[]) => json<unknown>('POST', '/entities', { body: { memory_ids: memoryIds, persist: true } }),
  indexBatch: (items: Array<Record<string, unknown>>) => json<BatchOutcome>('POST', '/index/batch', { body: { items } }),
  /** All of the user's memories as NDJSON text. */
  exportAll: async () => (await send('GET', '/export', {})).text(),
  eraseAll: (user: string) => json<{ memories_deleted: number }>('DELETE', '/', { query: { user_id: user } }),
};
