import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { ErrorBody, errorResponses } from '../../schemas/common.js';
import { SummarizeBody, SummarizeResponse } from '../../schemas/summarize.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export function summarizeMemoriesRoute(app: FastifyInstance, { summarizer }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/summarize',
    {
      schema: {
        operationId: 'summarizeMemories',
        summary: "A summary of one user's memories (by ids, a query or a time range), each sentence with its sources",
        description:
          'Extractive by default (offline: sentence embeddings, centroid + TextRank salience, MMR). With an LLM ' +
          'configured, method auto or llm asks it, and falls back to extractive (fallback_reason) on failure.',
        tags: ['memory'],
        body: SummarizeBody,
        response: { 200: SummarizeResponse, 404: ErrorBody, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const userId = actingUser(request, Scope.Read, body.user_id);
      const result = await summarizer.summarize({
        userId,
        memoryIds: body.memory_ids,
        query: body.query,
        k: body.k,
        createdAfter: body.created_after ? new Date(body.created_after) : undefined,
        createdBefore: body.created_before ? new Date(body.created_before) : undefined,
        style: body.style,
        method: body.method,
        maxSentences: body.max_sentences,
        maxChars: body.max_chars,
      });
      return {
        summary: result.summary,
        style: result.style,
        method: result.method,
        fallback_reason: result.fallbackReason ?? null,
        sources: result.sentences.map((s) => ({
          sentence: s.text,
          memory_ids: s.memoryIds,
          chunk_ids: s.chunkIds,
          created_at: s.createdAt.toISOString(),
        })),
        memory_count: result.memoryCount,
        truncated: result.truncated,
      };
    },
  );
}
