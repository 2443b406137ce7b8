import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { errorResponses } from '../../schemas/common.js';
import { GraphQuery, GraphResponse } from '../../schemas/entities.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export function getGraphRoute(app: FastifyInstance, { entities }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/graph',
    {
      schema: {
        operationId: 'getGraph',
        summary: "The user's entity graph: the most mentioned entities and the relationships among them",
        tags: ['memory'],
        querystring: GraphQuery,
        response: { 200: GraphResponse, ...errorResponses },
      },
    },
    async (request) => {
      const userId = actingUser(request, Scope.Read, request.query.user_id);
      const graph = await entities.graph(userId, request.query.limit);
      return {
        entities: graph.entities,
        relationships: graph.relationships.map((r) => ({
          source_id: r.sourceId,
          target_id: r.targetId,
          source: r.source,
          predicate: r.predicate,
          target: r.target,
          memory_id: r.memoryId,
        })),
        truncated: graph.truncated,
      };
    },
  );
}
