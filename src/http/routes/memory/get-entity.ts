import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { ErrorBody, errorResponses } from '../../schemas/common.js';
import { EntityLookupResponse, EntityQuery } from '../../schemas/entities.js';
import { actingUser } from '../../plugins/auth.js';
import { relationshipBody } from './extract-entities.js';
import type { MemoryRoutesOptions } from './index.js';

export function getEntityRoute(app: FastifyInstance, { entities }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/entities',
    {
      schema: {
        operationId: 'getEntity',
        summary: "One entity of the user's graph by exact name, its relationships and the memories that mention it",
        tags: ['memory'],
        querystring: EntityQuery,
        response: { 200: EntityLookupResponse, 404: ErrorBody, ...errorResponses },
      },
    },
    async (request) => {
      const userId = actingUser(request, Scope.Read, request.query.user_id);
      const found = await entities.lookup(userId, request.query.name);
      return {
        entity: found.entity,
        relationships: found.relationships.map(relationshipBody),
        memories: found.memories.map((m) => ({
          memory_id: m.memoryId,
          chunk_ids: m.chunkIds,
          text: m.text,
          created_at: m.createdAt.toISOString(),
        })),
      };
    },
  );
}
