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
const epochCursor = (at: unknown, id: unknown) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

/** Strings a careless server chokes on: PostgreSQL-incompatible text, odd ids and dates, injection. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udc00x',
    '\ud83d\ude00',
    `urn:uuid:${randomUUID()}`,
    `{${randomUUID()}}`,
    randomUUID().toUpperCase(),
    '00000000-0000-0000-0000-000000000000',
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '-271821-04-20T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '10000-01-01T00:00:00Z',
    "' OR 1=1 --",
    '"; DROP TABLE memories; --',
    '../../etc/passwd',
    '%00',
    '%ZZ',
    '__proto__',
    'constructor',
    'NaN',
    '1e309',
    '-1',
    '9'.repeat(40),
    'a'.repeat(300),
    '\u202eRTL',
    '<script>x</script>',
    epochCursor('-271821-04-20T00:00:00.000Z', randomUUID()),
    epochCursor('2016-12-31T23:59:60Z', randomUUID()),
    epochCursor('2024-01-01T00:00:00.000Z', `urn:uuid:${randomUUID()}`),
    epochCursor(8.64e15, randomUUID()),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

/** JSON text spliced in verbatim: nesting too deep for JSON.stringify in this process. */
class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that splices RawJson in (values around it are shallow). */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** JSON values that are not what a schema asks for, including deep nesting and prototype keys. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, 0, -1, 1.5, 1e308, -0, [], {}, { __proto__: { admin: true } }, { $ne: null }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 8000 }).map((n) => new RawJson('['.repeat(n) + ']'.repeat(n))),
  fc.integer({ min: 6, max: 3000 }).map((n) => new RawJson('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
);

/** A value valid for `schema` (the subset our schemas use), or undefined when it cannot say. */
function validValue(schema: Schema, w: FuzzWorld, name = ''): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map((s) => validValue(s, w, name)));
  if (name === 'user_id') return fc.constantFrom(...w.users);
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
        return fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
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

/** A valid value with, somewhere at the top level, one field replaced by a hostile one (or one added). */
function mutated(schema: Schema, w: FuzzWorld): fc.Arbitrary<unknown> {
  const props = Object.keys((schema.properties ?? {}) as Schema);
  return fc
    .tuple(validValue(schema, w), fc.constantFrom(...props, 'extra', 'filters'), hostileJson, fc.option(fc.constantFrom(...props, 'metadata')))
    .map(([value, key, bad, nested]) => {
      if (typeof value !== 'object' || value === null) return bad;
      const copy = { ...(value as Record<string, unknown>) };
      if (nested && key === 'filters') copy.filters = { [nested]: bad };
      else if (nested === 'metadata') copy.metadata = { k: bad };
      else copy[key] = bad;
      return copy;
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

function authHeader(w: FuzzWorld): fc.Arbitrary<{ authorization?: string; actingUser?: string }> {
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
export function requestFor(op: Operation, w: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const mode = fc.constantFrom<FuzzRequest['mode']>('valid', 'valid', 'mutated', 'mutated', 'mutated', 'junk', 'junk', 'junk', 'junk', 'junk');
  return mode.chain((m) => {
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
      auth: authHeader(w),
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
