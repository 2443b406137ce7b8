import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../../../auth/token-verifier.js';
import { Errors } from '../../../errors/app-error.js';
import type { HistoryEvent } from '../../../lifecycle/history.js';
import type { UpdateService } from '../../../lifecycle/update.js';
import type { FactExtractor } from '../../../memory/facts.js';
import type { MemoryService } from '../../../memory/memory-service.js';
import { authPlugin } from '../../plugins/auth.js';
import { batchRoutes } from './batch.js';
import { entityRoutes } from './entities.js';
import { memoryRoutes } from './memory.js';
import { memoriesRoutes } from './memories.js';

export interface Mem0RoutesOptions {
  memory: MemoryService;
  updates: UpdateService;
  verifier: TokenVerifier;
  history: (userId: string, memoryId: string) => Promise<HistoryEvent[]>;
  /** add with infer: facts from an LLM (LLM_URL), behind its timeout and breaker; absent: the turns are stored. */
  facts?: FactExtractor;
}

/**
 * The routes mem0's own client (`mem0ai`'s MemoryClient with `host` set to Engram) calls, mapped onto
 * Engram's domain: the same store, tenant rules, limits and encryption as /api/v1/memory. The client
 * sends `Authorization: Token <key>`: the key is an Engram token. Not in the OpenAPI document (it
 * describes Engram's own API); README "Coming from mem0" lists the routes and what differs.
 */
export async function mem0Routes(app: FastifyInstance, opts: Mem0RoutesOptions) {
  await app.register(authPlugin, { verifier: opts.verifier, schemes: ['Token', 'Bearer'] });
  // mem0's client sends `content-type: application/json` on bodiless DELETEs: an empty body is no body
  // here (Fastify's own parser, prototype-poisoning checks included, for everything else).
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : json(request, body as string, done),
  );
  // The client pings once per key: a valid token is all it checks. No organisation or project.
  app.get('/v1/ping/', { schema: { hide: true }, config: { rateLimitClass: 'read' } }, async () => ({ status: 'ok', org_id: null, project_id: null, user_email: null }));
  memoriesRoutes(app, opts);
  memoryRoutes(app, opts);
  entityRoutes(app, opts);
  batchRoutes(app, opts);
  // The rest of mem0's platform API (projects, webhooks, feedback, exports, profiles, …): a clear 400.
  for (const path of ['/v1/*', '/v2/*', '/v3/*', '/api/v1/orgs/*', '/api/v1/webhooks/*']) {
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: path,
      schema: { hide: true },
      handler: async (request) => {
        const route = request.url.split('?')[0]!.slice(0, 120);
        throw Errors.notSupported(`mem0's ${request.method} ${route} is not offered by Engram (see README, "Coming from mem0")`);
      },
    });
  }
}
