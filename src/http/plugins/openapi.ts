import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sharedSchemas } from '../schemas/common.js';

/** Where the document is served (no auth), and the interactive docs. */
export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PREFIX = '/docs';

/** The name of the security scheme the memory routes require (declared by the auth plugin). */
export const BEARER_AUTH = 'bearerAuth';

// Same depth from src/ and dist/: src/http/plugins/openapi.ts → ../../../package.json.
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const DESCRIPTION = [
  'Self-hosted memory service for AI applications: per-user isolated, encrypted semantic memory.',
  '',
  'Every `/api/v1/memory` route needs a bearer JWT. Its subject is the user; `memory:read` and',
  '`memory:write` scopes gate reads and writes, and naming another `user_id` needs `memory:relay`.',
  'Errors share one body, `ErrorBody`: a stable `code`, a `detail` and the `request_id`.',
].join('\n');

/**
 * The OpenAPI 3.1 document, generated from the route schemas, and the interactive docs. Registered
 * on the root instance before the routes: @fastify/swagger collects routes as they are added, and
 * the shared schemas (ErrorBody) must exist before a route schema references them.
 *
 * The document is deterministic (no timestamps, no host-specific servers): it is exported to
 * openapi.v1.json by `npm run openapi:export`, and a test compares the two.
 */
export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    for (const schema of sharedSchemas) app.addSchema(schema);

    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Engram',
          version,
          description: DESCRIPTION,
          license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        },
        tags: [
          { name: 'memory', description: "Index, search, read, export and erase a user's memories" },
          { name: 'health', description: 'Liveness and readiness probes' },
        ],
        components: {
          securitySchemes: {
            [BEARER_AUTH]: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'A JWT whose subject is the user, with memory:read / memory:write (/ memory:relay) scopes',
            },
          },
        },
      },
      // Shared schemas keep their $id as the component name (#/components/schemas/ErrorBody).
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
      },
    });

    // Serves its static files from the package: works offline. Its own routes are hidden.
    await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });

    app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'engram-openapi', fastify: '5.x' },
);
