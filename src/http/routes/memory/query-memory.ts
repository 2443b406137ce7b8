import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { parseTimestamp } from '../../../memory/input-checks.js';
import { errorResponses } from '../../schemas/common.js';
import { QueryBody, QueryResponse } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export function queryMemoryRoute(app: FastifyInstance, { memory }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/query',
    {
      schema: {
        operationId: 'queryMemory',
        summary: "Hybrid search over one user's memories (vector + blind keyword index, optional rerank)",
        tags: ['memory'],
        body: QueryBody,
        response: { 200: QueryResponse, ...errorResponses },
      },
    },
    async (request) => {
      const userId = actingUser(request, Scope.Read, request.body.user_id);
      const filters = request.body.filters ?? {};
      const { hits, reranked } = await memory.query({
        userId,
        query: request.body.query,
        k: request.body.k,
        minScore: request.body.min_score,
        minRelevance: request.body.min_relevance,
        rerank: request.body.rerank,
        filters: {
          source: filters.source,
          metadata: filters.metadata,
          createdAfter: filters.created_after ? parseTimestamp(filters.created_after) : undefined,
          createdBefore: filters.created_before ? parseTimestamp(filters.created_before) : undefined,
        },
      });
      return {
        results: hits.map((hit) => ({
          memory_id: hit.memoryId,
          chunk_id: hit.chunkId,
          text: hit.text,
          score: hit.score,
          relevance: hit.relevance,
          scores: hit.scores,
          context_from: hit.contextFrom ? { memory_id: hit.contextFrom.memoryId, chunk_id: hit.contextFrom.chunkId } : null,
          source: hit.source,
          metadata: hit.metadata,
          created_at: hit.createdAt.toISOString(),
        })),
        reranked,
      };
    },
  );
}
