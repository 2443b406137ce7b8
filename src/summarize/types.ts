import { Limits } from '../memory/limits.js';

/** Output styles. `timeline` orders sentences by memory time and prefixes each with its date. */
export const SUMMARY_STYLES = ['bullets', 'paragraph', 'tldr', 'timeline'] as const;
export type SummaryStyle = (typeof SUMMARY_STYLES)[number];

/** What a caller may ask for; `auto` is the LLM when one is configured, else extractive. */
export const REQUESTED_METHODS = ['auto', 'extractive', 'llm'] as const;
export type RequestedMethod = (typeof REQUESTED_METHODS)[number];
/** What answered. */
export type SummaryMethod = 'extractive' | 'llm';

/** Why an LLM summary was asked for (explicitly or by `auto`) but the extractive one was returned. */
export const FALLBACK_REASONS = [
  'llm_not_configured',
  'llm_timeout',
  'llm_error',
  'llm_circuit_open',
  'llm_bad_output',
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

/** Contract limits of /summarize, shared by the HTTP schema and the domain. */
export const SummarizeLimits = {
  /** memory_ids per request. */
  memoryIdsMax: 100,
  /** Chunks retrieved for a `query` (its `k`). */
  queryKDefault: 20,
  queryKMax: Limits.kMax,
  /** Memories read for a time range: the newest ones in the range; the response says `truncated`. */
  rangeMemoriesMax: 200,
  /** Candidate sentences embedded for the extractive method (the first ones in reading order). */
  candidateSentencesMax: 600,
  maxSentencesMax: 50,
  maxSentencesDefault: 5,
  tldrSentencesDefault: 1,
  maxCharsMin: 40,
  maxCharsMax: 20_000,
  maxCharsDefault: 2_000,
  tldrCharsDefault: 300,
} as const;

export interface SummarizeInput {
  userId: string;
  /** Exactly one of memoryIds, query, or a time range (createdAfter and/or createdBefore). */
  memoryIds?: string[];
  query?: string;
  /** Chunks retrieved for `query`. */
  k?: number;
  createdAfter?: Date;
  createdBefore?: Date;
  style?: SummaryStyle;
  method?: RequestedMethod;
  maxSentences?: number;
  maxChars?: number;
}

/** A decrypted chunk to summarize, with where it came from. */
export interface SourceChunk {
  memoryId: string;
  chunkId: string;
  ordinal: number;
  text: string;
  createdAt: Date;
}

/** One sentence of a summary and the memories and chunks it came from. */
export interface SummarySentence {
  text: string;
  memoryIds: string[];
  chunkIds: string[];
  /** The earliest creation time among its sources (timeline dates come from it). */
  createdAt: Date;
}

export interface SummaryResult {
  summary: string;
  style: SummaryStyle;
  method: SummaryMethod;
  fallbackReason?: FallbackReason;
  /** In the order they appear in `summary`, one per summary sentence. */
  sentences: SummarySentence[];
  /** Distinct memories the summary was made from (the input, not only those quoted). */
  memoryCount: number;
  /** More memories or sentences matched than a request may summarize; the rest was left out. */
  truncated: boolean;
}
