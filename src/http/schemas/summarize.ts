import { Type } from 'typebox';
import { Limits } from '../../memory/limits.js';
import { FALLBACK_REASONS, REQUESTED_METHODS, SUMMARY_STYLES, SummarizeLimits as L } from '../../summarize/types.js';
import { MemoryId, UserId } from './common.js';

export const SummarizeBody = Type.Object(
  {
    user_id: Type.Optional(UserId),
    memory_ids: Type.Optional(
      Type.Array(MemoryId, {
        minItems: 1,
        maxItems: L.memoryIdsMax,
        uniqueItems: true,
        description: `Summarize these memories (at most ${L.memoryIdsMax}); an id the user does not own is 404`,
      }),
    ),
    query: Type.Optional(
      Type.String({ minLength: 1, maxLength: Limits.queryChars, description: 'Summarize what this semantic query retrieves' }),
    ),
    k: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: L.queryKMax,
        description: `With query: how many chunks to retrieve (default ${L.queryKDefault})`,
      }),
    ),
    created_after: Type.Optional(Type.String({ format: 'date-time', description: 'Time range: memories created at or after' })),
    created_before: Type.Optional(Type.String({ format: 'date-time', description: 'Time range: memories created before' })),
    style: Type.Optional(Type.Enum(SUMMARY_STYLES)),
    method: Type.Optional(Type.Enum(REQUESTED_METHODS)),
    max_sentences: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: L.maxSentencesMax,
        description: `Default ${L.maxSentencesDefault} (tldr: ${L.tldrSentencesDefault})`,
      }),
    ),
    max_chars: Type.Optional(
      Type.Integer({
        minimum: L.maxCharsMin,
        maximum: L.maxCharsMax,
        description: `Length of summary at most; default ${L.maxCharsDefault} (tldr: ${L.tldrCharsDefault})`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Exactly one of memory_ids, query, or a time range (created_after and/or created_before). ' +
      `A time range takes its newest ${L.rangeMemoriesMax} memories.`,
  },
);

export const SummarySource = Type.Object({
  sentence: Type.String({ description: 'The summary sentence as it appears in summary (without list or date prefix)' }),
  memory_ids: Type.Array(MemoryId),
  chunk_ids: Type.Array(MemoryId),
  created_at: Type.String({ format: 'date-time', description: 'Earliest creation time among its sources' }),
});

export const SummarizeResponse = Type.Object({
  summary: Type.String(),
  style: Type.Enum(SUMMARY_STYLES),
  method: Type.Enum(['extractive', 'llm'] as const),
  fallback_reason: Type.Union([Type.Enum(FALLBACK_REASONS), Type.Null()], {
    description: 'Set when an LLM summary was asked for (method llm, or auto with an LLM configured) and the extractive one was returned',
  }),
  sources: Type.Array(SummarySource, { description: 'One entry per summary sentence, in order' }),
  memory_count: Type.Integer({ description: 'Distinct memories the summary was made from' }),
  truncated: Type.Boolean({ description: 'More memories or sentences matched than one summary takes; the rest was left out' }),
});

