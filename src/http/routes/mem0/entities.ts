import type { FastifyInstance } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { Errors } from '../../../errors/app-error.js';
import { actingUser } from '../../plugins/auth.js';
import type { Mem0RoutesOptions } from './index.js';

type Params = { Params: { type: string; id: string } };

/**
 * mem0's entities are users, agents, apps and runs; Engram's tenant is the user. The users list is the
 * token's own user (Engram keeps user ids only as keyed hashes, so it cannot list the others); delete
 * user erases that user (data key destroyed, every row deleted).
 */
export function entityRoutes(app: FastifyInstance, { memory }: Mem0RoutesOptions) {
  app.get('/v1/entities/', { schema: { hide: true }, config: { rateLimitClass: 'read' } }, async (request) => {
    const principal = request.principal!;
    if (!principal.scopes.has(Scope.Read)) throw Errors.forbidden(`the token lacks the ${Scope.Read} scope`);
    if (principal.scopes.has(Scope.Relay)) {
      throw Errors.notSupported('listing users is not supported by Engram for a relay token: user ids are stored only as keyed hashes');
    }
    const userId = principal.subject;
    const [total, newest] = await Promise.all([memory.count(userId), memory.list(userId, { limit: 1 })]);
    const at = newest.memories[0]?.createdAt.toISOString() ?? null;
    const results = total === 0 ? [] : [{ id: userId, name: userId, type: 'user', total_memories: total, owner: userId, created_at: at, updated_at: at }];
    return { count: results.length, next: null, previous: null, results };
  });

  for (const version of ['v1', 'v2']) {
    app.delete<Params>(`/${version}/entities/:type/:id/`, { schema: { hide: true }, config: { rateLimitClass: 'write' } }, async (request) => {
      if (request.params.type !== 'user') {
        throw Errors.notSupported(`deleting a ${request.params.type.slice(0, 16)} is not supported by Engram: its tenant is the user (delete the user, or its memories one by one)`);
      }
      const userId = actingUser(request, Scope.Write, request.params.id);
      await memory.erase(userId);
      return { message: 'Entity deleted successfully.' };
    });
  }
}
