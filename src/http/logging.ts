import type { Writable } from 'node:stream';
import type { FastifyServerOptions } from 'fastify';

/**
 * Request logs carry the method, the path without its query string (which holds user ids) and
 * the peer; never headers (the bearer token) and never bodies (memory text).
 */
export function loggerOptions(level: string, stream?: Writable): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        remoteAddress: req.ip,
      }),
    },
  };
}
