import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { parseBearer, Scope, type Principal, type TokenVerifier } from '../../auth/token-verifier.js';
import { Errors } from '../../errors/app-error.js';
import { BEARER_AUTH } from './openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * Decides which user a request acts for. The token's subject is the user; naming another user_id
 * needs the memory:relay scope, and an attempt without it is refused as CROSS_TENANT and logged.
 */
export function actingUser(request: FastifyRequest, scope: Scope, userId: string | undefined): string {
  const principal = request.principal;
  if (!principal) throw Errors.unauthenticated();
  if (!principal.scopes.has(scope)) throw Errors.forbidden(`the token lacks the ${scope} scope`);
  if (userId === undefined || userId === principal.subject) return principal.subject;
  if (principal.scopes.has(Scope.Relay)) return userId;
  const route = request.routeOptions.url ?? 'unknown';
  request.server.metrics?.crossTenantAttempts.inc({ route });
  request.log.warn({ event: 'cross_tenant_attempt', route }, 'token named another user_id');
  throw Errors.crossTenant();
}

/**
 * Verifies the bearer token on every route of the encapsulating context, and says so in the OpenAPI
 * document: each of those routes gets the bearer security requirement.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: { verifier: TokenVerifier; /** Authorization schemes taken (default Bearer; mem0's client sends Token). */ schemes?: string[] }) => {
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ [BEARER_AUTH]: [] }] };
    });
    app.decorateRequest('principal', undefined);
    app.addHook('onRequest', async (request) => {
      request.principal = await opts.verifier.verify(parseBearer(request.headers.authorization, opts.schemes));
    });
  },
  { name: 'engram-auth', fastify: '5.x' },
);
