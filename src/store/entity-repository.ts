import type { Queryable } from './database.js';
import { insertRows } from './insert-rows.js';
import { live } from './memory-repository.js';

/**
 * SQL for the knowledge graph (migrations/1764300000000_entities.sql). Sealed columns arrive
 * sealed; batches go in as multi-row VALUES (insert-rows.ts).
 */
export interface EntityInsert {
  id: string;
  type: string;
  nameCiphertext: Buffer;
}

export interface MentionInsert {
  id: string;
  entityId: string;
  memoryId: string | null;
  chunkId: string | null;
  count: number;
}

export interface RelationshipInsert {
  id: string;
  sourceId: string;
  targetId: string;
  predicateCiphertext: Buffer;
  evidenceCiphertext: Buffer;
  memoryId: string | null;
  chunkId: string | null;
}

export interface ChunkText {
  id: string;
  memoryId: string;
  ordinal: number;
  ciphertext: Uint8Array;
}

export interface RelationshipRow {
  id: string;
  sourceId: string;
  targetId: string;
  sourceName: Uint8Array;
  targetName: Uint8Array;
  predicate: Uint8Array;
  evidence: Uint8Array;
  memoryId: string | null;
  chunkId: string | null;
}

const hex = (b: Buffer) => b.toString('hex');

/**
 * A mention or relationship row whose memory has not expired (or that came from text, memory_id
 * NULL): what an expired memory supported is invisible from the moment it expires, like the memory.
 * `$1` is the user hash in every statement that uses it.
 */
const LIVE_SOURCE = (alias: string) =>
  `(${alias}.memory_id IS NULL OR EXISTS (SELECT 1 FROM memories lm WHERE lm.user_hash = $1 AND lm.id = ${alias}.memory_id AND ${live('lm.')}))`;

