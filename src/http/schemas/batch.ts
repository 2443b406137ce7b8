import { Type } from 'typebox';
import { Limits } from '../../memory/limits.js';
import { MemoryId, Timestamp, UserId } from './common.js';
import { IndexBody } from './memory.js';

/** One item of a batch: the index body without `user_id` (the batch names the user once). */
const { user_id: _userId, ...itemFields } = IndexBody.properties;
export const BatchItem = Type.Object(itemFields, { additionalProperties: false });

const items = {
  minItems: 1,
  maxItems: Limits.batchItems,
  description: `1 to ${Limits.batchItems} memories; each is checked on its own and a bad one is reported, not fatal`,
};

/** What the OpenAPI document shows (and clients are typed with). */
export const BatchBody = Type.Object(
  {
    user_id: Type.Optional({ ...UserId, description: "The end user of every item; defaults to the token's subject" }),
    items: Type.Array(BatchItem, items),
  },
  { additionalProperties: false },
);

/**
 * What the route validates the body with: the envelope only. The items are validated one by one
 * against BatchItem in the handler, so one bad item does not refuse the others.
 */
export const BatchEnvelope = Type.Object(
  {
    user_id: Type.Optional(UserId),
    items: Type.Array(Type.Unknown(), items),
  },
  { additionalProperties: false },
);

const ItemError = Type.Object({
  code: Type.String({ description: 'The stable code /index would answer with, e.g. VALIDATION_FAILED' }),
  detail: Type.String(),
});

export const BatchItemResult = Type.Object({
  index: Type.Integer({ description: 'Position of the item in the request' }),
  status: Type.Integer({ description: 'What /index would have answered: 201 stored, 200 deduplicated, else the error status' }),
  memory_id: Type.Optional(MemoryId),
  chunk_ids: Type.Optional(Type.Array(MemoryId)),
  chunk_count: Type.Optional(Type.Integer({ minimum: 1, description: 'As POST /index answers it' })),
  created_at: Type.Optional(Timestamp),
  updated_at: Type.Optional(Timestamp),
  expires_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  deduplicated: Type.Optional(Type.Boolean()),
  error: Type.Optional(ItemError),
});

export const BatchResponse = Type.Object({
  items: Type.Array(BatchItemResult),
  stored: Type.Integer({ description: 'Items stored as new memories' }),
  deduplicated: Type.Integer({ description: 'Items the user already had (the existing memory is returned)' }),
  failed: Type.Integer({ description: 'Items refused or not stored (see each item error)' }),
});
