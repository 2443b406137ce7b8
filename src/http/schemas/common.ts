import { Type, type Static } from 'typebox';
import { UUID_PATTERN } from '../../memory/input-checks.js';
import { Limits, Patterns } from '../../memory/limits.js';

export const UserId = Type.String({ pattern: Patterns.userId, description: 'The end user the memory belongs to' });
export const Source = Type.String({ pattern: Patterns.source, description: 'Where the memory came from, e.g. "chat"' });
export const Metadata = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  propertyNames: { pattern: Patterns.metadataKey },
  additionalProperties: true,
  description: `A JSON object, at most ${Limits.metadataBytes} bytes and ${Limits.metadataDepth} levels deep; stored unencrypted (filterable)`,
});
/** Canonical UUID text (no `urn:uuid:` prefix, no braces). */
export const MemoryId = Type.String({ format: 'uuid', pattern: UUID_PATTERN });
/** RFC 3339; no leap second, years 0001..9999. */
export const Timestamp = Type.String({ format: 'date-time' });

/** The body of every error response. Registered once with app.addSchema (see sharedSchemas). */
export const ErrorBodySchema = Type.Object(
  {
    code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' }),
    detail: Type.String(),
    request_id: Type.String(),
    memory_id: Type.Optional(
      Type.String({ description: 'Only with 409 DUPLICATE_MEMORY: the memory of this user that already has the text' }),
    ),
  },
  { $id: 'ErrorBody', description: 'An error: a stable code, a human-readable detail and the request id' },
);

/**
 * What route schemas use for an error response: a `$ref` to the shared ErrorBody, so the serializer
 * and the OpenAPI document (`#/components/schemas/ErrorBody`) both use the one definition.
 */
export const ErrorBody = Type.Unsafe<Static<typeof ErrorBodySchema>>(Type.Ref('ErrorBody'));

/** Schemas referenced by `$id` from route schemas; added to the root instance before any route. */
export const sharedSchemas = [ErrorBodySchema];

/** The error responses every API route may give, for the OpenAPI document. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};
