import type { Queryable } from './database.js';

export class EmbeddingSpaceMismatchError extends Error {
  constructor(stored: { model: string; dimensions: number }, wanted: { model: string; dimensions: number }) {
    super(
      `the database holds ${stored.dimensions}-d vectors from model "${stored.model}", but the configured embedder is ` +
        `"${wanted.model}" (${wanted.dimensions}-d); vectors of different models cannot be mixed: use the same ` +
        `EMBEDDINGS_* settings, or a new database`,
    );
    this.name = 'EmbeddingSpaceMismatchError';
  }
}

/**
 * Run as the schema owner after migrations: records which model's vectors this database holds and
 * builds the HNSW index for that length. pgvector's HNSW needs a fixed length, so the index is on
 * `embedding::vector(N)` and queries order by the same expression.
 */
export async function prepareEmbeddingSpace(owner: Queryable, model: string, dimensions: number): Promise<void> {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16000) {
    throw new Error(`invalid embedding dimensions: ${dimensions}`);
  }
  await owner.query(
    `INSERT INTO engram_embedding_space (model, dimensions) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
    [model, dimensions],
  );
  const { rows } = await owner.query<{ model: string; dimensions: number }>(
    `SELECT model, dimensions FROM engram_embedding_space`,
  );
  const stored = rows[0]!;
  if (stored.model !== model || stored.dimensions !== dimensions) {
    throw new EmbeddingSpaceMismatchError(stored, { model, dimensions });
  }
  await owner.query(
    `CREATE INDEX IF NOT EXISTS memory_chunks_embedding_hnsw ON memory_chunks
       USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops)`,
  );
}

/** What a start with MIGRATE_ON_START=false says on a database `engram migrate` never ran on. */
export const NEVER_MIGRATED =
  'the database was never migrated (it has no Engram tables) and MIGRATE_ON_START is off: run `engram migrate` once as the ' +
  'schema owner (DATABASE_OWNER_URL, else DATABASE_URL), or start with MIGRATE_ON_START on';

export async function assertEmbeddingSpace(tx: Queryable, model: string, dimensions: number): Promise<void> {
  const { rows } = await tx
    .query<{ model: string; dimensions: number }>(`SELECT model, dimensions FROM engram_embedding_space`)
    .catch((err: { code?: string }) => {
      // 42P01 undefined_table: the first thing a start without migrations reads is missing.
      throw err?.code === '42P01' ? new Error(NEVER_MIGRATED) : err;
    });
  const stored = rows[0];
  if (!stored) throw new Error('the database has no embedding space yet: run `engram migrate` first');
  if (stored.model !== model || stored.dimensions !== dimensions) {
    throw new EmbeddingSpaceMismatchError(stored, { model, dimensions });
  }
}
