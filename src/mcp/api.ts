/** One answer of Engram's HTTP API, as the MCP tools see it. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/**
 * How the MCP tools reach Engram: the same HTTP API either way, so a tool call gets exactly the
 * route's authentication, tenant rules, validation, rate limits and metrics.
 */
export type EngramApi = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options?: { body?: unknown; query?: Record<string, string | number | undefined> },
) => Promise<ApiResponse>;

export const withQuery = (path: string, query: Record<string, string | number | undefined> = {}) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
};

export const parseBody = (text: string): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** For `engram mcp` (stdio): a running service over HTTP, with a token. */
export function fetchApi(baseUrl: string, token: string, timeoutMs = 30_000): EngramApi {
  const base = baseUrl.replace(/\/+$/, '');
  return async (method, path, options = {}) => {
    const res = await fetch(`${base}${withQuery(path, options.query)}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: parseBody(await res.text()) };
  };
}
