import { call, type FetchLike, type TransportOptions } from './transport.js';
import type {
  AddOptions,
  AddResult,
  BatchItem,
  BatchResult,
  EntitiesRequest,
  EntitiesResult,
  EntityLookup,
  EraseResult,
  ExportedMemory,
  ListOptions,
  Memory,
  MemoryPage,
  MemorySummary,
  MemoryUpdate,
  PageOptions,
  SearchOptions,
  SearchResult,
  SummarizeRequest,
  SummarizeResult,
  UserOptions,
} from './types.js';
import {
  batchBody,
  entitiesBody,
  fromWire,
  indexBody,
  listQuery,
  queryBody,
  summarizeBody,
  updateBody,
  type Reply,
} from './wire.js';

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

  /**
   * Stores a memory (chunked, embedded and encrypted by the service). A text the user already has
   * returns that memory (`deduplicated: true`) unless `dedup: false`. Give `ttlSeconds` or
   * `expiresAt`, not both.
   */
  async add(text: string, options: AddOptions = {}): Promise<AddResult> {
    const res = await call(this.transport, 'POST', `${API}/index`, { ...options, body: indexBody(this.user(options), text, options) });
    // 201 stored, 200 deduplicated: the same body.
    return fromWire((await res.json()) as Reply<'indexMemory', 201>);
  }

  /**
   * Stores up to 100 memories in one request; each item is reported on its own (`status` 201, 200 when
   * deduplicated, or the error add() would get), so check `failed` and the items.
   */
  async addBatch(items: BatchItem[], options: UserOptions = {}): Promise<BatchResult> {
    const res = await call(this.transport, 'POST', `${API}/index/batch`, { ...options, body: batchBody(this.user(options), items) });
    return fromWire((await res.json()) as Reply<'indexMemoryBatch'>);
  }

  /** The memories most relevant to `query`, best first. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const res = await call(this.transport, 'POST', `${API}/query`, { ...options, body: queryBody(this.user(options), query, options) });
    return fromWire((await res.json()) as Reply<'queryMemory'>).results;
  }

  /**
   * A summary of the user's memories: give exactly one of `memoryIds`, `query` or a time range
   * (`createdAfter` / `createdBefore`); every sentence comes with the memory and chunk ids it came from.
   */
  async summarize(request: SummarizeRequest, options: UserOptions = {}): Promise<SummarizeResult> {
    const res = await call(this.transport, 'POST', `${API}/summarize`, { ...options, body: summarizeBody(this.user(options), request) });
    return fromWire((await res.json()) as Reply<'summarizeMemories'>);
  }

  /**
   * People, places, organisations, dates, … and their relationships, from `text` or from stored
   * `memoryIds`; `persist: true` adds them to the user's encrypted knowledge graph.
   */
  async entities(request: EntitiesRequest, options: UserOptions = {}): Promise<EntitiesResult> {
    const res = await call(this.transport, 'POST', `${API}/entities`, { ...options, body: entitiesBody(this.user(options), request) });
    return fromWire((await res.json()) as Reply<'extractEntities'>);
  }

  /** One entity of the user's graph by name: its relationships and the memories that mention it. */
  async entity(name: string, options: UserOptions = {}): Promise<EntityLookup> {
    const res = await call(this.transport, 'GET', `${API}/entities`, { ...options, query: { ...this.user(options), name } });
    return fromWire((await res.json()) as Reply<'getEntity'>);
  }

  /** One memory with its whole text; 404 NOT_FOUND when the user has no such memory. */
  async get(memoryId: string, options: UserOptions = {}): Promise<Memory> {
    const res = await call(this.transport, 'GET', `${API}/${encodeURIComponent(memoryId)}`, { ...options, query: this.user(options) });
    return fromWire((await res.json()) as Reply<'getMemory'>);
  }

  /**
   * Changes a memory (mem0's update): a new text is re-chunked, re-embedded and re-indexed under the
   * same id; returns the memory as get() does. A text the user already has in another memory throws
   * EngramError 409 DUPLICATE_MEMORY (its `memoryId` names that memory). Retried like get/delete:
   * an update sets the fields to the given values, so sending it again leaves the same memory.
   */
  async update(memoryId: string, changes: MemoryUpdate, options: UserOptions = {}): Promise<Memory> {
    const body = updateBody(this.user(options), changes);
    const res = await call(this.transport, 'PATCH', `${API}/${encodeURIComponent(memoryId)}`, { ...options, body });
    return fromWire((await res.json()) as Reply<'updateMemory'>);
  }

  /** One page, newest first; pass its `nextCursor` back as `cursor` for the next. */
  async page(options: PageOptions = {}): Promise<MemoryPage> {
    const res = await call(this.transport, 'GET', API, { ...options, query: listQuery(this.user(options), options) });
    return fromWire((await res.json()) as Reply<'listMemories'>);
  }

  /** Every memory, newest first, fetched a page at a time as you iterate. */
  async *list(options: ListOptions = {}): AsyncGenerator<MemorySummary> {
    let cursor: string | undefined;
    do {
      const page = await this.page({ ...options, cursor });
      yield* page.memories;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Every memory as an array, newest first (mem0's getAll); prefer list() for large users. */
  async getAll(options: ListOptions = {}): Promise<MemorySummary[]> {
    const all: MemorySummary[] = [];
    for await (const memory of this.list(options)) all.push(memory);
    return all;
  }

  /** Deletes one memory; 404 NOT_FOUND when the user has no such memory. */
  async delete(memoryId: string, options: UserOptions = {}): Promise<void> {
    const res = await call(this.transport, 'DELETE', `${API}/${encodeURIComponent(memoryId)}`, { ...options, query: this.user(options) });
    await res.body?.cancel();
  }

  /** Erases a user: every memory and the user's data key (crypto-shredding). Needs a user id. */
  async deleteAll(options: UserOptions = {}): Promise<EraseResult> {
    const userId = options.userId ?? this.userId;
    if (!userId) throw new TypeError('deleteAll needs a userId (in the call or the client options)');
    const res = await call(this.transport, 'DELETE', API, { ...options, query: { user_id: userId } });
    return fromWire((await res.json()) as Reply<'eraseUser'>);
  }

  /** The user's memories as the service exports them (NDJSON), one object per memory, streamed. */
  async *export(options: UserOptions = {}): AsyncGenerator<ExportedMemory> {
    const res = await call(this.transport, 'GET', `${API}/export`, { ...options, query: this.user(options) });
    if (!res.body) return;
    const line = (text: string): ExportedMemory => fromWire(JSON.parse(text) as Reply<'listMemories'>['memories'][number] & { text: string });
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (text) yield line(text);
      }
    }
    if (buffered.trim()) yield line(buffered);
  }

  /** The wire's user field for a call: the call's user, else the client's, else none (the token's subject). */
  private user(options: UserOptions): { user_id?: string } {
    const userId = options.userId ?? this.userId;
    return userId === undefined ? {} : { user_id: userId };
  }
}
