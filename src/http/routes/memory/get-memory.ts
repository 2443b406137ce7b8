import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { ErrorBody, errorResponses } from '../../schemas/common.js';
import { IdParams, MemoryResponse, UserQuery } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';
import type { Memory } from '../../../memory/memory-service.js';

export function getMemoryRoute(app: FastifyInstance, { memory }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/:id',
    {
      schema: {
        operationId: 'getMemory',
        summary: 'One memory, decrypted',
        tags: ['memory'],
        params: IdParams,
        querystring: UserQuery,
        response: { 200: MemoryResponse, 404: ErrorBody, ...errorResponses },
      },
    },
    async (request) => {
      const userId = actingUser(request, Scope.Read, request.query.user_id);
      const m = await memory.get(userId, request.params.id);
      return memoryBody(m);
    },
  );
}

/** A memory as GET /{id} (and PATCH) answer it. */
export const memoryBody = (m: Memory) => ({
  memory_id: m.memoryId,
  text: m.text,
  source: m.source,
  metadata: m.metadata,
  chunk_ids: m.chunkIds,
  created_at: m.createdAt.toISOString(),
  updated_at: m.updatedAt.toISOString(),
  expires_at: m.expiresAt?.toISOString() ?? null,
});
