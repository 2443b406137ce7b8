/**
 * Request generators for the HTTP fuzzer (test/integration/fuzz.test.ts), derived from the served
 * OpenAPI document so that every route, including ones added later, is covered without a list here.
 *
 * Each generated request is one of: schema-valid (a fraction: these reach the database and the
 * model), schema-valid with one hostile value swapped in, or plain junk (bodies, query strings,
 * path segments, content types, tokens). Most are refused cheaply by validation.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { epochCursor, freeJson, hostileJson, hostileString, toJson } from './fuzz-values.js';

type Schema = Record<string, unknown>;
export interface Operation {
  method: string;
  path: string;
  operationId: string;
  params: Array<{ in: string; name: string; required?: boolean; schema: Schema }>;
  body?: Schema;
}

/** What the generators draw from: the two users, their tokens and known ids. */
export interface FuzzWorld {
  users: readonly [string, string];
  /** Tokens by label `<kind>:<user>`: `valid` (read and write), `readonly`, or anything else (refused). */
  tokens: Record<string, string>;
  /** Memory ids known to exist (both users), so valid-looking ids reach the database. */
  memoryIds: string[];
  /** Body strings are prefixed with a fresh `fz<n>-` tag; the test checks no tag reaches the logs. */
  nextTag(): string;
  /** The user whose token this request carries: `user_id` fields mostly name them, so requests get past the tenant check. */
  self?: string;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  operationId: string;
  /** The user whose token was sent, if a valid one. */
  actingUser?: string;
  mode: 'valid' | 'mutated' | 'junk';
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operationsOf(doc: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content;
      ops.push({
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId ?? `${method} ${path}`),
        params: (op.parameters as Operation['params'] | undefined) ?? [],
        body: content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

const validUuidPool = (w: FuzzWorld) => (w.memoryIds.length ? fc.constantFrom(...w.memoryIds) : fc.uuid());

/** A value valid for `schema` (the subset our schemas use; other schemas get arbitrary JSON). */
function validValue(schema: Schema, w: FuzzWorld, name = ''): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map((s) => validValue(s, w, name)));
  if (name === 'user_id') {
    return w.self ? fc.oneof({ weight: 5, arbitrary: fc.constant(w.self) }, { weight: 1, arbitrary: fc.constantFrom(...w.users) }) : fc.constantFrom(...w.users);
  }
  if (name === 'cursor') return fc.constantFrom(epochCursor(new Date().toISOString(), randomUUID()), 'garbage');
  switch (schema.type) {
    case 'string': {
      if (schema.format === 'uuid') return validUuidPool(w);
      if (schema.format === 'date-time') {
        return fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      }
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
      const max = Math.min(Number(schema.maxLength ?? 200), 200);
      return fc.string({ maxLength: Math.max(0, max - 20) }).map((s) => `${w.nextTag()} ${s}`.slice(0, max));
    }
    case 'integer':
      return fc.integer({ min: Number(schema.minimum ?? -1000), max: Number(schema.maximum ?? 1000) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validValue((schema.items as Schema) ?? {}, w), { maxLength: 4 });
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      if (Object.keys(props).length === 0) {
        const keyPattern = (schema.propertyNames as Schema | undefined)?.pattern;
        const key = typeof keyPattern === 'string' ? fc.stringMatching(new RegExp(keyPattern)) : fc.string({ maxLength: 10 });
        return fc.dictionary(key, freeJson, { maxKeys: 4 });
      }
      const required = (schema.required ?? []) as string[];
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries(props)) record[key] = validValue(sub, w, key);
      return fc.record(record, { requiredKeys: required });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Every property path of an object schema (nested objects too, and a few levels into free-form ones). */
function propertyPaths(schema: Schema, prefix: string[] = []): string[][] {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  if (schema.type === 'object' && Object.keys(props).length === 0) return [[...prefix, 'k'], [...prefix, 'k', 'x'], [...prefix, 'k', '0']];
  const paths: string[][] = [[...prefix, 'unexpected']];
  for (const [key, sub] of Object.entries(props)) {
    paths.push([...prefix, key]);
    if (sub.type === 'object') paths.push(...propertyPaths(sub, [...prefix, key]));
  }
  return paths;
}

/** A valid value with one property, at any depth, replaced by (or added as) a hostile one. */
function mutated(schema: Schema, w: FuzzWorld): fc.Arbitrary<unknown> {
  const paths = propertyPaths(schema);
  return fc.tuple(validValue(schema, w), fc.constantFrom(...paths), hostileJson).map(([value, path, bad]) => {
    if (typeof value !== 'object' || value === null || path.length === 0) return bad;
    const root = { ...(value as Record<string, unknown>) };
    let node = root;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1)!] = bad;
    return root;
  });
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/ndjson',
  '',
);

export function authHeader(w: FuzzWorld): fc.Arbitrary<{ authorization?: string; actingUser?: string }> {
  const valid = w.users.map((u) => fc.constant({ authorization: `Bearer ${w.tokens[`valid:${u}`]}`, actingUser: u }));
  // Labels are `<kind>:<user>`; a read-only token still acts as its user, a forged one as nobody.
  const other = Object.entries(w.tokens)
    .filter(([label]) => !label.startsWith('valid:'))
    .map(([label, t]) => {
      const [kind, user] = label.split(':');
      return fc.constant(kind === 'readonly' ? { authorization: `Bearer ${t}`, actingUser: user } : { authorization: `Bearer ${t}` });
    });
  return fc.oneof(
    { weight: 8, arbitrary: fc.oneof(...valid) },
    { weight: 1, arbitrary: fc.oneof(...other) },
    { weight: 1, arbitrary: fc.oneof(fc.constant({}), hostileString.map((s) => ({ authorization: `Bearer ${s}` })), hostileString.map((s) => ({ authorization: s }))) },
  );
}

/** Header values a real client can send (light-my-request refuses the others before the server sees them). */
const headerSafe = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

function encodePathValue(v: string, raw: boolean): string {
  if (raw) return v.replace(/[?#/\s]/g, '_');
  // Byte by byte: encodeURIComponent throws on a lone surrogate (Buffer turns it into U+FFFD).
  return [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

/** One request for `op`; mode decides how much of it is valid. */
export function requestFor(op: Operation, world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const mode = fc.constantFrom<FuzzRequest['mode']>('valid', 'valid', 'mutated', 'mutated', 'mutated', 'junk', 'junk', 'junk', 'junk', 'junk');
  return fc.tuple(mode, authHeader(world)).chain(([m, auth]) => {
    const w: FuzzWorld = { ...world, self: auth.actingUser };
    const pathParams = op.params.filter((p) => p.in === 'path');
    const queryParams = op.params.filter((p) => p.in === 'query');
    const pathArb = fc.tuple(
      ...pathParams.map((p) => (m === 'valid' ? validValue(p.schema, w, p.name).map(String) : fc.oneof(validValue(p.schema, w, p.name).map(String), hostileString))),
      fc.boolean(),
    );
    const queryArb =
      m === 'junk' && queryParams.length === 0
        ? fc.oneof(fc.constant(''), hostileString.map((s) => `x=${encodePathValue(s, false)}`), fc.string({ maxLength: 30 }).map((s) => s.replace(/[#\s]/g, '_')), fc.constantFrom('%', '%E0%A4%A', 'a=%ZZ', 'user_id[]=x&user_id[]=y', 'user_id[$ne]=1', '&&&=', '=x'))
        : fc
            .tuple(
              ...queryParams.map((p) =>
                fc.option(m === 'valid' ? validValue(p.schema, w, p.name) : fc.oneof(validValue(p.schema, w, p.name), hostileString), {
                  freq: p.required ? 10 : 2,
                }),
              ),
              fc.option(fc.tuple(hostileString, hostileString), { freq: m === 'valid' ? 1000 : 2 }),
            )
            .map((values) => {
              const q = new URLSearchParams();
              queryParams.forEach((p, i) => {
                const v = values[i];
                if (v !== null && v !== undefined) q.append(p.name, String(v));
              });
              const extra = values[queryParams.length] as [string, string] | null;
              if (extra) q.append(extra[0] || 'x', extra[1]);
              return q.toString();
            });
    const bodyArb: fc.Arbitrary<string | Buffer | undefined> = op.body
      ? m === 'valid'
        ? validValue(op.body, w).map(toJson)
        : m === 'mutated'
          ? mutated(op.body, w).map(toJson)
          : fc.oneof(
              hostileJson.map(toJson),
              fc.string({ unit: 'binary', maxLength: 200 }),
              fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
              fc.constantFrom('', '{', '{"a":1,"a":2}', '{"__proto__":{"x":1}}', '{"text":"x"}garbage', '\ufeff{}'),
            )
      : m === 'junk'
        ? fc.option(fc.string({ maxLength: 50 }), { nil: undefined })
        : fc.constant(undefined);
    const methodArb = m === 'junk' ? fc.oneof({ weight: 4, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') }) : fc.constant(op.method);
    return fc.record({
      path: pathArb,
      query: queryArb,
      body: bodyArb,
      method: methodArb,
      auth: fc.constant(auth),
      contentType: m === 'valid' ? fc.constant('application/json') : contentTypes,
      requestId: fc.option(hostileString, { freq: 5 }),
    }).map((r) => {
      const raw = r.path[pathParams.length] as boolean;
      let url = op.path;
      pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, encodePathValue(String(r.path[i]), raw && m !== 'valid'));
      });
      if (r.query) url += `?${r.query}`;
      const headers: Record<string, string> = {};
      if (r.auth.authorization !== undefined) headers.authorization = headerSafe(r.auth.authorization);
      if (r.body !== undefined && r.contentType) headers['content-type'] = r.contentType;
      if (r.requestId !== null) headers['x-request-id'] = headerSafe(r.requestId);
      return { method: r.method, url, headers, payload: r.body, operationId: op.operationId, actingUser: r.auth.actingUser, mode: m };
    });
  });
}

const MCP_TOOLS = ['add_memory', 'search_memories', 'get_memory', 'list_memories', 'delete_memory', 'no_such_tool'];
const MCP_ARGS = ['text', 'query', 'memory_id', 'id', 'source', 'metadata', 'limit', 'k', 'cursor', 'filters', 'user_id'];

/**
 * /mcp is hidden from the OpenAPI document (JSON-RPC, not REST): tool calls with valid-looking and
 * hostile arguments, other JSON-RPC methods, and junk. Its tools call the API in-process.
 */
export function mcpRequest(w: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  // Known memory ids only where an id goes: stored text holding the other user's id would look like a leak.
  const arg = (key: string) =>
    ['memory_id', 'id'].includes(key) ? fc.oneof(validUuidPool(w), hostileJson) : fc.oneof(validValue({ type: 'string' }, w), hostileJson, freeJson);
  const args = fc
    .uniqueArray(fc.constantFrom(...MCP_ARGS), { maxLength: 4 })
    .chain((keys) => fc.tuple(...keys.map((k) => arg(k))).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))));
  const call = fc.record({ tool: fc.constantFrom(...MCP_TOOLS), args }).map(({ tool, args: a }) => ({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: tool, arguments: a },
  }));
  const other = fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0'), id: fc.oneof(fc.integer(), hostileString), method: fc.oneof(fc.constantFrom('tools/list', 'initialize', 'ping', 'resources/list'), hostileString), params: hostileJson });
  const body = fc.oneof({ weight: 6, arbitrary: call.map(toJson) }, { weight: 2, arbitrary: other.map(toJson) }, { weight: 2, arbitrary: hostileJson.map(toJson) });
  return fc.tuple(authHeader(w), body, fc.constantFrom('application/json, text/event-stream', 'application/json', '*/*')).map(([auth, payload, accept]) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept };
    if (auth.authorization !== undefined) headers.authorization = headerSafe(auth.authorization);
    return { method: 'POST', url: '/mcp', headers, payload, operationId: 'mcp', actingUser: auth.actingUser, mode: 'mutated' as const };
  });
}
