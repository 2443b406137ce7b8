import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import type { MemorySummary } from '../../../memory/memory-service.js';
import { errorResponses } from '../../schemas/common.js';
import { ListQuery, ListResponse } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';
import { truncateText } from '../../../memory/truncate.js';
import { Errors } from '../../../errors/app-error.js';
import { assertMetadata } from '../../../memory/input-checks.js';

export const summaryBody = (m: MemorySummary) => ({
  memory_id: m.memoryId,
  text: m.text,
  source: m.source,
  metadata: m.metadata,
  chunk_count: m.chunkCount,
  created_at: m.createdAt.toISOString(),
  updated_at: m.updatedAt.toISOString(),
  expires_at: m.expiresAt?.toISOString() ?? null,
});

/** A lighter list item: the text left out (include_text=false) or cut (max_text_chars). The export is never lightened. */
function lighter(body: ReturnType<typeof summaryBody>, includeText = true, maxChars?: number) {
  if (!includeText) {
    const { text: _text, ...rest } = body;
    return rest;
  }
  if (maxChars === undefined) return body;
  const { text, truncated } = truncateText(body.text, maxChars);
  return { ...body, text, text_truncated: truncated };
}

export function listMemoriesRoute(app: FastifyInstance, { memory }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/',
    {
      schema: {
        operationId: 'listMemories',
        summary: "A page of a user's memories, newest first",
        tags: ['memory'],
        querystring: ListQuery,
        response: { 200: ListResponse, ...errorResponses },
      },
    },
    async (request) => {
      const userId = actingUser(request, Scope.Read, request.query.user_id);
      const { limit, cursor, include_text: includeText, max_text_chars: maxChars, source } = request.query;
      const metadata = request.query.metadata === undefined ? undefined : metadataFilter(request.query.metadata);
      const page = await memory.list(userId, { limit, cursor, filters: { source, metadata } });
      return { memories: page.memories.map((m) => lighter(summaryBody(m), includeText, maxChars)), next_cursor: page.nextCursor ?? null };
    },
  );
}

/** The `metadata` query parameter: a JSON object, checked as stored metadata is (keys named when bad). */
function metadataFilter(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw Errors.validation('querystring.metadata must be a JSON object, e.g. {"session_id":"s1"} (URL-encoded)');
  }
  assertMetadata(parsed, 'querystring.metadata');
  return parsed;
}
