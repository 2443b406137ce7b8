import { EngramError, type EngramClient, type SearchOptions } from '@engram/client';
import { tool, type Tool } from 'ai';
import { z } from 'zod';

export interface EngramToolsOptions {
  /**
   * A client bound to the end user (its `userId`, or the token's subject). Every tool acts for that user
   * only: no tool takes a user id, so the model cannot choose one.
   */
  client: EngramClient;
  /** The source every remembered memory gets (e.g. `agent`); default: none. */
  source?: string;
  /** Metadata added to every remembered memory; on a key clash it wins over what the model gives. */
  metadata?: Record<string, unknown>;
  /** Results recall returns when the model gives no `k` (default 5). */
  defaultK?: number;
  /** The most results the model may ask recall for (default 20, at most 100). */
  maxK?: number;
  /** Server-side filters every recall applies (e.g. `{ source: 'agent' }`); the model cannot change them. */
  recallFilters?: NonNullable<SearchOptions['filters']>;
  /** Recall drops results whose calibrated relevance (0–1) is below this; default: none dropped. */
  minRelevance?: number;
}

/** A tool's answer when the service refused the model's input (not a thrown error: the model reads it and goes on). */
export interface EngramToolFailure {
  ok: false;
  /** The service's code: NOT_FOUND, VALIDATION_FAILED, PAYLOAD_TOO_LARGE, … */
  error: string;
  message: string;
}
export type RememberResult = { ok: true; memoryId: string; deduplicated: boolean } | EngramToolFailure;
export interface RecalledMemory {
  memoryId: string;
  text: string;
  score: number;
  relevance: number;
  createdAt: string;
}
export type RecallResult = { ok: true; memories: RecalledMemory[] } | EngramToolFailure;
export type ForgetResult = { ok: true; memoryId: string } | EngramToolFailure;

export interface RememberInput {
  text: string;
  ttlSeconds?: number;
  metadata?: Record<string, string | number | boolean>;
}
export interface RecallInput {
  query: string;
  k?: number;
}
export interface ForgetInput {
  memoryId: string;
}

/** A type, not an interface, so that it is assignable to the SDK's `ToolSet` (a record). */
export type EngramTools = {
  remember: Tool<RememberInput, RememberResult>;
  recall: Tool<RecallInput, RecallResult>;
  forget: Tool<ForgetInput, ForgetResult>;
};

/** Longest a TTL may be (the service's limit: ten years). */
const TTL_MAX = 10 * 365 * 24 * 3600;

/**
 * Memory tools for `generateText` / `streamText` (and agents): `remember`, `recall` and `forget`, backed by
 * Engram for the one user the client is bound to.
 *
 * A refusal that concerns the model's input (an unknown memory id, a blank or too long text: HTTP 400, 404,
 * 413) is returned as `{ ok: false, error, message }`; other failures (authentication, rate limits, the
 * network) are thrown, which the AI SDK reports as a `tool-error` part.
 */
export function engramTools(options: EngramToolsOptions): EngramTools {
  const { client } = options;
  const maxK = Math.min(options.maxK ?? 20, 100);
  const defaultK = Math.min(options.defaultK ?? 5, maxK);

  const remember = tool({
    description:
      'Store a fact about the user or the conversation in long-term memory, to recall in later conversations. ' +
      'Write one self-contained statement (e.g. "The user is allergic to hazelnuts."). Returns the memory id.',
    inputSchema: z.object({
      text: z.string().min(1).describe('The fact to remember, as a self-contained sentence'),
      ttlSeconds: z.number().int().min(1).max(TTL_MAX).optional().describe('Forget it automatically after this many seconds'),
      metadata: z
        .record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), z.union([z.string(), z.number(), z.boolean()]))
        .optional()
        .describe('Non-sensitive tags for filtering, e.g. {"topic":"health"} (stored unencrypted)'),
    }),
    execute: async ({ text, ttlSeconds, metadata }, { abortSignal }): Promise<RememberResult> =>
      refusalAsResult(async () => {
        const merged = metadata || options.metadata ? { ...metadata, ...options.metadata } : undefined;
        const added = await client.add(text, { source: options.source, metadata: merged, ttlSeconds, signal: abortSignal });
        return { ok: true, memoryId: added.memoryId, deduplicated: added.deduplicated };
      }),
  });

  const recall = tool({
    description:
      'Search long-term memory for what is known about the user or past conversations. Returns the most relevant ' +
      'memories, best first, each with its memoryId (which forget takes), text and score.',
    inputSchema: z.object({
      query: z.string().min(1).describe('What to look for, e.g. "food allergies"'),
      k: z.number().int().min(1).max(maxK).optional().describe(`How many memories (default ${defaultK})`),
    }),
    execute: async ({ query, k }, { abortSignal }): Promise<RecallResult> =>
      refusalAsResult(async () => {
        const hits = await client.search(query, {
          k: k ?? defaultK,
          filters: options.recallFilters,
          minRelevance: options.minRelevance,
          signal: abortSignal,
        });
        return {
          ok: true,
          memories: hits.map((h) => ({ memoryId: h.memoryId, text: h.text, score: h.score, relevance: h.relevance, createdAt: h.createdAt })),
        };
      }),
  });

  const forget = tool({
    description: 'Delete one memory from long-term memory, by the memoryId that recall or remember returned.',
    inputSchema: z.object({ memoryId: z.string().min(1).describe('The id of the memory to delete') }),
    execute: async ({ memoryId }, { abortSignal }): Promise<ForgetResult> =>
      refusalAsResult(async () => {
        await client.delete(memoryId, { signal: abortSignal });
        return { ok: true, memoryId };
      }),
  });

  return { remember, recall, forget };
}

/** The service's refusals of the model's input become results; anything else is thrown. */
async function refusalAsResult<T>(run: () => Promise<T>): Promise<T | EngramToolFailure> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof EngramError) || ![400, 404, 413].includes(error.status)) throw error;
    if (error.status === 404) {
      return { ok: false, error: error.code, message: 'No such memory for this user (unknown id, already forgotten, or not theirs).' };
    }
    return { ok: false, error: error.code, message: error.detail };
  }
}
