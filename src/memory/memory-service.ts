import { randomUUID } from 'node:crypto';
import type { AppError } from '../errors/app-error.js';
import { Errors } from '../errors/app-error.js';
import { fieldAad, open } from '../crypto/envelope.js';
import { indexBatch, type BatchOutcome } from '../lifecycle/batch.js';
import { dedupWanted, findDuplicate } from '../lifecycle/dedup.js';
import type { LifecycleOptions } from '../lifecycle/options.js';
import type { KeywordIndex } from '../search/keyword/keyword-index.js';
import type { Queryable } from '../store/database.js';
import { keyRepository } from '../store/key-repository.js';
import { historyRepository } from '../store/history-repository.js';
import { memoryRepository, type MemoryRow, type SearchFilters } from '../store/memory-repository.js';
import { lockTenant, type TenantLockMode } from '../store/tenant-lock.js';
import { embedTexts } from './embed-texts.js';
import { prepareMemory, writeMemory, type IndexInput, type IndexResult } from './ingest.js';
import { assertMemoryId, decodeCursor, encodeCursor } from './input-checks.js';
import { Limits } from './limits.js';
import { runQuery, type QueryDeps, type QueryInput, type QueryOutcome } from './query.js';

export type { IndexInput, IndexResult } from './ingest.js';
export type { QueryHit, QueryInput, QueryOutcome } from './query.js';

export interface Memory {
  memoryId: string;
  text: string;
  source: string | null;
  metadata: Record<string, unknown>;
  chunkIds: string[];
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
}

export type MemorySummary = Omit<Memory, 'chunkIds'> & { chunkCount: number };

/** What a query needs (query.ts), and what writes add to it. */
export interface MemoryServiceDeps extends QueryDeps {
  keywordIndex: KeywordIndex;
  /** Default TTL and deduplication on write (src/lifecycle/); absent: no default TTL, dedup on. */
  lifecycle?: LifecycleOptions;
}

const elapsedMs = (since: number) => performance.now() - since;

/**
 * The memory domain: ingest, query, read, list, delete, erase, export. Knows nothing of HTTP; the
 * routes and the CLI both call it. Plaintext exists only in this process: texts are sealed before
 * they reach the store and opened after they leave it.
 */
export class MemoryService {
  constructor(private readonly deps: MemoryServiceDeps) {}

  /** `receivedAt` (performance.now() when the request arrived) starts the time-to-first-value clock. */
  async index(input: IndexInput, receivedAt = performance.now()): Promise<IndexResult> {
    const started = performance.now();
    const prepared = prepareMemory(input);
    const userHash = this.deps.hashUser(input.userId);
    // A text the user already has is answered without the model's work (writeMemory re-checks).
    if (dedupWanted(this.deps.lifecycle, input.dedup)) {
      const existing = await findDuplicate(this.deps, userHash, input.text);
      if (existing) return existing;
    }
    // Embed before opening the transaction: a connection is not held while the model works.
    const embeddings = await this.embed(prepared.pieces);
    const result = await this.deps.db.withTenant(userHash, async (tx) => {
      const dek = await this.deps.dataKeys.getOrCreate(tx, userHash);
      return writeMemory(this.deps, tx, userHash, dek, prepared, embeddings);
    });
    if (result.deduplicated) return result;
    // Committed: from here on the memory is returned by queries.
    const { metrics } = this.deps;
    metrics.ttfv.observe(elapsedMs(receivedAt));
    metrics.ingestLatency.observe(elapsedMs(started));
    metrics.ingestChunks.observe(result.chunkIds.length);
    metrics.memoriesIngested.inc();
    return result;
  }

  /** Many memories of one user (lifecycle/batch.ts); an AppError item is one already refused. */
  indexBatch(userId: string, items: ReadonlyArray<Omit<IndexInput, 'userId'> | AppError>): Promise<BatchOutcome[]> {
    return indexBatch(this.deps, userId, items);
  }

  async query(input: QueryInput): Promise<QueryOutcome> {
    const { metrics } = this.deps;
    const started = performance.now();
    metrics.activeQueries.inc();
    try {
      const hits = await runQuery(this.deps, input);
      metrics.queries.inc({ outcome: 'ok' });
      return hits;
    } catch (err) {
      metrics.queries.inc({ outcome: 'error' });
      throw err;
    } finally {
      metrics.activeQueries.dec();
      metrics.queryLatency.observe(elapsedMs(started));
    }
  }

