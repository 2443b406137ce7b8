import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';

/** Prometheus text exposition. Served on the API port, or on METRICS_PORT only when that is set. */
export async function metricsRoute(app: FastifyInstance, opts: { metrics: Metrics }) {
  // Not part of the API document: an operator endpoint, possibly on its own port.
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(body);
  });
}
