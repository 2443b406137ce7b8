import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { errorResponses } from '../../schemas/common.js';
import { EraseQuery, EraseResponse } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';

export function eraseUserRoute(app: FastifyInstance, { memory }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().delete(
    '/',
    {
      schema: {
        operationId: 'eraseUser',
        summary: "Erase everything of one user: destroy the user's data key, then delete the rows",
        tags: ['memory'],
        querystring: EraseQuery,
        response: { 200: EraseResponse, ...errorResponses },
      },
    },
    async (request) => {
      const userId = actingUser(request, Scope.Write, request.query.user_id);
      const result = await memory.erase(userId);
      return { memories_deleted: result.memoriesDeleted, key_destroyed: result.keyDestroyed };
    },
  );
}
