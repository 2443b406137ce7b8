/** Hostile values for the HTTP fuzzer (see fuzz.ts): strings, JSON and free-form JSON a careless server chokes on. */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';

/** A list cursor as the server encodes it, with whatever date and id. */
export const epochCursor = (at: unknown, id: unknown) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

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
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, 0, -1, 1.5, 1e308, -0, [], {}, { __proto__: { admin: true } }, { $ne: null }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 8000 }).map((n) => new RawJson('['.repeat(n) + ']'.repeat(n))),
  fc.integer({ min: 6, max: 3000 }).map((n) => new RawJson('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
);

/** Values of free-form JSON (metadata): valid for the schema, yet often holding text the database refuses. */
export const freeJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
);

