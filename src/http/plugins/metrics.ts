import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../metrics/metrics.js';

/** The memory API; health, metrics and the OpenAPI document are not counted as API traffic. */
const API_PREFIX = '/api/v1/memory';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/**
 * Request metrics for the API routes (latency, counts by route template and status) and open
 * connections. Route labels are templates (`/api/v1/memory/:id`), never raw URLs or user ids.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: { metrics: Metrics }) => {
    const { metrics } = opts;
    app.decorate('metrics', metrics);
    // Counters with labels only appear on first use, and increase() cannot see a series' first
    // sample: start the ones alerts watch at zero so the first event is already an increase.
    for (const outcome of ['ok', 'error']) metrics.queries.inc({ outcome }, 0);
    for (const outcome of ['stored', 'deduplicated', 'failed']) metrics.batchItems.inc({ outcome }, 0);
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith(API_PREFIX)) metrics.crossTenantAttempts.inc({ route: route.url }, 0);
    });

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (!route?.startsWith(API_PREFIX)) return;
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      metrics.requests.inc(labels);
      metrics.requestLatency.observe(labels, reply.elapsedTime);
    });

    app.addHook('onReady', async () => {
      app.server.on('connection', (socket) => {
        metrics.activeConnections.inc();
        socket.once('close', () => metrics.activeConnections.dec());
      });
    });
  },
  { name: 'engram-metrics', fastify: '5.x' },
);
