import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Bodies are validated strictly: no type coercion (`"text": 42` is an error, not "42") and no
 * silent removal of unknown fields. Query strings and params arrive as strings, so they are coerced.
 */
const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };
const strict = addFormats.default(new Ajv({ ...common, coerceTypes: false }));
const coercing = addFormats.default(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema);
