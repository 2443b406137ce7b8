import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const COMMITTED = new URL('../../openapi.v1.json', import.meta.url);
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );

/** Issue 3: the served OpenAPI document equals the committed openapi.v1.json, and /docs serves the UI. */
describe(`OpenAPI document (${backend()})`, () => {
  let t: TestApp;
  let served: Document;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    served = res.json();
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('equals the committed openapi.v1.json', () => {
    const committed: unknown = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    expect(served, 'openapi.v1.json is stale: run `npm run openapi:export` and commit the result').toEqual(committed);
  });

  it('is OpenAPI 3.1 without host-specific servers and without the operator and docs routes', () => {
    expect(served.openapi).toMatch(/^3\.1\.\d+$/);
    expect(JSON.stringify(served)).not.toMatch(/127\.0\.0\.1|localhost/);
    const paths = Object.keys(served.paths);
    expect(paths).not.toContain('/metrics');
    expect(paths.filter((p) => p.startsWith('/docs') || p.includes('openapi'))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/api/v1/memory/index', '/api/v1/memory/query']));
  });

  it('gives every memory operation an operationId, the bearer requirement and ErrorBody for its 4xx', () => {
    expect(served.components.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(served.components.schemas?.ErrorBody).toMatchObject({ type: 'object', required: ['code', 'detail', 'request_id'] });
    const memory = operations(served).filter(({ path }) => path.startsWith('/api/v1/memory'));
    expect(memory.length).toBeGreaterThanOrEqual(7);
    for (const { path, method, op } of memory) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.security, where).toEqual([{ bearerAuth: [] }]);
      const errors = Object.entries(op.responses).filter(([status]) => /^4\d\d$/.test(status));
      expect(errors.length, where).toBeGreaterThan(0);
      for (const [status, response] of errors) {
        expect(response.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/ErrorBody' });
      }
    }
    const ids = operations(served).map(({ op }) => op.operationId);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
  });

  it('leaves the health probes without a security requirement', () => {
    expect(served.paths['/healthz']?.get?.operationId).toBe('healthz');
    expect(served.paths['/healthz']?.get?.security).toBeUndefined();
    expect(served.paths['/readyz']?.get?.security).toBeUndefined();
  });

  it('serves the interactive docs at /docs without a token', async () => {
    let res = await t.app.inject({ method: 'GET', url: '/docs' });
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 3; hops++) {
      res = await t.app.inject({ method: 'GET', url: new URL(String(res.headers.location), 'http://x/docs').pathname });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/swagger-ui/i);
    // The UI's assets come from the package (no CDN): the docs work offline.
    const bundle = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
  });

  it('still serializes errors through the shared ErrorBody schema', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${randomUUID()}` });
    expect(anonymous.statusCode).toBe(401);
    expect(Object.keys(anonymous.json()).sort()).toEqual(['code', 'detail', 'request_id']);

    const authorization = `Bearer ${await t.token('openapi-user')}`;
    const missing = await t.app.inject({ method: 'GET', url: `/api/v1/memory/${randomUUID()}`, headers: { authorization } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 'NOT_FOUND', detail: expect.any(String), request_id: missing.headers['x-request-id'] });
  });
});
