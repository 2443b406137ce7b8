import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Scope } from '../../../auth/token-verifier.js';
import { errorResponses } from '../../schemas/common.js';
import { UserQuery } from '../../schemas/memory.js';
import { actingUser } from '../../plugins/auth.js';
import type { MemoryRoutesOptions } from './index.js';
import { summaryBody } from './list-memories.js';

export function exportMemoriesRoute(app: FastifyInstance, { memory }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/export',
    {
      schema: {
        operationId: 'exportMemories',
        summary: "All of a user's memories, decrypted, as NDJSON (one memory per line, newest first)",
        tags: ['memory'],
        querystring: UserQuery,
        response: {
          200: { content: { 'application/x-ndjson': { schema: Type.String() } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const userId = actingUser(request, Scope.Read, request.query.user_id);
      const pages = memory.export(userId);
      // Read the first page before answering, so a failure still gets a proper error response.
      const first = await pages.next();
      async function* lines() {
        if (first.done) return;
        yield `${JSON.stringify(summaryBody(first.value))}\n`;
        for await (const m of pages) yield `${JSON.stringify(summaryBody(m))}\n`;
      }
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', 'attachment; filename="memories.ndjson"')
        .send(Readable.from(lines()) as never); // a stream; the schema above documents its lines
    },
  );
}
