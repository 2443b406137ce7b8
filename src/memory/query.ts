import type { DataKeys } from '../crypto/data-keys.js';
import type { UserHasher } from '../crypto/user-hash.js';
import type { Embedder } from '../embed/embedder.js';
import { Errors } from '../errors/app-error.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ChunkRef } from '../search/fusion.js';
import type { HitScores, SearchPipeline } from '../search/pipeline.js';
import type { RerankRunner } from '../search/rerank/stage.js';
import type { Database, Queryable } from '../store/database.js';
import type { SearchFilters } from '../store/memory-repository.js';
import { lockTenant } from '../store/tenant-lock.js';
import type { VectorSearchOptions } from '../store/vector-search.js';
import { embedTexts } from './embed-texts.js';
import { assertFilterDate, assertMetadata } from './input-checks.js';
import { Limits } from './limits.js';

export interface QueryInput {
  userId: string;
  query: string;
  k?: number;
  filters?: SearchFilters;
  /** Hits scoring below are dropped (see README: scores). */
  minScore?: number;
  /** Hits whose calibrated relevance (0..1) is below are dropped. */
  minRelevance?: number;
  /** Rerank the candidates; default: when a reranker is configured. */
  rerank?: boolean;
}

export interface QueryHit {
  memoryId: string;
  chunkId: string;
  text: string;
  score: number;
  scores: HitScores;
  /** The neighbouring chunk whose lead gave this hit its context score (search/context.ts). */
  contextFrom?: ChunkRef;
  /** The calibrated probability that the hit is relevant (search/relevance.ts). */
  relevance: number;
  source: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface QueryOutcome {
  hits: QueryHit[];
  reranked: boolean;
}

export interface QueryDeps {
  db: Database;
  embedder: Embedder;
  dataKeys: DataKeys<Queryable>;
  hashUser: UserHasher;
  metrics: Metrics;
  vectorSearch?: VectorSearchOptions;
  search: SearchPipeline;
  reranker?: RerankRunner;
}

/**
 * A query: check the input, embed the question, and run the search pipeline in one tenant
 * transaction with the user's lock held shared (docs/ARCHITECTURE.md, "Request flow: query").
 *
 * The embedding and the transaction overlap when the embedder is idle: the embedding starts, the
 * transaction opens at once and takes the lock, reads the key and runs the keyword statement (it needs
 * the query text only) while the model works, and the vector statement waits for the embedding. When
 * the embedder has work queued (or cannot tell), or the database has callers waiting for a connection,
 * the query embeds first and opens the transaction after, so that a queue of embeddings never pins
 * connections (on PGlite, the only one). Either way everything the query reads is read in the one
 * transaction under the lock.
 */
export async function runQuery(deps: QueryDeps, input: QueryInput): Promise<QueryOutcome> {
  const query = input.query.trim();
  if (!query) throw Errors.validation('query must not be blank');
  if (query.length > Limits.queryChars) throw Errors.validation(`query must be at most ${Limits.queryChars} characters`);
  const filters = input.filters ?? {};
  if (filters.metadata !== undefined) assertMetadata(filters.metadata, 'filters.metadata');
  assertFilterDate(filters.createdAfter, 'filters.created_after');
  assertFilterDate(filters.createdBefore, 'filters.created_before');
  const k = input.k ?? Limits.kDefault;
  if (!Number.isInteger(k) || k < 1 || k > Limits.kMax) throw Errors.validation(`k must be an integer in 1..${Limits.kMax}`);

  const overlap = mayOverlap(deps);
  const embedding = embedTexts(deps.embedder, deps.metrics, [query]).then(([v]) => v!);
  // Overlapped, the transaction may end (no key, a database error) before the embedding does: the
  // embedding's failure is then awaited below or nowhere, never left unhandled.
  embedding.catch(() => {});
  const userHash = deps.hashUser(input.userId);
  const vector = overlap ? embedding : await embedding;
  const outcome = await readOnlyTransaction(deps.db, userHash, async (tx): Promise<QueryOutcome | null> => {
    await lockTenant(tx, userHash, 'shared');
    const dek = await deps.dataKeys.find(tx, userHash);
    // No key: the user never wrote, or is being erased; nothing of theirs can be read.
    if (!dek) return null;
    // Overlapped, an embedding failure surfaces in here (the pipeline awaits it before the vector
    // statement): the transaction rolls back and the error is mapped as when embedding first.
    const { hits, reranked } = await deps.search.run(tx, {
      userHash,
      dek,
      query,
      embedding: vector,
      dimensions: deps.embedder.dimensions,
      k,
      filters,
      vectorSearch: deps.vectorSearch,
      minScore: input.minScore,
      minRelevance: input.minRelevance,
      reranker: input.rerank === false ? undefined : deps.reranker,
    });
    const toHit = ({ hit, text, score, scores, relevance, contextFrom }: (typeof hits)[number]): QueryHit => {
      const { memoryId, chunkId, source, metadata, createdAt } = hit;
      return { memoryId, chunkId, text, score, scores, contextFrom, relevance, source, metadata, createdAt };
    };
    return { hits: hits.map(toHit), reranked };
  });
  if (outcome) return outcome;
  // The same answer as when embedding first: a failed embedding is its error, else nothing.
  await embedding;
  return { hits: [], reranked: false };
}

/**
 * `db.withTenant` for a transaction that only reads: its answer is final once `fn` resolves, so it is
 * returned without waiting for the COMMIT round trip (the tenant lock is released when the COMMIT
 * lands, as before; the reads were all made under it). A failure of `fn` rejects as with withTenant;
 * a failed COMMIT after that has nothing to undo and is ignored.
 */
function readOnlyTransaction<T>(db: Database, userHash: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    db.withTenant(userHash, async (tx) => {
      const result = await fn(tx);
      resolve(result);
      return result;
    }).catch(reject);
  });
}

/** Overlap the embedding with the transaction only when neither has a queue (see runQuery). */
function mayOverlap(deps: QueryDeps): boolean {
  const pending = deps.embedder.pending?.();
  return pending === 0 && deps.embedder.isReady() && deps.db.stats().waiting === 0;
}
