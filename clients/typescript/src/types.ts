/**
 * The client's public types, by hand and in camelCase: what you pass in and what you get back.
 * The service speaks snake_case JSON; src/wire.ts converts at the boundary, and the compiler checks
 * these types against the ones generated from the service's OpenAPI document (src/openapi.ts).
 *
 * Timestamps come back as RFC 3339 strings (`2026-03-01T12:00:00.000Z`); where you give one, a
 * `Date` or an RFC 3339 string will do. `metadata` is your data: it is sent and returned exactly as
 * given, key for key — its keys are never renamed.
 */

import type { operations } from './openapi.js';

/** A memory's metadata: a JSON object, at most 10 KiB and 5 levels deep, stored unencrypted (filterable). */
export type Metadata = Record<string, unknown>;

/** An instant to send: a Date or an RFC 3339 string. */
export type Instant = Date | string;

/** Per call: cancel with a signal, or give this call its own timeout. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

export interface UserOptions extends CallOptions {
  /** The end user; default: the client's `userId`, else the token's subject. */
  userId?: string;
}

/** How a memory expires: give one of the two (both is a 400 VALIDATION_FAILED). */
export interface Expiry {
  /** When it expires: a future instant; `null`: never (overrides the service's default TTL). */
  expiresAt?: Instant | null;
  /** Or: expire this many seconds from now (1 to ten years). */
  ttlSeconds?: number;
}

/** One memory to store: add()'s options, or an item of addBatch(). */
export interface NewMemory extends Expiry {
  /** Where it came from, e.g. "chat". */
  source?: string;
  metadata?: Metadata;
  /** false: store a copy even when the user already has this text; default true (the existing memory is returned). */
  dedup?: boolean;
  /** For imports: when the memory was created (default now; not in the future). */
  createdAt?: Instant;
  /** For imports: when it was last changed (default createdAt; not before it). */
  updatedAt?: Instant;
}

export interface AddOptions extends NewMemory, UserOptions {}

/** An item of addBatch(). */
export interface BatchItem extends NewMemory {
  text: string;
}

export interface AddResult {
  memoryId: string;
  chunkIds: string[];
  chunkCount: number;
  createdAt: string;
  updatedAt: string;
  /** null: never expires. */
  expiresAt: string | null;
  /** true: the user already had this text, and this is that memory. */
  deduplicated: boolean;
}

export interface BatchItemResult {
  /** Position of the item in the request. */
  index: number;
  /** What add() would have got: 201 stored, 200 deduplicated, else the error's status. */
  status: number;
  memoryId?: string;
  chunkIds?: string[];
  chunkCount?: number;
  createdAt?: string;
  updatedAt?: string;
  expiresAt?: string | null;
  deduplicated?: boolean;
  /** Why this item was not stored: the code add() would have thrown (e.g. VALIDATION_FAILED). */
  error?: { code: string; detail: string };
}

export interface BatchResult {
  items: BatchItemResult[];
  /** Items stored as new memories. */
  stored: number;
  /** Items the user already had (the existing memory is returned). */
  deduplicated: number;
  /** Items refused or not stored (see each item's error). */
  failed: number;
}

/** Narrows a search: every given field must match. */
export interface SearchFilters {
  /** Exact source. */
  source?: string;
  /** Memories whose metadata contains this object (sent as given, keys untouched). */
  metadata?: Metadata;
  /** Created at or after. */
  createdAfter?: Instant;
  /** Created before. */
  createdBefore?: Instant;
}

export interface SearchOptions extends UserOptions {
  /** How many results (1–100, default 10). */
  k?: number;
  /** mem0's name for `k` (k wins when both are given). */
  limit?: number;
  filters?: SearchFilters;
  /** Drop results whose score is below this (-1..1). */
  minScore?: number;
  /** Drop results whose relevance (the calibrated probability that it is relevant, 0..1) is below this. */
  minRelevance?: number;
  /** false: skip the reranker; default: rerank when the service has one. */
  rerank?: boolean;
}

/** The parts of a result's score; null when that part did not see this result. */
export interface SearchScores {
  /** Cosine similarity to the query. */
  vector: number | null;
  /** Keyword match (BM25 over the query's best possible BM25), 0..1. */
  keyword: number | null;
  /** The fusion of vector and keyword. */
  fused: number;
  /** What conversation context added. */
  context: number;
  /** The reranker's score. */
  rerank: number | null;
}

export interface SearchResult {
  memoryId: string;
  /** The chunk of the memory that matched. */
  chunkId: string;
  /** The matching chunk's text. */
  text: string;
  /** Higher is better: the rerank score when reranked, else the fused score. */
  score: number;
  /** The calibrated probability that this result is relevant (0..1), the same scale on every path. */
  relevance: number;
  scores: SearchScores;
  /** The neighbouring memory whose stronger match gave this result its context score; null when none did. */
  contextFrom: { memoryId: string; chunkId: string } | null;
  source: string | null;
  metadata: Metadata;
  createdAt: string;
}

