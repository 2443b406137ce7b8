/**
 * Rate limits are budgeted per user and per route class, not per route: the three read routes share
 * one budget, the two destructive ones another. The classes and their order are stable (metric labels).
 */
export const ROUTE_CLASSES = ['ingest', 'query', 'read', 'write', 'summarize'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

/**
 * The class of a route, from its method and URL template (`/api/v1/memory/:id`):
 * - `summarize`: anything under a `summarize` or `entities` path segment (LLM-backed, the dearest);
 * - `ingest`: POST …/index and …/index/batch (a batch costs one unit per item); `query`: POST …/query;
 * - `read`: GET and HEAD (one memory, a page, the export);
 * - `write`: everything else that changes state (PATCH or DELETE one memory, erase a user).
 */
export function routeClass(method: string, url: string): RouteClass {
  if (/\/(summarize|entities)(\/|$)/.test(url)) return 'summarize';
  if (method === 'POST' && (url.endsWith('/index') || url.endsWith('/index/batch'))) return 'ingest';
  if (method === 'POST' && url.endsWith('/query')) return 'query';
  if (method === 'GET' || method === 'HEAD') return 'read';
  return 'write';
}

/** The per-window budget of each class: requests per minute scaled to the window, at least 1. */
export function budgets(perMinute: Record<RouteClass, number>, windowMs: number): Record<RouteClass, number> {
  const entries = ROUTE_CLASSES.map((c) => [c, Math.max(1, Math.round((perMinute[c] * windowMs) / 60_000))] as const);
  return Object.fromEntries(entries) as Record<RouteClass, number>;
}
