import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { ErrorBody, errorResponses } from '../../schemas/common.js';
import { IdParams, MemoryResponse, UpdateBody } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';
import { memoryBody } from './get-memory.js';

export function updateMemoryRoute(app: FastifyInstance, { updates, entities, entitiesOnIngest }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().patch(
    '/:id',
    {
      schema: {
        operationId: 'updateMemory',
        summary: 'Change a memory: its text (re-chunked, re-embedded, re-indexed atomically), source, metadata or expiry',
        tags: ['memory'],
        params: IdParams,
        body: UpdateBody,
        response: { 200: MemoryResponse, 404: ErrorBody, 409: ErrorBody, ...errorResponses },
      },
    },
    async (request) => {
      const { body } = request;
      const userId = actingUser(request, Scope.Write, body.user_id);
      const m = await updates.update({
        userId,
        memoryId: request.params.id,
        text: body.text,
        source: body.source,
        metadata: body.metadata,
        expiresAt: body.expires_at === undefined ? undefined : body.expires_at === null ? null : new Date(body.expires_at),
        ttlSeconds: body.ttl_seconds,
      });
      if (entitiesOnIngest && m.textChanged) {
        // As on index: the update is committed; the old chunks' mentions went with them.
        await entities.ingested(userId, m.memoryId, m.text, m.chunkIds).catch((err: unknown) => {
          request.log.warn({ err, event: 'entities_on_update_failed' }, 'entity extraction on update failed');
        });
      }
      return memoryBody(m);
    },
  );
}