export interface Memory {
  memoryId: string;
  text: string;
  source: string | null;
  metadata: Metadata;
  chunkIds: string[];
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

/**
 * What update changes; absent fields stay. `metadata` replaces the whole object (not merged),
 * `source: null` clears the source, `expiresAt: null` makes the memory never expire.
 */
export interface MemoryUpdate {
  text?: string;
  source?: string | null;
  metadata?: Metadata;
  /** A future instant, or null: never. */
  expiresAt?: Instant | null;
  /** Or: expire this many seconds from now. */
  ttlSeconds?: number;
}

/** A memory in a page, the list or the export. */
export interface MemorySummary {
  memoryId: string;
  /** Absent when listed with `includeText: false`. */
  text?: string;
  /** With `maxTextChars`: true when the text was cut. */
  textTruncated?: boolean;
  source: string | null;
  metadata: Metadata;
  chunkCount: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

export interface ListOptions extends UserOptions {
  /** Memories per page (1–200, default 50). */
  pageSize?: number;
  /** Only the memories with this source and whose metadata contains these keys and values. */
  filters?: { source?: string; metadata?: Metadata };
  /** false: leave the texts out (a lighter page); default true. */
  includeText?: boolean;
  /** Cut each text to at most this many characters (whole grapheme clusters); such items carry `textTruncated: true`. */
  maxTextChars?: number;
}

export interface PageOptions extends ListOptions {
  /** A page's `nextCursor`, for the page after it. */
  cursor?: string;
}

export interface MemoryPage {
  /** Newest first. */
  memories: MemorySummary[];
  /** null on the last page. */
  nextCursor: string | null;
}

/** A line of the export: a memory with its whole text. */
export type ExportedMemory = MemorySummary & { text: string };

export interface EraseResult {
  memoriesDeleted: number;
  keyDestroyed: boolean;
}

export type SummaryStyle = 'bullets' | 'paragraph' | 'tldr' | 'timeline';

/** Give exactly one of `memoryIds`, `query`, or a time range (`createdAfter` and/or `createdBefore`). */
export interface SummarizeRequest {
  /** These memories (at most 100). */
  memoryIds?: string[];
  /** What this search retrieves. */
  query?: string;
  /** With query: how many chunks to retrieve (default 20). */
  k?: number;
  createdAfter?: Instant;
  createdBefore?: Instant;
  style?: SummaryStyle;
  method?: 'auto' | 'extractive' | 'llm';
  /** Default 5 (tldr: 1). */
  maxSentences?: number;
  /** Default 2000 (tldr: 300). */
  maxChars?: number;
}

export interface SummarySource {
  /** The summary sentence as it appears in the summary (without list or date prefix). */
  sentence: string;
  memoryIds: string[];
  chunkIds: string[];
  /** Earliest creation time among its sources. */
  createdAt: string;
}

export interface SummarizeResult {
  summary: string;
  style: SummaryStyle;
  method: 'extractive' | 'llm';
  /** Set when an LLM summary was asked for and the extractive one was returned. */
  fallbackReason: 'llm_not_configured' | 'llm_timeout' | 'llm_error' | 'llm_circuit_open' | 'llm_bad_output' | null;
  /** One entry per summary sentence, in order. */
  sources: SummarySource[];
  /** Distinct memories the summary was made from. */
  memoryCount: number;
  /** More matched than one summary takes; the rest was left out. */
  truncated: boolean;
}

/**
 * What an entity is: 'person', 'organization', 'place', 'date', 'money', 'quantity', 'email', 'url',
 * 'event', 'product', … — the service's list, taken from its OpenAPI document (it grows).
 */
export type EntityType = operations['getEntity']['responses'][200]['content']['application/json']['entity']['type'];

/** Give exactly one of `text` and `memoryIds`. */
export interface EntitiesRequest {
  /** Text to read (at most 50 KiB). */
  text?: string;
  /** Stored memories of the user to read. */
  memoryIds?: string[];
  /** Add what is found to the user's encrypted knowledge graph (needs memory:write); default false. */
  persist?: boolean;
}

export interface EntityRelationship {
  source: string;
  /** The verb phrase ("work at"), or "mentioned with" for a co-occurrence. */
  predicate: string;
  target: string;
  /** The sentence it was read from. */
  evidence: string;
  memoryId: string | null;
  chunkId: string | null;
}

export interface EntitiesResult {
  entities: { name: string; type: EntityType; mentions: number; salience: number }[];
  relationships: EntityRelationship[];
  persisted: boolean;
}

export interface EntityLookup {
  entity: { name: string; type: EntityType; mentions: number };
  relationships: EntityRelationship[];
  /** The memories that mention the entity, newest first. */
  memories: { memoryId: string; chunkIds: string[]; text: string; createdAt: string }[];
}
