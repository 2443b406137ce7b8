import type { operations } from './openapi.js';
import { call, type CallOptions, type FetchLike, type TransportOptions } from './transport.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type IndexRequest = Json<operations['indexMemory']['requestBody']>;
export type IndexResponse = Json<operations['indexMemory']['responses'][201 | 200]>;
export type QueryRequest = Json<operations['queryMemory']['requestBody']>;
export type QueryResponse = Json<operations['queryMemory']['responses'][200]>;
export type SearchResult = QueryResponse['results'][number];
export type SearchFilters = NonNullable<QueryRequest['filters']>;
export type Memory = Json<operations['getMemory']['responses'][200]>;
export type MemoryPage = Json<operations['listMemories']['responses'][200]>;
export type MemorySummary = MemoryPage['memories'][number];
export type UpdateRequest = Json<operations['updateMemory']['requestBody']>;
export type BatchRequest = Json<operations['indexMemoryBatch']['requestBody']>;
export type BatchItem = BatchRequest['items'][number];
export type BatchResponse = Json<operations['indexMemoryBatch']['responses'][200]>;
/** A line of the export: a memory with its whole text. */
export type ExportedMemory = MemorySummary & { text: string };
export type EraseResponse = Json<operations['eraseUser']['responses'][200]>;
export type SummarizeRequest = Json<operations['summarizeMemories']['requestBody']>;
export type SummarizeResponse = Json<operations['summarizeMemories']['responses'][200]>;
export type EntitiesRequest = Json<operations['extractEntities']['requestBody']>;
export type EntitiesResponse = Json<operations['extractEntities']['responses'][200]>;
export type EntityLookup = Json<operations['getEntity']['responses'][200]>;

export interface EngramClientOptions {
  /** The service, e.g. `http://127.0.0.1:8080` (the client adds `/api/v1/memory/...`). */
  baseUrl: string;
  /** A bearer token (JWT), or a function returning a fresh one for each request. */
  token: string | (() => string | Promise<string>);
  /** Default user for every call. Without it the service uses the token's subject. */
  userId?: string;
  /** Per-request timeout (default 30 000 ms). */
  timeoutMs?: number;
  /** Retries on 429 and 503, honouring Retry-After (default 3). */
  maxRetries?: number;
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** Another fetch (a proxy agent, a test double, an in-process app); default: the global fetch. */
  fetch?: FetchLike;
}

export interface UserOptions extends CallOptions {
  userId?: string;
}

export interface AddOptions extends UserOptions {
  source?: string;
  metadata?: Record<string, unknown>;
}

/**
 * What update changes; absent fields stay. `metadata` replaces the whole object (not merged),
 * `source: null` clears the source, `expiresAt: null` makes the memory never expire.
 */
export interface MemoryUpdate {
  text?: string;
  source?: string | null;
  metadata?: Record<string, unknown>;
  /** A future instant (Date or RFC 3339 string), or null: never. */
  expiresAt?: Date | string | null;
  /** Or: expire this many seconds from now. */
  ttlSeconds?: number;
}

export interface SearchOptions extends UserOptions {
  /** How many results (1–100, default 10). `limit` is accepted as a mem0-style alias. */
  k?: number;
  limit?: number;
  filters?: SearchFilters;
  /** Extra request fields the service accepts (e.g. `min_score`, `rerank`), passed through as given. */
  extra?: Record<string, unknown>;
}

export interface ListOptions extends UserOptions {
  /** Memories per page (1–200, default 50). */
  pageSize?: number;
  /** false: leave the texts out (a lighter page); default true. */
  includeText?: boolean;
  /** Cut each text to at most this many characters (whole grapheme clusters); such items carry `text_truncated`. */
  maxTextChars?: number;
}

const API = 'api/v1/memory';

/**
 * Engram's TypeScript client, shaped like mem0's: add, search, get, update, list/getAll, delete,
 * deleteAll, export; summarize, entities and entity. Every failure is an EngramError carrying the service's stable `code`.
 */
export class EngramClient {
  private readonly transport: TransportOptions;
  private readonly userId?: string;

  constructor(options: EngramClientOptions) {
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no fetch: pass options.fetch on runtimes without a global fetch');
    this.userId = options.userId;
    this.transport = {
      baseUrl: options.baseUrl,
      token: options.token,
      fetch: (input, init) => f(input, init),
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
      retryBaseMs: options.retryBaseMs ?? 250,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000,
    };
  }

  /** Stores a memory (chunked, embedded and encrypted by the service). */
  async add(text: string, options: AddOptions = {}): Promise<IndexResponse> {
    const body = { ...this.user(options), text, source: options.source, metadata: options.metadata };
    return (await call(this.transport, 'POST', `${API}/index`, { ...options, body: compact(body) })).json() as Promise<IndexResponse>;
  }

  /**
   * Stores up to 100 memories in one request; each item is reported on its own (`status` 201, 200 when
   * deduplicated, or the error /index would give), so check `failed` and the items.
   */
  async addBatch(items: BatchItem[], options: UserOptions = {}): Promise<BatchResponse> {
    const body = { ...this.user(options), items };
    return (await call(this.transport, 'POST', `${API}/index/batch`, { ...options, body })).json() as Promise<BatchResponse>;
  }

