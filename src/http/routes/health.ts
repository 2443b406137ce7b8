import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Database } from '../../store/database.js';
import type { Embedder } from '../../embed/embedder.js';

const Health = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

/** Liveness (the process answers) and readiness (database reachable, model loaded). */
export async function healthRoutes(app: FastifyInstance, opts: { db: Database; embedder: Embedder }) {
  app.get(
    '/healthz',
    { schema: { operationId: 'healthz', summary: 'Liveness: the process answers', tags: ['health'], response: { 200: Health } } },
    async () => ({ status: 'ok' }),
  );

  const readiness = {
    operationId: 'readyz',
    summary: 'Readiness: the database answers and the embedding model is loaded',
    tags: ['health'],
    response: { 200: Health, 503: Health },
  };
  app.get('/readyz', { schema: readiness }, async (request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await opts.db.ping();
      checks.database = 'ok';
    } catch (err) {
      request.log.warn({ err }, 'readiness: database unreachable');
      checks.database = 'unreachable';
    }
    checks.model = opts.embedder.isReady() ? 'ok' : 'not loaded';
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
