import type { FastifyInstance } from 'fastify';

/**
 * Remembers which methods each route path answers, so that a known path asked with another method
 * gets 405 with `Allow` instead of a 404 that suggests the path does not exist. Call before the
 * routes are registered (it hooks onRoute); returns the lookup for the not-found handler.
 */
export function trackRouteMethods(app: FastifyInstance): ((path: string) => string[]) & { staticOnly: (path: string) => string[] } {
  const routes = new Map<string, { pattern: RegExp; static: boolean; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    const url = normalise(route.url ?? route.path);
    const entry = routes.get(url) ?? { pattern: toPattern(url), static: !/[:*]/.test(url), methods: new Set<string>() };
    for (const method of [route.method].flat()) entry.methods.add(method);
    routes.set(url, entry);
  });
  const lookup = (path: string) => {
    const target = normalise(path.split('?')[0] ?? path);
    const matches = [...routes.values()].filter((r) => r.pattern.test(target));
    // As the router does: a static path (`/index`) wins over a parametric one (`/:id`).
    const chosen = matches.some((r) => r.static) ? matches.filter((r) => r.static) : matches;
    return [...new Set(chosen.flatMap((r) => [...r.methods]))].sort();
  };
  return Object.assign(lookup, {
    /**
     * The methods of the static route at this exact path (`/query`: POST), ignoring parametric ones
     * (`/:id`). A map lookup: it runs on every request a parametric route answers.
     */
    staticOnly: (path: string) => {
      const entry = routes.get(normalise(path.split('?')[0] ?? path));
      return entry?.static ? [...entry.methods].sort() : [];
    },
  });
}

const normalise = (url: string) => (url.length > 1 ? url.replace(/\/+$/, '') : url);

/** `/api/v1/memory/:id` → a regular expression matching one path segment for each parameter. */
function toPattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}
