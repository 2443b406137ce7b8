import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import { parseBody, withQuery, type EngramApi } from '../../mcp/api.js';
import { createMcpServer } from '../../mcp/tools.js';
import { authPlugin } from '../plugins/auth.js';

/**
 * MCP over Streamable HTTP at /mcp, stateless: each POST carries JSON-RPC messages and gets their
 * answers. The bearer token is verified like on every API route, and each tool call goes through
 * the API in-process with that same token, so the tenant is the token's subject and every route
 * rule (scopes, validation, rate limits, metrics) applies to it. /mcp itself is not rate limited:
 * the tool calls are, by their own route class.
 */
export async function mcpRoutes(app: FastifyInstance, opts: { verifier: TokenVerifier; version: string }) {
  await app.register(authPlugin, { verifier: opts.verifier });
  const root = app;

  app.post(
    '/mcp',
    { config: { rateLimit: false }, schema: { hide: true } },
    async (request, reply) => {
      const subject = request.principal!.subject; // the auth hook verified the token before this runs
      const server = createMcpServer(injectApi(root, request.headers.authorization ?? ''), opts.version, subject);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  );
  // GET (a server-initiated stream) and DELETE (ending a session) do not exist: this endpoint is
  // stateless, and the shared not-found handler answers them 405 with Allow: POST.
}

/** In the service (`/mcp`): the request's own bearer token, through the app in-process. */
function injectApi(app: FastifyInstance, authorization: string): EngramApi {
  return async (method, path, options = {}) => {
    const res = await app.inject({
      method,
      url: withQuery(path, options.query),
      headers: { authorization, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      payload: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return { status: res.statusCode, body: parseBody(res.body) };
  };
}
