import { Type } from 'typebox';
import { Limits } from '../../memory/limits.js';
import { Metadata, MemoryId, Source, Timestamp, UserId } from './common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const ExpiresAt = Nullable({ ...Timestamp, description: 'When the memory expires (is no longer returned); null: never' });

/** Optional in bodies too: defaults to the token's subject, like `user_id` on the read routes. */
const ActingUserId = Type.Optional({ ...UserId, description: "The end user; defaults to the token's subject (another user needs memory:relay)" });

export const IndexBody = Type.Object(
  {
    user_id: ActingUserId,
    text: Type.String({ minLength: 1, maxLength: Limits.textBytes, description: `At most ${Limits.textBytes} bytes of UTF-8` }),
    source: Type.Optional(Source),
    metadata: Type.Optional(Metadata),
    expires_at: Type.Optional(
      Type.Union([Timestamp, Type.Null()], { description: 'When the memory expires; null: never (overrides the default TTL)' }),
    ),
    ttl_seconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Limits.ttlSecondsMax, description: 'Expire this many seconds from now (instead of expires_at)' }),
    ),
    dedup: Type.Optional(
      Type.Boolean({ description: 'Return the existing memory when the user already has this text (default true); false stores a copy' }),
    ),
    created_at: Type.Optional({
      ...Timestamp,
      description: 'For imports: when the memory was created (default now); not in the future',
    }),
    updated_at: Type.Optional({
      ...Timestamp,
      description: 'For imports: when the memory was last changed (default created_at); not before created_at',
    }),
  },
  { additionalProperties: false },
);

export const IndexResponse = Type.Object({
  memory_id: MemoryId,
  chunk_ids: Type.Array(MemoryId),
  chunk_count: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  expires_at: ExpiresAt,
  deduplicated: Type.Boolean({ description: 'true: the user already had this text; this is the existing memory' }),
});

export const QueryBody = Type.Object(
  {
    user_id: ActingUserId,
    query: Type.String({ minLength: 1, maxLength: Limits.queryChars }),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.kMax, default: Limits.kDefault })),
    min_score: Type.Optional(
      Type.Number({ minimum: -1, maximum: 1, description: 'Drop results whose score is below this (see README: scores)' }),
    ),
    min_relevance: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: "Drop results whose relevance (the calibrated probability that it is relevant) is below this; 0.5: more likely relevant than not (README: relevance)",
      }),
    ),
    rerank: Type.Optional(
      Type.Boolean({ description: 'Rerank the candidates (default: when the server has a reranker); false skips it' }),
    ),
    filters: Type.Optional(
      Type.Object(
        {
          source: Type.Optional(Source),
          metadata: Type.Optional(Metadata),
          created_after: Type.Optional(Timestamp),
          created_before: Type.Optional(Timestamp),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const QueryResult = Type.Object({
  memory_id: MemoryId,
  chunk_id: MemoryId,
  text: Type.String(),
  score: Type.Number({
    description: 'Relevance, higher is better: the rerank score when reranked, else the fused score (README: scores)',
  }),
  relevance: Type.Number({
    minimum: 0,
    maximum: 1,
    description: 'The calibrated probability that this result is relevant to the query, the same scale on every path (README: relevance)',
  }),
  scores: Type.Object(
    {
      vector: Nullable(Type.Number({ description: 'Cosine similarity to the query' })),
      keyword: Nullable(Type.Number({ description: "Keyword match: BM25 over the query's best possible BM25, 0..1" })),
      fused: Type.Number({ description: 'The fusion of vector and keyword: 0.3 · vector + 0.7 · keyword (vector alone without the keyword index)' }),
      context: Type.Number({ description: 'What conversation context added: a share of the lead of the best neighbouring candidate (0 when none)' }),
      rerank: Nullable(Type.Number({ description: "The reranker's score" })),
    },
    { description: 'The parts of the score; null when that part did not see this result' },
  ),
  context_from: Nullable(
    Type.Object(
      { memory_id: MemoryId, chunk_id: MemoryId },
      { description: 'The neighbouring memory (written just before or after) whose stronger match gave this result its context score' },
    ),
  ),
  source: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  created_at: Timestamp,
});

export const QueryResponse = Type.Object({
  results: Type.Array(QueryResult),
  reranked: Type.Boolean({ description: 'Whether a reranker ordered and scored these results' }),
});

export const MemoryResponse = Type.Object({
  memory_id: MemoryId,
  text: Type.String(),
  source: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  chunk_ids: Type.Array(MemoryId),
  created_at: Timestamp,
  updated_at: Timestamp,
  expires_at: ExpiresAt,
});

export const MemorySummary = Type.Object({
  memory_id: MemoryId,
  text: Type.Optional(Type.String({ description: 'Absent when the list was asked for include_text=false; always present in the export' })),
  text_truncated: Type.Optional(
    Type.Boolean({ description: 'With max_text_chars: true when the text was cut (to whole grapheme clusters)' }),
  ),
  source: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  chunk_count: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  expires_at: ExpiresAt,
});

export const ListQuery = Type.Object(
  {
    user_id: Type.Optional(UserId),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.pageMax, default: Limits.pageDefault })),
    source: Type.Optional({ ...Source, description: 'Only memories with this source' }),
    metadata: Type.Optional(
      Type.String({
        maxLength: Limits.metadataBytes,
        description: 'Only memories whose metadata contains this JSON object (as the query filters: {"session_id":"s1"}), URL-encoded',
      }),
    ),
    include_text: Type.Optional(Type.Boolean({ default: true, description: 'false: leave each memory\'s text out (a lighter page)' })),
    max_text_chars: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Limits.textBytes,
        description: 'Cut each text to at most this many characters (code points), never inside a grapheme cluster',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ListResponse = Type.Object({
  memories: Type.Array(MemorySummary),
  next_cursor: Nullable(Type.String()),
});

/** For routes that act on one user; defaults to the token's subject. */
export const UserQuery = Type.Object({ user_id: Type.Optional(UserId) }, { additionalProperties: false });
export const EraseQuery = Type.Object({ user_id: UserId }, { additionalProperties: false });
export const IdParams = Type.Object({ id: MemoryId });

export const EraseResponse = Type.Object({
  memories_deleted: Type.Integer(),
  key_destroyed: Type.Boolean(),
});

/**
 * PATCH /memory/{id}: the fields to change; absent ones stay. At least one of text, source, metadata,
 * expires_at, ttl_seconds (checked by the domain, which names them).
 */
export const UpdateBody = Type.Object(
  {
    user_id: ActingUserId,
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: Limits.textBytes,
        description: `The new text (at most ${Limits.textBytes} bytes of UTF-8): re-chunked, re-embedded and re-indexed`,
      }),
    ),
    source: Type.Optional(Type.Union([Source, Type.Null()], { description: 'The new source; null clears it' })),
    metadata: Type.Optional({
      ...Metadata,
      description: `Replaces the whole metadata object (keys are not merged; {} clears it); at most ${Limits.metadataBytes} bytes and ${Limits.metadataDepth} levels deep, stored unencrypted (filterable)`,
    }),
    expires_at: Type.Optional(
      Type.Union([Timestamp, Type.Null()], { description: 'When the memory expires (a future instant); null: never' }),
    ),
    ttl_seconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Limits.ttlSecondsMax, description: 'Expire this many seconds from now (instead of expires_at)' }),
    ),
  },
  { additionalProperties: false },
);