export const entityRepository = {
  /** The chunks of the given memories, in order. */
  async chunksOf(tx: Queryable, userHash: string, memoryIds: string[]): Promise<ChunkText[]> {
    const { rows } = await tx.query<{ id: string; memory_id: string; ordinal: number; ciphertext: Uint8Array }>(
      `SELECT id, memory_id, ordinal, ciphertext FROM memory_chunks
        WHERE user_hash = $1 AND memory_id = ANY($2::uuid[]) AND ${live()} ORDER BY memory_id, ordinal`,
      [userHash, memoryIds],
    );
    return rows.map((r) => ({ id: r.id, memoryId: r.memory_id, ordinal: r.ordinal, ciphertext: r.ciphertext }));
  },

  /** Which entity each of these blind indexes belongs to. */
  async findAliases(tx: Queryable, userHash: string, indexes: Buffer[]): Promise<Map<string, string>> {
    if (indexes.length === 0) return new Map();
    const { rows } = await tx.query<{ idx: string; entity_id: string }>(
      `SELECT encode(name_index, 'hex') AS idx, entity_id FROM entity_aliases
        WHERE user_hash = $1 AND name_index IN (SELECT decode(x, 'hex') FROM unnest($2::text[]) x)`,
      [userHash, indexes.map(hex)],
    );
    return new Map(rows.map((r) => [r.idx, r.entity_id]));
  },

  async insertEntities(tx: Queryable, userHash: string, entities: EntityInsert[]): Promise<void> {
    if (entities.length === 0) return;
    await insertRows(
      tx,
      { into: 'entities', columns: ['id', 'user_hash', 'type', 'name_ciphertext'] },
      userHash,
      entities.map((e) => [e.id, e.type, e.nameCiphertext]),
    );
  },

  async insertAliases(tx: Queryable, userHash: string, aliases: Array<{ index: Buffer; entityId: string }>): Promise<void> {
    if (aliases.length === 0) return;
    await insertRows(
      tx,
      { into: 'entity_aliases', columns: ['user_hash', 'name_index', 'entity_id'], tail: 'ON CONFLICT (user_hash, name_index) DO NOTHING' },
      userHash,
      aliases.map((a) => [a.index, a.entityId]),
    );
  },

  /** Chunk mentions replace the count found before (re-extracting a memory is idempotent). */
  async upsertMentions(tx: Queryable, userHash: string, mentions: MentionInsert[]): Promise<void> {
    if (mentions.length === 0) return;
    await insertRows(
      tx,
      {
        into: 'entity_mentions',
        columns: ['id', 'user_hash', 'entity_id', 'memory_id', 'chunk_id', 'count'],
        tail: 'ON CONFLICT (user_hash, entity_id, chunk_id) WHERE chunk_id IS NOT NULL DO UPDATE SET count = EXCLUDED.count',
      },
      userHash,
      mentions.map((m) => [m.id, m.entityId, m.memoryId, m.chunkId, m.count]),
    );
  },

  async deleteRelationshipsOf(tx: Queryable, userHash: string, memoryIds: string[]): Promise<void> {
    await tx.query(`DELETE FROM entity_relationships WHERE user_hash = $1 AND memory_id = ANY($2::uuid[])`, [userHash, memoryIds]);
  },

  async insertRelationships(tx: Queryable, userHash: string, rels: RelationshipInsert[]): Promise<void> {
    if (rels.length === 0) return;
    await insertRows(
      tx,
      {
        into: 'entity_relationships',
        columns: ['id', 'user_hash', 'source_id', 'target_id', 'predicate_ciphertext', 'evidence_ciphertext', 'memory_id', 'chunk_id'],
      },
      userHash,
      rels.map((r) => [r.id, r.sourceId, r.targetId, r.predicateCiphertext, r.evidenceCiphertext, r.memoryId, r.chunkId]),
    );
  },

  async entity(tx: Queryable, userHash: string, id: string) {
    const { rows } = await tx.query<{ id: string; type: string; name_ciphertext: Uint8Array; mentions: number }>(
      `SELECT e.id, e.type, e.name_ciphertext,
              (SELECT COALESCE(sum(m.count), 0)::int FROM entity_mentions m
                WHERE m.user_hash = $1 AND m.entity_id = e.id AND ${LIVE_SOURCE('m')}) AS mentions
         FROM entities e WHERE e.user_hash = $1 AND e.id = $2`,
      [userHash, id],
    );
    // Every mention in expired memories: the entity is gone as it will be once they are swept
    // (store/entity-prune.ts removes an entity with no mention left).
    return rows[0] && rows[0].mentions > 0 ? rows[0] : undefined;
  },

  /** Relationships with the entity at either end, with both ends' sealed names. */
  async relationshipsOf(tx: Queryable, userHash: string, entityId: string, limit: number): Promise<RelationshipRow[]> {
    const { rows } = await tx.query<{
      id: string;
      source_id: string;
      target_id: string;
      source_name: Uint8Array;
      target_name: Uint8Array;
      predicate_ciphertext: Uint8Array;
      evidence_ciphertext: Uint8Array;
      memory_id: string | null;
      chunk_id: string | null;
    }>(
      `SELECT r.id, r.source_id, r.target_id, s.name_ciphertext AS source_name, t.name_ciphertext AS target_name,
              r.predicate_ciphertext, r.evidence_ciphertext, r.memory_id, r.chunk_id
         FROM entity_relationships r
         JOIN entities s ON s.user_hash = $1 AND s.id = r.source_id
         JOIN entities t ON t.user_hash = $1 AND t.id = r.target_id
        WHERE r.user_hash = $1 AND (r.source_id = $2 OR r.target_id = $2) AND ${LIVE_SOURCE('r')}
        ORDER BY r.created_at, r.id LIMIT $3`,
      [userHash, entityId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      sourceId: r.source_id,
      targetId: r.target_id,
      sourceName: r.source_name,
      targetName: r.target_name,
      predicate: r.predicate_ciphertext,
      evidence: r.evidence_ciphertext,
      memoryId: r.memory_id,
      chunkId: r.chunk_id,
    }));
  },

  /** The memories that mention the entity, newest first, with the chunks that do. */
  async memoriesOf(tx: Queryable, userHash: string, entityId: string, limit: number) {
    const { rows } = await tx.query<{ id: string; text_ciphertext: Uint8Array; created_at: Date; chunk_ids: string[] }>(
      `SELECT m.id, m.text_ciphertext, m.created_at,
              ARRAY(SELECT x.chunk_id::text FROM entity_mentions x
                     WHERE x.user_hash = $1 AND x.entity_id = $2 AND x.memory_id = m.id ORDER BY x.chunk_id) AS chunk_ids
         FROM memories m
        WHERE m.user_hash = $1 AND m.id IN (SELECT memory_id FROM entity_mentions WHERE user_hash = $1 AND entity_id = $2) AND ${live('m.')}
        ORDER BY m.created_at DESC, m.id DESC LIMIT $3`,
      [userHash, entityId, limit],
    );
    return rows.map((r) => ({ id: r.id, textCiphertext: r.text_ciphertext, createdAt: r.created_at, chunkIds: r.chunk_ids }));
  },

  /** The user's entities with a live mention, most mentioned first, and whether more exist. */
  async topEntities(tx: Queryable, userHash: string, limit: number) {
    const { rows } = await tx.query<{ id: string; type: string; name_ciphertext: Uint8Array; mentions: number }>(
      `SELECT e.id, e.type, e.name_ciphertext, x.mentions
         FROM entities e
         JOIN LATERAL (SELECT COALESCE(sum(m.count), 0)::int AS mentions FROM entity_mentions m
                        WHERE m.user_hash = $1 AND m.entity_id = e.id AND ${LIVE_SOURCE('m')}) x ON true
        WHERE e.user_hash = $1 AND x.mentions > 0
        ORDER BY x.mentions DESC, e.id LIMIT $2`,
      [userHash, limit + 1],
    );
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  },

  /** Relationships whose both ends are among `entityIds`, oldest first (no evidence: a lookup reads it). */
  async relationshipsAmong(tx: Queryable, userHash: string, entityIds: string[], limit: number) {
    const { rows } = await tx.query<{ id: string; source_id: string; target_id: string; predicate_ciphertext: Uint8Array; memory_id: string | null }>(
      `SELECT r.id, r.source_id, r.target_id, r.predicate_ciphertext, r.memory_id
         FROM entity_relationships r
        WHERE r.user_hash = $1 AND r.source_id = ANY($2::uuid[]) AND r.target_id = ANY($2::uuid[]) AND ${LIVE_SOURCE('r')}
        ORDER BY r.created_at, r.id LIMIT $3`,
      [userHash, entityIds, limit + 1],
    );
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  },
};
