import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { errorResponses } from '../../schemas/common.js';
import { IndexBody, IndexResponse } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { IndexInput } from '../../../memory/ingest.js';
import { parseTimestamp } from '../../../memory/input-checks.js';
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
        response: {
          201: IndexResponse,
          200: { ...IndexResponse, description: 'The user already had this text: the existing memory, deduplicated: true' },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const userId = actingUser(request, Scope.Write, request.body.user_id);
      const receivedAt = performance.now() - reply.elapsedTime;
      const result = await memory.index(toIndexInput(userId, request.body), receivedAt);
      if (entitiesOnIngest && !result.deduplicated) {
        // The memory is committed; a failure here leaves it without graph rows, not unstored.
        await entities.ingested(userId, result.memoryId, request.body.text, result.chunkIds).catch((err: unknown) => {
          request.log.warn({ err, event: 'entities_on_ingest_failed' }, 'entity extraction on ingest failed');
        });
      }
      // 200 for the memory the user already had: nothing was created.
      return reply.status(result.deduplicated ? 200 : 201).send({
        memory_id: result.memoryId,
        chunk_ids: result.chunkIds,
        chunk_count: result.chunkIds.length,
        created_at: result.createdAt.toISOString(),
        updated_at: result.updatedAt.toISOString(),
        expires_at: result.expiresAt?.toISOString() ?? null,
        deduplicated: result.deduplicated,
      });
    },
  );
}

/** The domain's input from an index body (also an item of the batch route). */
export function toIndexInput(userId: string, body: Omit<Static<typeof IndexBody>, 'user_id'>): IndexInput {
  return {
    userId,
    text: body.text,
    source: body.source,
    metadata: body.metadata,
    // The schema's date-time format already refused what parseTimestamp refuses (leap seconds, 31 February).
    expiresAt: body.expires_at === undefined ? undefined : body.expires_at === null ? null : parseTimestamp(body.expires_at),
    ttlSeconds: body.ttl_seconds,
    dedup: body.dedup,
    createdAt: body.created_at === undefined ? undefined : parseTimestamp(body.created_at),
    updatedAt: body.updated_at === undefined ? undefined : parseTimestamp(body.updated_at),
  };
}
