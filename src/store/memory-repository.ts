import type { Queryable } from './database.js';
import { mentionedEntities, pruneEntities } from './entity-prune.js';
import { vectorParam } from './vector-literal.js';

/**
 * SQL for memories and their chunks. Every statement also filters on user_hash: RLS is the
 * guarantee, the explicit predicate lets the planner use the tenant indexes.
 */

export interface MemoryRow {
  id: string;
  source: string | null;
  metadata: Record<string, unknown>;
  textCiphertext: Uint8Array;
  chunkCount: number;
  createdAt: Date;
  updatedAt: Date;
  /** When the memory stops being returned (and the sweeper deletes it); null: never. */
  expiresAt: Date | null;
}

/** What insert needs; the dates default to the transaction's time (an import brings its own). */
export type MemoryInsert = Omit<MemoryRow, 'createdAt' | 'updatedAt' | 'expiresAt'> & {
  createdAt?: Date;
  updatedAt?: Date;
  expiresAt?: Date | null;
  /** The deduplication key (lifecycle/content-hash.ts); null or absent: not deduplicated. */
  contentHash?: Buffer | null;
  /**
   * Without createdAt: at least a millisecond after this (the previous item of a batch), so that the
   * items of a batch keep their order in the user's timeline (lifecycle/batch.ts).
   */
  after?: Date;
};

/**
 * Rows that have not expired: every read of memories or chunks includes it (alias: `m.`, `c.`, …), so
 * an expired memory is invisible from the moment it expires, whether or not the sweeper ran.
 */
export const live = (alias = '') => `(${alias}expires_at IS NULL OR ${alias}expires_at > now())`;

export interface ChunkInsert {
  id: string;
  ordinal: number;
  ciphertext: Buffer;
  /** Which AAD sealed the ciphertext (memory/chunk-crypto.ts CHUNK_AAD_VERSION). */
  aadVersion: number;
  embedding: number[];
}

export interface ChunkHit {
  chunkId: string;
  memoryId: string;
  ordinal: number;
  ciphertext: Uint8Array;
  source: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  score: number;
}

export interface SearchFilters {
  source?: string;
  metadata?: Record<string, unknown>;
  createdAfter?: Date;
  createdBefore?: Date;
}


export type DbMemory = {
  id: string;
  source: string | null;
  metadata: Record<string, unknown>;
  text_ciphertext: Uint8Array;
  chunk_count: number;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
};
export const MEMORY_COLUMNS = 'id, source, metadata, text_ciphertext, chunk_count, created_at, updated_at, expires_at';
export const toMemory = (r: DbMemory): MemoryRow => ({
  id: r.id,
  source: r.source,
  metadata: r.metadata,
  textCiphertext: r.text_ciphertext,
  chunkCount: r.chunk_count,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  expiresAt: r.expires_at,
});

