import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Scope } from '../../../auth/token-verifier.js';
import { ErrorBody, errorResponses } from '../../schemas/common.js';
import { IdParams, UserQuery } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export function deleteMemoryRoute(app: FastifyInstance, { memory }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteMemory',
        summary: 'Delete one memory and its chunks',
        tags: ['memory'],
        params: IdParams,
        querystring: UserQuery,
        response: { 204: Type.Null(), 404: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const userId = actingUser(request, Scope.Write, request.query.user_id);
      await memory.delete(userId, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
