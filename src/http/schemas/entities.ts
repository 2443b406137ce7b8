import { Type } from 'typebox';
import { EntityLimits } from '../../entities/entity-service.js';
import { GraphLimits } from '../../entities/graph.js';
import { ENTITY_TYPES, type EntityType as Kind } from '../../entities/types.js';
import { Limits } from '../../memory/limits.js';
import { MemoryId, Timestamp, UserId } from './common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const EntityType = Type.Unsafe<Kind>({ type: 'string', enum: [...ENTITY_TYPES] });

export const ExtractEntitiesBody = Type.Object(
  {
    user_id: Type.Optional(UserId),
    text: Type.Optional(
      Type.String({ minLength: 1, maxLength: Limits.textBytes, description: `Text to read; at most ${Limits.textBytes} bytes of UTF-8` }),
    ),
    memory_ids: Type.Optional(
      Type.Array(MemoryId, {
        minItems: 1,
        maxItems: EntityLimits.memoryIdsMax,
        description: "Stored memories of the user to read (another user's ids are NOT_FOUND)",
      }),
    ),
    persist: Type.Optional(
      Type.Boolean({ default: false, description: "Add what is found to the user's graph (needs memory:write)" }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of text and memory_ids' },
);

export const Relationship = Type.Object({
  source: Type.String(),
  predicate: Type.String({ description: 'The verb phrase ("work at"), or "mentioned with" for a co-occurrence' }),
  target: Type.String(),
  evidence: Type.String({ description: 'The sentence it was read from' }),
  memory_id: Nullable(MemoryId),
  chunk_id: Nullable(MemoryId),
});

export const ExtractEntitiesResponse = Type.Object({
  entities: Type.Array(
    Type.Object({
      name: Type.String(),
      type: EntityType,
      mentions: Type.Integer(),
      salience: Type.Number({ minimum: 0, maximum: 1 }),
    }),
  ),
  relationships: Type.Array(Relationship),
  persisted: Type.Boolean(),
});

export const EntityQuery = Type.Object(
  {
    user_id: Type.Optional(UserId),
    name: Type.String({ minLength: 1, maxLength: EntityLimits.nameChars, description: 'Any name of the entity; case and possessive are ignored' }),
  },
  { additionalProperties: false },
);

export const EntityLookupResponse = Type.Object({
  entity: Type.Object({ name: Type.String(), type: EntityType, mentions: Type.Integer() }),
  relationships: Type.Array(Relationship, { maxItems: EntityLimits.relationshipsMax }),
  memories: Type.Array(
    Type.Object({ memory_id: MemoryId, chunk_ids: Type.Array(MemoryId), text: Type.String(), created_at: Timestamp }),
    { maxItems: EntityLimits.memoriesMax, description: 'The memories that mention the entity, newest first' },
  ),
});

export const GraphQuery = Type.Object(
  {
    user_id: Type.Optional(UserId),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: GraphLimits.entitiesMax,
        default: GraphLimits.entitiesDefault,
        description: 'At most this many entities, the most mentioned first',
      }),
    ),
  },
  { additionalProperties: false },
);

export const GraphResponse = Type.Object({
  entities: Type.Array(Type.Object({ id: MemoryId, name: Type.String(), type: EntityType, mentions: Type.Integer() }), {
    maxItems: GraphLimits.entitiesMax,
  }),
  relationships: Type.Array(
    Type.Object({
      source_id: MemoryId,
      target_id: MemoryId,
      source: Type.String(),
      predicate: Type.String({ description: 'The verb phrase ("work at"), or "mentioned with" for a co-occurrence' }),
      target: Type.String(),
      memory_id: Nullable(MemoryId),
    }),
    { maxItems: GraphLimits.relationshipsMax, description: 'Relationships whose both ends are among the entities; evidence: GET /entities?name=' },
  ),
  truncated: Type.Boolean({ description: 'The graph holds more entities or relationships than returned' }),
});
