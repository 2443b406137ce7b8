import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import type { GraphRelationship } from '../../../entities/entity-service.js';
import { ErrorBody, errorResponses } from '../../schemas/common.js';
import { ExtractEntitiesBody, ExtractEntitiesResponse } from '../../schemas/entities.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export const relationshipBody = (r: GraphRelationship) => ({
  source: r.source,
  predicate: r.predicate,
  target: r.target,
  evidence: r.evidence,
  memory_id: r.memoryId,
  chunk_id: r.chunkId,
});

export function extractEntitiesRoute(app: FastifyInstance, { entities }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/entities',
    {
      schema: {
        operationId: 'extractEntities',
        summary: "Entities and relationships in a text or in a user's memories; persist=true adds them to the user's graph",
        tags: ['memory'],
        body: ExtractEntitiesBody,
        response: { 200: ExtractEntitiesResponse, 404: ErrorBody, ...errorResponses },
      },
    },
    async (request) => {
      const { body } = request;
      const userId = actingUser(request, body.persist ? Scope.Write : Scope.Read, body.user_id);
      const result = await entities.extract({ userId, text: body.text, memoryIds: body.memory_ids, persist: body.persist });
      return {
        entities: result.entities,
        relationships: result.relationships.map(relationshipBody),
        persisted: result.persisted,
      };
    },
  );
}
