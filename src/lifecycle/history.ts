import { randomUUID } from 'node:crypto';
import type { DataKeys } from '../crypto/data-keys.js';
import { fieldAad, open, seal } from '../crypto/envelope.js';
import type { UserHasher } from '../crypto/user-hash.js';
import { Errors } from '../errors/app-error.js';
import { assertMemoryId } from '../memory/input-checks.js';
import type { Database, Queryable } from '../store/database.js';
import { historyRepository } from '../store/history-repository.js';
import { memoryRepository } from '../store/memory-repository.js';
import { lockTenant } from '../store/tenant-lock.js';

/**
 * A memory's history (mem0's `history`): ADD, each UPDATE of its text, and DELETE. The texts are
 * sealed under the user's data key, bound to user, table, row and column; a delete clears them (the
 * events stay), an expiry or an erase removes everything (store/history-repository.ts).
 */
export interface HistoryEvent {
  /** The history entry; for ADD, the memory's own id. */
  id: string;
  memoryId: string;
  event: 'ADD' | 'UPDATE' | 'DELETE';
  /** The text before and after the event; null where there was none, or once the memory is deleted. */
  oldText: string | null;
  newText: string | null;
  at: Date;
}

const aad = (userHash: string, id: string, column: 'old_text' | 'new_text') => fieldAad(userHash, 'memory_history', id, column);

/** In the update's tenant transaction: the text changed from `oldText` to `newText`. */
export async function recordTextChange(tx: Queryable, dek: Buffer, userHash: string, memoryId: string, oldText: string, newText: string): Promise<void> {
  const id = randomUUID();
  await historyRepository.recordUpdate(tx, userHash, {
    id,
    memoryId,
    oldCiphertext: seal(dek, oldText, aad(userHash, id, 'old_text')),
    newCiphertext: seal(dek, newText, aad(userHash, id, 'new_text')),
  });
}

export interface HistoryDeps {
  db: Database;
  dataKeys: DataKeys<Queryable>;
  hashUser: UserHasher;
}

/** The memory's events, oldest first; NOT_FOUND when the user has neither the memory nor a history of it. */
export async function readHistory(deps: HistoryDeps, userId: string, memoryId: string): Promise<HistoryEvent[]> {
  assertMemoryId(memoryId);
  const userHash = deps.hashUser(userId);
  return deps.db.withTenant(userHash, async (tx) => {
    await lockTenant(tx, userHash, 'shared');
    const memory = await memoryRepository.get(tx, userHash, memoryId);
    const rows = await historyRepository.forMemory(tx, userHash, memoryId);
    if (!memory && rows.length === 0) throw Errors.notFound('memory');
    const dek = await deps.dataKeys.find(tx, userHash);
    const read = (b: Buffer | null, id: string, column: 'old_text' | 'new_text') =>
      b && dek ? open(dek, b, aad(userHash, id, column)).toString('utf8') : null;
    const updates = rows.map((r): HistoryEvent => ({
      id: r.id,
      memoryId,
      event: r.event,
      oldText: read(r.oldCiphertext, r.id, 'old_text'),
      newText: read(r.newCiphertext, r.id, 'new_text'),
      at: r.createdAt,
    }));
    const current = memory && dek ? open(dek, memory.textCiphertext, fieldAad(userHash, 'memories', memoryId, 'text')).toString('utf8') : null;
    const firstUpdate = updates.find((e) => e.event === 'UPDATE');
    const addedAt = memory?.createdAt ?? rows.find((r) => r.event === 'DELETE')?.addedAt ?? rows[0]!.createdAt;
    const add: HistoryEvent = {
      id: memoryId,
      memoryId,
      event: 'ADD',
      oldText: null,
      newText: firstUpdate ? firstUpdate.oldText : current,
      at: addedAt,
    };
    return [add, ...updates];
  });
}
