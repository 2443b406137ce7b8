import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isUuid, parseTimestamp } from '../memory/input-checks.js';

/**
 * Bodies are validated strictly: no type coercion (`"text": 42` is an error, not "42") and no
 * silent removal of unknown fields. Query strings and params arrive as strings, so they are coerced.
 */
const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };

/**
 * ajv-formats' `uuid` accepts a `urn:uuid:` prefix and its `date-time` a leap second (`…T23:59:60Z`)
 * and year 0; PostgreSQL or JavaScript dates refuse those, so every schema's formats are replaced by
 * the domain's stricter checks (what passes here, the database can hold).
 */
function withFormats(ajv: Ajv): Ajv {
  addFormats.default(ajv);
  ajv.addFormat('uuid', { type: 'string', validate: (s: string) => isUuid(s) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseTimestamp(s) !== undefined });
  return ajv;
}

const strict = withFormats(new Ajv({ ...common, coerceTypes: false }));
const coercing = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema);

/** A body validator compiled outside a route schema (e.g. each item of a batch), with the same strict rules. */
export const compileBodyValidator = (schema: object) => strict.compile(schema);
