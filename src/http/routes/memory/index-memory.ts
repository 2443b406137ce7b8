import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { errorResponses } from '../../schemas/common.js';
import { IndexBody, IndexResponse } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export function indexMemoryRoute(app: FastifyInstance, { memory, entities, entitiesOnIngest }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/index',
    {
      schema: {
        operationId: 'indexMemory',
        summary: 'Ingest text for a user: chunk, embed, encrypt and store it',
        tags: ['memory'],
        body: IndexBody,
        response: { 201: IndexResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const userId = actingUser(request, Scope.Write, request.body.user_id);
      const receivedAt = performance.now() - reply.elapsedTime;
      const result = await memory.index(
        { userId, text: request.body.text, source: request.body.source, metadata: request.body.metadata },
        receivedAt,
      );
      if (entitiesOnIngest) {
        // The memory is committed; a failure here leaves it without graph rows, not unstored.
        await entities.ingested(userId, result.memoryId, request.body.text, result.chunkIds).catch((err: unknown) => {
          request.log.warn({ err, event: 'entities_on_ingest_failed' }, 'entity extraction on ingest failed');
        });
      }
      return reply.status(201).send({
        memory_id: result.memoryId,
        chunk_ids: result.chunkIds,
        chunk_count: result.chunkIds.length,
        created_at: result.createdAt.toISOString(),
      });
    },
  );
}