  async get(userId: string, memoryId: string): Promise<Memory> {
    assertMemoryId(memoryId);
    const userHash = this.deps.hashUser(userId);
    return this.inTenant(userHash, 'shared', async (tx) => {
      const row = await memoryRepository.get(tx, userHash, memoryId);
      if (!row) throw Errors.notFound('memory');
      const dek = await this.requireKey(tx, userHash);
      return { ...this.openMemory(dek, userHash, row), chunkIds: row.chunkIds };
    });
  }

  /** A page of memories, newest first, and the cursor of the next page (undefined at the end). */
  async list(
    userId: string,
    options: { limit?: number; cursor?: string; filters?: SearchFilters; offset?: number } = {},
  ): Promise<{ memories: MemorySummary[]; nextCursor?: string }> {
    const limit = options.limit ?? Limits.pageDefault;
    if (!Number.isInteger(limit) || limit < 1 || limit > Limits.pageMax) {
      throw Errors.validation(`limit must be an integer in 1..${Limits.pageMax}`);
    }
    const after = options.cursor ? decodeCursor(options.cursor) : undefined;
    const userHash = this.deps.hashUser(userId);
    return this.inTenant(userHash, 'shared', async (tx) => {
      const rows = await memoryRepository.list(tx, userHash, limit, after, { filters: options.filters, offset: options.offset });
      if (rows.length === 0) return { memories: [] };
      const dek = await this.requireKey(tx, userHash);
      const memories = rows.map((row) => this.openMemory(dek, userHash, row));
      const last = rows.at(-1)!;
      return { memories, nextCursor: rows.length === limit ? encodeCursor(last) : undefined };
    });
  }

  /** How many live memories the user has (that match `filters`). */
  async count(userId: string, filters?: SearchFilters): Promise<number> {
    const userHash = this.deps.hashUser(userId);
    return this.inTenant(userHash, 'shared', (tx) => memoryRepository.count(tx, userHash, filters));
  }

  async delete(userId: string, memoryId: string): Promise<void> {
    assertMemoryId(memoryId);
    const userHash = this.deps.hashUser(userId);
    const deleted = await this.inTenant(userHash, 'shared', async (tx) => {
      const gone = await memoryRepository.delete(tx, userHash, memoryId);
      // The history keeps that it was deleted, and forgets the texts it had (store/history-repository.ts).
      if (gone) await historyRepository.recordDelete(tx, userHash, { id: randomUUID(), memoryId, addedAt: gone.createdAt });
      return gone;
    });
    if (!deleted) throw Errors.notFound('memory');
  }

  /**
   * Erases a user in one transaction under the tenant's exclusive lock: it waits for the reads and
   * writes in flight (a first write included), destroys the data key and deletes every row, and
   * commits all of it or nothing. Reads and writes that arrive meanwhile wait and then find nothing.
   */
  async erase(userId: string): Promise<{ keyDestroyed: boolean; memoriesDeleted: number }> {
    const userHash = this.deps.hashUser(userId);
    return this.inTenant(userHash, 'exclusive', async (tx) => {
      const keyDestroyed = await keyRepository.destroy(tx, userHash);
      await historyRepository.deleteAll(tx, userHash);
      return { keyDestroyed, memoriesDeleted: await memoryRepository.deleteAll(tx, userHash) };
    });
  }

  /** Every memory of a user, decrypted, newest first, a page at a time (one transaction per page). */
  async *export(userId: string, pageSize = 100): AsyncGenerator<MemorySummary> {
    let cursor: string | undefined;
    do {
      const page = await this.list(userId, { limit: pageSize, cursor });
      yield* page.memories;
      cursor = page.nextCursor;
    } while (cursor);
  }

  private embed(texts: string[]): Promise<number[][]> {
    return embedTexts(this.deps.embedder, this.deps.metrics, texts);
  }

  /** A tenant transaction that first takes the tenant lock (store/tenant-lock.ts). */
  private inTenant<T>(userHash: string, mode: TenantLockMode, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.deps.db.withTenant(userHash, async (tx) => {
      await lockTenant(tx, userHash, mode);
      return fn(tx);
    });
  }

  private async requireKey(tx: Queryable, userHash: string): Promise<Buffer> {
    const dek = await this.deps.dataKeys.find(tx, userHash);
    // Rows without a key: an erase deletes both in one transaction that no read overlaps (tenant
    // lock), so this is not an erase in progress but a key row removed out of band.
    if (!dek) throw Errors.decryptFailed();
    return dek;
  }

  private openMemory(dek: Buffer, userHash: string, row: MemoryRow): MemorySummary {
    return {
      memoryId: row.id,
      text: open(dek, row.textCiphertext, fieldAad(userHash, 'memories', row.id, 'text')).toString('utf8'),
      source: row.source,
      metadata: row.metadata,
      chunkCount: row.chunkCount,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      expiresAt: row.expiresAt,
    };
  }
}
