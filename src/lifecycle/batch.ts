import type { UserHasher } from '../crypto/user-hash.js';
import { AppError, ErrorCode, isAppError } from '../errors/app-error.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Database, Queryable } from '../store/database.js';
import { embedTexts } from '../memory/embed-texts.js';
import { prepareMemory, writeMemory, type IndexInput, type IndexResult, type PreparedMemory, type WriteDeps } from '../memory/ingest.js';

/**
 * Batch ingest (POST /index/batch, `engram import`): many memories of one user in one call.
 *
 * 1. Every item is checked and chunked (prepareMemory); a bad item is reported, the others go on.
 * 2. The good items are cut into groups of whole items holding about `groupTexts` chunks, and each
 *    group is one embed call. Two calls are in flight at once and group k is written while groups
 *    k+1 and k+2 embed, so the model (worker threads, or a remote provider) is kept busy while the
 *    database works and while the last tasks of a call finish.
 * 3. Each group is written in one tenant transaction, each item inside a savepoint: an item that
 *    fails rolls back to its savepoint and the others stay. A transaction that fails as a whole (the
 *    database went away) fails its group's items, never another group's.
 *
 * If an embed call fails (queue full, timeout, provider error), its items and every later item fail
 * with that error: the provider is unlikely to do better for the next group of the same request.
 *
 * The timeline keeps the batch's order: an item without its own created_at is dated at least a
 * millisecond after the previous such item (the transaction's time otherwise), so a conversation
 * sent as one batch has distinct, increasing dates, as when it was indexed turn by turn, and the
 * neighbour context of search reads it in order. A batch written faster than one item a millisecond
 * dates its last items that much ahead of the clock. An item's own created_at is kept as given.
 */
export interface BatchDeps extends WriteDeps {
  db: Database;
  hashUser: UserHasher;
  metrics: Metrics;
}

export type BatchOutcome = { ok: true; result: IndexResult } | { ok: false; error: AppError };

/** Chunks per embed call: large enough to keep every worker thread busy, small enough to bound one call's time. */
export const DEFAULT_GROUP_TEXTS = 32;
/** Embed calls in flight at once. */
const EMBED_AHEAD = 2;

const asAppError = (err: unknown): AppError =>
  isAppError(err) ? err : new AppError(ErrorCode.Internal, 'internal error', { cause: err });

interface Group {
  items: Array<{ index: number; prepared: PreparedMemory }>;
  texts: string[];
}

/** Consecutive items, each group at least one item and at most `groupTexts` chunks unless one item has more. */
function groupItems(prepared: Array<{ index: number; prepared: PreparedMemory }>, groupTexts: number): Group[] {
  const groups: Group[] = [];
  let current: Group = { items: [], texts: [] };
  for (const item of prepared) {
    if (current.items.length > 0 && current.texts.length + item.prepared.pieces.length > groupTexts) {
      groups.push(current);
      current = { items: [], texts: [] };
    }
    current.items.push(item);
    current.texts.push(...item.prepared.pieces);
  }
  if (current.items.length > 0) groups.push(current);
  return groups;
}

/**
 * Indexes the items for one user; `items[i]` is an input or the error that already refused it (the
 * route's per-item schema check). Returns one outcome per item, in order.
 */
export async function indexBatch(
  deps: BatchDeps,
  userId: string,
  items: ReadonlyArray<Omit<IndexInput, 'userId'> | AppError>,
  options: { groupTexts?: number } = {},
): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = new Array(items.length);
  const ready: Array<{ index: number; prepared: PreparedMemory }> = [];
  items.forEach((item, index) => {
    if (item instanceof AppError) {
      outcomes[index] = { ok: false, error: item };
      return;
    }
    try {
      ready.push({ index, prepared: prepareMemory({ ...item, userId }) });
    } catch (err) {
      outcomes[index] = { ok: false, error: asAppError(err) };
    }
  });

  const userHash = deps.hashUser(userId);
  const groups = groupItems(ready, options.groupTexts ?? DEFAULT_GROUP_TEXTS);
  const embed = (group: Group) =>
    embedTexts(deps.embedder, deps.metrics, group.texts).then(
      (vectors) => ({ vectors }),
      (err: unknown) => ({ error: asAppError(err) }),
    );
  // Up to EMBED_AHEAD embed calls in flight: the next call's tasks fill the worker threads while the
  // last tasks of the current one finish, and while its group is written.
  const embedding = groups.slice(0, EMBED_AHEAD).map(embed);
  let embedFailure: AppError | undefined;
  // The date of the last item written without its own created_at (see above).
  const order: { last?: Date } = {};
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (embedFailure) {
      for (const { index } of group.items) outcomes[index] = { ok: false, error: embedFailure };
      continue;
    }
    const embedded = await embedding[g]!;
    if (g + EMBED_AHEAD < groups.length) embedding.push(embed(groups[g + EMBED_AHEAD]!));
    if ('error' in embedded) {
      embedFailure = embedded.error;
      for (const { index } of group.items) outcomes[index] = { ok: false, error: embedFailure };
      continue;
    }
    await writeGroup(deps, userHash, group, embedded.vectors, outcomes, order);
  }
  // Pipelined embed calls whose results are no longer wanted still settle (their texts leave the queue).
  await Promise.all(embedding);
  count(deps.metrics, outcomes);
  return outcomes;
}

async function writeGroup(
  deps: BatchDeps,
  userHash: string,
  group: Group,
  vectors: number[][],
  outcomes: BatchOutcome[],
  order: { last?: Date },
) {
  const tentative: Array<[number, BatchOutcome]> = [];
  try {
    await deps.db.withTenant(userHash, async (tx: Queryable) => {
      // One key lookup (and tenant lock) per transaction, not per item, and before any savepoint: a
      // key row created inside an item's savepoint would vanish if that item rolled back. The lock
      // holds until COMMIT, so the key cannot change under the items.
      const dek = await deps.dataKeys.getOrCreate(tx, userHash);
      let offset = 0;
      for (const { index, prepared } of group.items) {
        const embeddings = vectors.slice(offset, offset + prepared.pieces.length);
        offset += prepared.pieces.length;
        await tx.query('SAVEPOINT batch_item');
        try {
          const result = await writeMemory(deps, tx, userHash, dek, prepared, embeddings, order.last);
          await tx.query('RELEASE SAVEPOINT batch_item');
          if (!prepared.input.createdAt && !result.deduplicated) order.last = result.createdAt;
          tentative.push([index, { ok: true, result }]);
        } catch (err) {
          // Fails too (and so fails the group) when the connection itself is gone.
          await tx.query('ROLLBACK TO SAVEPOINT batch_item');
          tentative.push([index, { ok: false, error: asAppError(err) }]);
        }
      }
    });
  } catch (err) {
    // Nothing of this group was committed.
    const error = asAppError(err);
    for (const { index } of group.items) outcomes[index] = { ok: false, error };
    return;
  }
  for (const [index, outcome] of tentative) outcomes[index] = outcome;
}

function count(metrics: Metrics, outcomes: BatchOutcome[]) {
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      metrics.batchItems.inc({ outcome: 'failed' });
    } else if (outcome.result.deduplicated) {
      metrics.batchItems.inc({ outcome: 'deduplicated' });
    } else {
      metrics.batchItems.inc({ outcome: 'stored' });
      metrics.memoriesIngested.inc();
      metrics.ingestChunks.observe(outcome.result.chunkIds.length);
    }
  }
}
