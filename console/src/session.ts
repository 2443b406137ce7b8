import { api, ApiError, setToken } from './api';

/** Who is signed in, from the token's payload (not verified here: the API verifies every request). */
export interface Session {
  user: string;
  scopes: string[];
}

function decodePayload(jwt: string): Session {
  const part = jwt.split('.')[1];
  if (!part) throw new ApiError('INVALID_TOKEN', 'not a JSON Web Token');
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown; scope?: unknown };
    if (typeof claims.sub !== 'string') throw new Error('no sub');
    return { user: claims.sub, scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [] };
  } catch {
    throw new ApiError('INVALID_TOKEN', 'the token payload is not readable');
  }
}

/** Takes the token and checks it against the API with the smallest read; on failure the token is dropped. */
export async function signIn(jwt: string): Promise<Session> {
  const trimmed = jwt.trim();
  const session = decodePayload(trimmed);
  setToken(trimmed);
  try {
    await api.list({ limit: 1 });
  } catch (err) {
    setToken(null);
    throw err;
  }
  return session;
}

export function signOut(): void {
  setToken(null);
}

/** A token handed over in the URL fragment (`#token=…`), removed from the address bar and history at once. */
export function takeTokenFromUrl(): string | null {
  const prefix = '#token=';
  if (!location.hash.startsWith(prefix)) return null;
  const jwt = decodeURIComponent(location.hash.slice(prefix.length));
  history.replaceState(null, '', `${location.pathname}#/memories`);
  return jwt;
}
