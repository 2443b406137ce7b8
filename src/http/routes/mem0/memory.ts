import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { Errors } from '../../../errors/app-error.js';
import { actingUser } from '../../plugins/auth.js';
import type { Mem0RoutesOptions } from './index.js';
import { checkFields, optionalObject, parseExpiration, SCOPE_KEYS, toMem0 } from './wire.js';

type Body = Record<string, unknown>;
const hide = { hide: true } as const;
type WithId = { Params: { id: string }; Querystring: Record<string, string | undefined> };

/** mem0's calls name no user: the token's subject, or `?user_id=` for a relay token (Engram's rule). */
const userFor = (request: FastifyRequest, scope: Scope) =>
  actingUser(request, scope, (request.query as Record<string, string | undefined>).user_id);

export function memoryRoutes(app: FastifyInstance, { memory, updates, history }: Mem0RoutesOptions) {
  app.get<WithId>('/v1/memories/:id/', { schema: hide, config: { rateLimitClass: 'read' } }, async (request) => {
    const userId = userFor(request, Scope.Read);
    return toMem0(userId, await memory.get(userId, request.params.id));
  });

  app.put<WithId>('/v1/memories/:id/', { schema: { hide: true, body: { type: 'object' } }, config: { rateLimitClass: 'write' } }, async (request) => {
    const body = request.body as Body;
    checkFields(body, 'body', { supported: ['text', 'metadata', 'expiration_date'], unsupported: { timestamp: "a memory's creation date does not change" } });
    if (body.text !== undefined && typeof body.text !== 'string') throw Errors.validation('text must be a string');
    const metadata = optionalObject(body.metadata, 'metadata');
    const userId = userFor(request, Scope.Write);
    const updated = await updates.update({
      userId,
      memoryId: request.params.id,
      text: body.text as string | undefined,
      metadata,
      expiresAt: parseExpiration(body.expiration_date, 'expiration_date'),
    });
    return toMem0(userId, updated);
  });

  app.delete<WithId>('/v1/memories/:id/', { schema: hide, config: { rateLimitClass: 'write' } }, async (request) => {
    if (request.query.delete_linked === 'true') throw Errors.notSupported('delete_linked is not supported by Engram (memories are not linked)');
    const userId = userFor(request, Scope.Write);
    await memory.delete(userId, request.params.id);
    return { message: 'Memory deleted successfully!' };
  });

  app.get<WithId>('/v1/memories/:id/history/', { schema: hide, config: { rateLimitClass: 'read' } }, async (request) => {
    const userId = userFor(request, Scope.Read);
    const events = await history(userId, request.params.id);
    return events.map((e) => ({
      id: e.id,
      memory_id: e.memoryId,
      input: [],
      old_memory: e.oldText,
      new_memory: e.newText,
      user_id: userId,
      categories: [],
      event: e.event,
      created_at: e.at.toISOString(),
      updated_at: e.at.toISOString(),
    }));
  });

  // delete all: a user's memories, all of them (Engram's erase: data key destroyed, every row deleted).
  app.delete<{ Querystring: Record<string, string | undefined> }>('/v1/memories/', { schema: hide, config: { rateLimitClass: 'write' } }, async (request) => {
    for (const key of Object.keys(request.query)) {
      if ((SCOPE_KEYS as readonly string[]).includes(key)) {
        throw Errors.notSupported(`deleteAll by ${key} is not supported by Engram: delete a user's memories (user_id) or delete memories one by one`);
      }
      if (key !== 'user_id') throw Errors.validation(`query has an unknown parameter "${key.slice(0, 64)}"`);
    }
    const userId = actingUser(request, Scope.Write, request.query.user_id);
    await memory.erase(userId);
    return { message: 'Memories deleted successfully!' };
  });
}
