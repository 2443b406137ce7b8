import type { DataKeys } from '../crypto/data-keys.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Database, Queryable } from '../store/database.js';
import { lifecycleRepository, type StoredByHash } from '../store/lifecycle-repository.js';
import { memoryRepository, type ChunkInsert, type MemoryInsert } from '../store/memory-repository.js';
import { lockTenant } from '../store/tenant-lock.js';
import { contentHash } from './content-hash.js';
import type { LifecycleOptions } from './options.js';

/**
 * Deduplication on write: a user indexing a text they already have (same content hash, see
 * content-hash.ts, and not expired) gets that memory back, marked deduplicated, and nothing is
 * written. The unique index on (user_hash, content_hash) is the guarantee: concurrent identical
 * writes meet there, one inserts and the others read it. The lookup before embedding only saves the
 * model's work. An expired memory with the same text (not swept yet) is deleted and the new one stored.
 */

export interface Deduplicated {
  memoryId: string;
  chunkIds: string[];
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  deduplicated: true;
}

type DedupMetrics = Pick<Metrics, 'memoriesDeduplicated'>;

/** Whether this write deduplicates: on in the deployment (default) and not refused by the request. */
export const dedupWanted = (options: LifecycleOptions | undefined, requested: boolean | undefined): boolean =>
  (options?.dedup ?? true) && requested !== false;

const toResult = (s: StoredByHash): Deduplicated => ({
  memoryId: s.id,
  chunkIds: s.chunkIds,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
  expiresAt: s.expiresAt,
  deduplicated: true,
});

/** Before embedding: the user's live memory with this text, if any (read-only; no key is created). */
export async function findDuplicate(
  deps: { db: Database; dataKeys: DataKeys<Queryable>; metrics?: DedupMetrics },
  userHash: string,
  text: string,
): Promise<Deduplicated | undefined> {
  const found = await deps.db.withTenant(userHash, async (tx) => {
    await lockTenant(tx, userHash, 'shared');
    const dek = await deps.dataKeys.find(tx, userHash);
    return dek ? lifecycleRepository.byContentHash(tx, userHash, contentHash(dek, text)) : undefined;
  });
  if (!found?.live) return undefined;
  deps.metrics?.memoriesDeduplicated.inc();
  return toResult(found);
}

/**
 * Inserts the memory and its chunks, or (its content hash taken by a live memory of the user)
 * returns that memory instead. Never raises a unique violation.
 */
export async function insertOrFind(
  tx: Queryable,
  userHash: string,
  memory: MemoryInsert,
  chunks: ChunkInsert[],
  embeddingModel: string,
  metrics?: DedupMetrics,
): Promise<{ createdAt: Date; updatedAt: Date } | Deduplicated> {
  // Each round either inserts, finds a live winner, or removes an expired one; a third round is
  // reached only if winners keep disappearing under us (deleted or expiring in between).
  for (let round = 0; round < 5; round++) {
    const inserted = await memoryRepository.insert(tx, userHash, memory, chunks, embeddingModel);
    if (inserted) return inserted;
    const existing = await lifecycleRepository.byContentHash(tx, userHash, memory.contentHash!);
    if (existing?.live) {
      metrics?.memoriesDeduplicated.inc();
      return toResult(existing);
    }
    if (existing) await lifecycleRepository.deleteIfExpired(tx, userHash, existing.id);
  }
  throw new Error('deduplication: the memory with this content hash kept changing; giving up');
}
