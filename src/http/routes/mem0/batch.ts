import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { AppError, Errors } from '../../../errors/app-error.js';
import { prepareMemory } from '../../../memory/ingest.js';
import { Limits } from '../../../memory/limits.js';
import { actingUser } from '../../plugins/auth.js';
import type { Mem0RoutesOptions } from './index.js';

interface Item {
  memory_id: string;
  text?: string;
}

function itemsOf(request: FastifyRequest, withText: boolean): Item[] {
  const body = request.body as Record<string, unknown> | undefined;
  const memories = body?.memories;
  if (!Array.isArray(memories) || memories.length === 0) throw Errors.validation('memories must be a non-empty array');
  if (memories.length > Limits.batchItems) throw Errors.validation(`memories: at most ${Limits.batchItems} per request`);
  return memories.map((m, i) => {
    const item = m as Record<string, unknown>;
    if (typeof item?.memory_id !== 'string') throw Errors.validation(`memories[${i}].memory_id must be a string`);
    if (withText && typeof item.text !== 'string') throw Errors.validation(`memories[${i}].text must be a string`);
    return { memory_id: item.memory_id, text: item.text as string | undefined };
  });
}

/**
 * mem0's batch update and delete, up to Limits.batchItems memories of one user. Every item is checked
 * first (its text, and that the memory exists): a bad item refuses the request before anything changes.
 */
export function batchRoutes(app: FastifyInstance, { memory, updates }: Mem0RoutesOptions) {
  const user = (request: FastifyRequest) => actingUser(request, Scope.Write, (request.query as Record<string, string | undefined>).user_id);
  const schema = { hide: true, body: { type: 'object' } } as const;
  const cost = (request: FastifyRequest) => {
    const n = (request.body as { memories?: unknown[] } | undefined)?.memories?.length;
    return typeof n === 'number' && n >= 1 && n <= Limits.batchItems ? n : 1;
  };

  const checkAll = async (userId: string, items: Item[]) => {
    for (const [i, item] of items.entries()) {
      try {
        if (item.text !== undefined) prepareMemory({ userId, text: item.text });
        await memory.get(userId, item.memory_id);
      } catch (err) {
        if (err instanceof AppError && err.statusCode < 500) throw new AppError(err.code, `memories[${i}]: ${err.detail}`);
        throw err;
      }
    }
  };

  app.put('/v1/batch/', { schema, config: { rateLimitClass: 'write', rateLimitCost: cost } }, async (request) => {
    const userId = user(request);
    const items = itemsOf(request, true);
    await checkAll(userId, items);
    for (const item of items) await updates.update({ userId, memoryId: item.memory_id, text: item.text });
    return { message: `Successfully updated ${items.length} memories` };
  });

  app.delete('/v1/batch/', { schema, config: { rateLimitClass: 'write', rateLimitCost: cost } }, async (request) => {
    const userId = user(request);
    const items = itemsOf(request, false);
    await checkAll(userId, items);
    for (const item of items) await memory.delete(userId, item.memory_id);
    return { message: `Successfully deleted ${items.length} memories` };
  });
}
