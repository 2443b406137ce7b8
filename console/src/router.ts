import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'memories' }
  | { view: 'memory'; id: string }
  | { view: 'search' }
  | { view: 'entities' }
  | { view: 'summaries' }
  | { view: 'data' };

const SIMPLE = new Set(['memories', 'search', 'entities', 'summaries', 'data']);

/** `#/search` → the search view; an unknown hash shows the memories. */
export function parseHash(hash: string): Route {
  const [, view = '', id, ...rest] = hash.replace(/^#/, '').split('/');
  if (view === 'memories' && id && rest.length === 0) return { view: 'memory', id: decodeURIComponent(id) };
  if (SIMPLE.has(view) && id === undefined) return { view } as Route;
  return { view: 'memories' };
}

export const routeKey = (route: Route): string => (route.view === 'memory' ? `memory/${route.id}` : route.view);

export const memoryHref = (id: string): string => `#/memories/${encodeURIComponent(id)}`;

/** The current route; hash changes re-render without reloading (the token lives in memory). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

let notice: string | null = null;

/** Goes to another view with a message its status line shows once (e.g. `Deleted` after a delete). */
export function navigate(hash: string, message?: string): void {
  notice = message ?? null;
  location.hash = hash;
}

export function takeNotice(): string | null {
  const message = notice;
  notice = null;
  return message;
}