export const memoryRepository = {
  async insert(
    tx: Queryable,
    userHash: string,
    memory: MemoryInsert,
    chunks: ChunkInsert[],
    embeddingModel: string,
  ): Promise<{ createdAt: Date; updatedAt: Date } | undefined> {
    // The user already has a memory with this content hash (committed, or written earlier in this
    // transaction): nothing is inserted and the result is undefined. A concurrent uncommitted one is
    // waited for. Never a unique violation: the caller reads the winner (lifecycle/dedup.ts).
    const { rows } = await tx.query<{ created_at: Date; updated_at: Date }>(
      `INSERT INTO memories (id, user_hash, source, metadata, text_ciphertext, chunk_count, created_at, updated_at, expires_at, content_hash)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6,
               COALESCE($7::timestamptz, GREATEST(date_trunc('milliseconds', now()), $11::timestamptz + interval '1 millisecond')),
               COALESCE($8::timestamptz, $7::timestamptz, GREATEST(date_trunc('milliseconds', now()), $11::timestamptz + interval '1 millisecond')),
               $9, $10)
       ON CONFLICT (user_hash, content_hash) WHERE content_hash IS NOT NULL DO NOTHING
       RETURNING created_at, updated_at`,
      [
        memory.id,
        userHash,
        memory.source,
        JSON.stringify(memory.metadata),
        memory.textCiphertext,
        memory.chunkCount,
        memory.createdAt ?? null,
        memory.updatedAt ?? null,
        memory.expiresAt ?? null,
        memory.contentHash ?? null,
        memory.after ?? null,
      ],
    );
    if (rows.length === 0) return undefined;
    const createdAt = rows[0]!.created_at;
    const expiresAt = memory.expiresAt ?? null;
    await insertChunkRows(tx, userHash, { id: memory.id, source: memory.source, metadata: memory.metadata, createdAt, expiresAt }, chunks, embeddingModel);
    return { createdAt, updatedAt: rows[0]!.updated_at };
  },

  async get(tx: Queryable, userHash: string, id: string): Promise<(MemoryRow & { chunkIds: string[] }) | undefined> {
    const { rows } = await tx.query<DbMemory & { chunk_ids: string[] }>(
      `SELECT ${MEMORY_COLUMNS.replace(/(\w+)/g, 'm.$1')},
              ARRAY(SELECT c.id::text FROM memory_chunks c WHERE c.user_hash = $1 AND c.memory_id = m.id ORDER BY c.ordinal) AS chunk_ids
         FROM memories m WHERE m.user_hash = $1 AND m.id = $2 AND ${live('m.')}`,
      [userHash, id],
    );
    return rows[0] ? { ...toMemory(rows[0]), chunkIds: rows[0].chunk_ids } : undefined;
  },

  /** Newest first; the cursor is the last row of the previous page. */
  async list(
    tx: Queryable,
    userHash: string,
    limit: number,
    after?: { createdAt: Date; id: string },
    /** Only the memories that match these (the search filters); `offset` rows skipped (mem0's page numbers). */
    options: { filters?: SearchFilters; offset?: number } = {},
  ): Promise<MemoryRow[]> {
    const params: unknown[] = [userHash, limit];
    const where = ['user_hash = $1', ...filterConditions(options.filters ?? {}, params)];
    if (after) where.push(`(created_at, id) < ($${params.push(after.createdAt)}, $${params.push(after.id)})`);
    const offset = options.offset ? ` OFFSET $${params.push(options.offset)}` : '';
    const { rows } = await tx.query<DbMemory>(
      `SELECT ${MEMORY_COLUMNS}
         FROM memories WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2${offset}`,
      params,
    );
    return rows.map(toMemory);
  },

  /**
   * Deletes the memory: chunks, keyword entries and mentions by cascade, then what only it supported.
   * Returns when the deleted memory was created, or undefined when there was none.
   */
  async delete(tx: Queryable, userHash: string, id: string): Promise<{ createdAt: Date } | undefined> {
    const { rows } = await tx.query<{ created_at: Date | null; entities: string[] }>(
      `WITH gone AS (DELETE FROM memories WHERE user_hash = $1 AND id = $2 RETURNING id, created_at)
       SELECT (SELECT created_at FROM gone) AS created_at, ${mentionedEntities('SELECT id FROM gone')} AS entities`,
      [userHash, id],
    );
    await pruneEntities(tx, userHash, rows[0]!.entities);
    const createdAt = rows[0]!.created_at;
    return createdAt ? { createdAt } : undefined;
  },

  /** How many live memories the user has that match `filters`. */
  async count(tx: Queryable, userHash: string, filters: SearchFilters = {}): Promise<number> {
    const params: unknown[] = [userHash];
    const where = ['user_hash = $1', ...filterConditions(filters, params)].join(' AND ');
    const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM memories WHERE ${where}`, params);
    return rows[0]!.n;
  },

  /** Memories first, chunks by the cascade: the same row-lock order as a single delete. */
  async deleteAll(tx: Queryable, userHash: string): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      `WITH gone AS (DELETE FROM memories WHERE user_hash = $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [userHash],
    );
    return rows[0]!.n;
  },
};

/**
 * The SQL conditions of the search filters, their values appended to `params` (placeholders numbered
 * after what is already there). `alias` qualifies the columns (`c.` for a joined chunk table).
 */
export function filterConditions(filters: SearchFilters, params: unknown[], alias = ''): string[] {
  const add = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [live(alias)];
  if (filters.source !== undefined) where.push(`${alias}source = ${add(filters.source)}`);
  if (filters.metadata && Object.keys(filters.metadata).length > 0) {
    where.push(`${alias}metadata @> ${add(JSON.stringify(filters.metadata))}::jsonb`);
  }
  if (filters.createdAfter) where.push(`${alias}created_at >= ${add(filters.createdAfter)}`);
  if (filters.createdBefore) where.push(`${alias}created_at < ${add(filters.createdBefore)}`);
  return where;
}

/**
 * The chunk rows of a memory. Each carries copies of the memory's source, metadata, created_at and
 * expires_at, so the filters and the expiry apply inside the vector scan.
 */
export async function insertChunkRows(
  tx: Queryable,
  userHash: string,
  memory: { id: string; source: string | null; metadata: Record<string, unknown>; createdAt: Date; expiresAt: Date | null },
  chunks: ChunkInsert[],
  embeddingModel: string,
): Promise<void> {
  for (const chunk of chunks) {
    await tx.query(
      `INSERT INTO memory_chunks
         (id, user_hash, memory_id, ordinal, ciphertext, embedding, embedding_model, source, metadata, created_at, aad_version, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6::vector, $7, $8, $9::jsonb, $10, $11, $12)`,
      [
        chunk.id,
        userHash,
        memory.id,
        chunk.ordinal,
        chunk.ciphertext,
        vectorParam(chunk.embedding),
        embeddingModel,
        memory.source,
        JSON.stringify(memory.metadata),
        memory.createdAt,
        chunk.aadVersion,
        memory.expiresAt,
      ],
    );
  }
}