  /** The memories most relevant to `query`, best first. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const body = { ...this.user(options), query, k: options.k ?? options.limit, filters: options.filters, ...options.extra };
    const res = await call(this.transport, 'POST', `${API}/query`, { ...options, body: compact(body) });
    return ((await res.json()) as QueryResponse).results;
  }

  /**
   * A summary of the user's memories: give exactly one of `memory_ids`, `query` or a time range
   * (`created_after` / `created_before`); every sentence comes with the memory and chunk ids it came from.
   */
  async summarize(request: Omit<SummarizeRequest, 'user_id'>, options: UserOptions = {}): Promise<SummarizeResponse> {
    const body = { ...this.user(options), ...request };
    return (await call(this.transport, 'POST', `${API}/summarize`, { ...options, body: compact(body) })).json() as Promise<SummarizeResponse>;
  }

  /**
   * People, places, organisations, dates, … and their relationships, from `text` or from stored
   * `memory_ids`; `persist: true` adds them to the user's encrypted knowledge graph.
   */
  async entities(request: Omit<EntitiesRequest, 'user_id'>, options: UserOptions = {}): Promise<EntitiesResponse> {
    const body = { ...this.user(options), ...request };
    return (await call(this.transport, 'POST', `${API}/entities`, { ...options, body: compact(body) })).json() as Promise<EntitiesResponse>;
  }

  /** One entity of the user's graph by exact name: its relationships and the memories that mention it. */
  async entity(name: string, options: UserOptions = {}): Promise<EntityLookup> {
    const res = await call(this.transport, 'GET', `${API}/entities`, { ...options, query: { ...this.user(options), name } });
    return res.json() as Promise<EntityLookup>;
  }

  async get(memoryId: string, options: UserOptions = {}): Promise<Memory> {
    const res = await call(this.transport, 'GET', `${API}/${encodeURIComponent(memoryId)}`, { ...options, query: this.user(options) });
    return res.json() as Promise<Memory>;
  }

  /**
   * Changes a memory (mem0's update): a new text is re-chunked, re-embedded and re-indexed under the
   * same id; returns the memory as get() does. A text the user already has in another memory throws
   * EngramError 409 DUPLICATE_MEMORY (its `memoryId` names that memory). Retried like get/delete:
   * an update sets the fields to the given values, so sending it again leaves the same memory.
   */
  async update(memoryId: string, changes: MemoryUpdate, options: UserOptions = {}): Promise<Memory> {
    const expiresAt = changes.expiresAt instanceof Date ? changes.expiresAt.toISOString() : changes.expiresAt;
    const body: UpdateRequest = {
      ...this.user(options),
      text: changes.text,
      source: changes.source,
      metadata: changes.metadata,
      expires_at: expiresAt,
      ttl_seconds: changes.ttlSeconds,
    };
    const res = await call(this.transport, 'PATCH', `${API}/${encodeURIComponent(memoryId)}`, { ...options, body: compact(body) });
    return res.json() as Promise<Memory>;
  }

  /** One page, newest first; pass `next_cursor` back as `cursor` for the next. */
  async page(options: ListOptions & { cursor?: string } = {}): Promise<MemoryPage> {
    const query = {
      ...this.user(options),
      limit: options.pageSize,
      cursor: options.cursor,
      include_text: options.includeText,
      max_text_chars: options.maxTextChars,
    };
    return (await call(this.transport, 'GET', API, { ...options, query })).json() as Promise<MemoryPage>;
  }

  /** Every memory, newest first, fetched a page at a time as you iterate. */
  async *list(options: ListOptions = {}): AsyncGenerator<MemorySummary> {
    let cursor: string | undefined;
    do {
      const page = await this.page({ ...options, cursor });
      yield* page.memories;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** Every memory as an array (mem0's getAll); prefer list() for large users. */
  async getAll(options: ListOptions = {}): Promise<MemorySummary[]> {
    const all: MemorySummary[] = [];
    for await (const memory of this.list(options)) all.push(memory);
    return all;
  }

  async delete(memoryId: string, options: UserOptions = {}): Promise<void> {
    const res = await call(this.transport, 'DELETE', `${API}/${encodeURIComponent(memoryId)}`, { ...options, query: this.user(options) });
    await res.body?.cancel();
  }

  /** Erases a user: every memory and the user's data key (crypto-shredding). Needs a user id. */
  async deleteAll(options: UserOptions = {}): Promise<EraseResponse> {
    const userId = options.userId ?? this.userId;
    if (!userId) throw new TypeError('deleteAll needs a userId (in the call or the client options)');
    return (await call(this.transport, 'DELETE', API, { ...options, query: { user_id: userId } })).json() as Promise<EraseResponse>;
  }

  /** The user's memories as the service exports them (NDJSON), one object per memory, streamed. */
  async *export(options: UserOptions = {}): AsyncGenerator<ExportedMemory> {
    const res = await call(this.transport, 'GET', `${API}/export`, { ...options, query: this.user(options) });
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield JSON.parse(line) as ExportedMemory;
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as ExportedMemory;
  }

  private user(options: UserOptions): { user_id?: string } {
    const userId = options.userId ?? this.userId;
    return userId === undefined ? {} : { user_id: userId };
  }
}

/** Drops undefined fields: the service refuses unknown or null ones strictly. */
function compact<T extends Record<string, unknown>>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T;
}
