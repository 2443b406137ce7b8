import type { DataKeys } from '../crypto/data-keys.js';
import { fieldAad, open } from '../crypto/envelope.js';
import { isAppError } from '../errors/app-error.js';
import type { Database, Queryable } from '../store/database.js';
import { legacyChunkRepository, type ChunkForReseal } from '../store/legacy-chunk-repository.js';
import type { Maintenance } from '../store/maintenance.js';
import { tenantCatalog } from '../store/tenant-catalog.js';
import { lockTenant } from '../store/tenant-lock.js';
import { CHUNK_AAD_VERSION, openChunk, sealChunk, type ChunkRef } from './chunk-crypto.js';

export interface ResealDeps {
  db: Database;
  maintenance: Maintenance;
  dataKeys: DataKeys<Queryable>;
}

export interface ResealResult {
  resealed: number;
  /** Version-1 chunks that did not verify against their memory's text: left as they are (unreadable). */
  refused: number;
}

/**
 * Re-seals chunks stored under the version-1 AAD (tenant and chunk id) with the current one
 * (tenant, memory, chunk id, ordinal). The database cannot decrypt, so the application does it,
 * one tenant at a time, `batchSize` memories per transaction.
 *
 * The old AAD did not bind a chunk to its memory or position, so an old ciphertext is accepted only
 * if it verifies against its memory's full text, which has always been bound to the memory id:
 * each chunk, taken in ordinal order, must occur in that text after the one before it. A chunk
 * moved to another memory or position, or a current chunk whose aad_version was set back to 1 (it
 * does not open with the old AAD), fails this and is refused: left as it is, unreadable, so
 * rewriting the column never launders a moved chunk.
 */
export async function resealLegacyChunks(
  deps: ResealDeps,
  options: { batchSize?: number; log?: (message: string) => void } = {},
): Promise<ResealResult> {
  const batchSize = options.batchSize ?? 100;
  const result: ResealResult = { resealed: 0, refused: 0 };
  let afterTenant = '';
  for (;;) {
    const tenants = await deps.maintenance((q) => tenantCatalog.legacyChunkTenants(q, afterTenant, 100));
    if (tenants.length === 0) break;
    for (const userHash of tenants) {
      let afterMemory: string | null = null;
      for (;;) {
        const page: string[] = await deps.db.withTenant(userHash, async (tx) => {
          // Shared: writes and reads go on; an erase waits, or has already removed everything.
          await lockTenant(tx, userHash, 'shared');
          // No data key: nothing of this tenant can be opened (or re-sealed); skip it whole.
          const dek = await deps.dataKeys.find(tx, userHash);
          if (!dek) return [];
          const memoryIds = await legacyChunkRepository.memories(tx, userHash, afterMemory, batchSize);
          for (const memoryId of memoryIds) {
            const outcome = await resealMemory(tx, dek, userHash, memoryId);
            result.resealed += outcome.resealed;
            result.refused += outcome.refused;
          }
          return memoryIds;
        });
        if (page.length < batchSize) break;
        afterMemory = page.at(-1)!;
      }
    }
    afterTenant = tenants.at(-1)!;
  }
  if (result.resealed || result.refused) {
    options.log?.(`chunk AAD: re-sealed ${result.resealed} chunk(s), refused ${result.refused} that did not verify`);
  }
  return result;
}

async function resealMemory(tx: Queryable, dek: Buffer, userHash: string, memoryId: string): Promise<ResealResult> {
  const memory = await legacyChunkRepository.lockMemory(tx, userHash, memoryId);
  if (!memory) return { resealed: 0, refused: 0 };
  const result: ResealResult = { resealed: 0, refused: 0 };
  const text = tryOpen(() => open(dek, memory.textCiphertext, fieldAad(userHash, 'memories', memoryId, 'text')).toString('utf8'));
  const inOrder = text === undefined ? undefined : orderedMatcher(text);
  for (const chunk of memory.chunks) {
    const plain = openAny(dek, userHash, memoryId, chunk);
    const verified = plain !== undefined && inOrder !== undefined && inOrder(plain);
    if (chunk.aadVersion === CHUNK_AAD_VERSION) continue;
    if (!verified) {
      result.refused += 1;
      continue;
    }
    const ref: ChunkRef = { userHash, memoryId, chunkId: chunk.id, ordinal: chunk.ordinal };
    await legacyChunkRepository.reseal(tx, userHash, chunk.id, sealChunk(dek, ref, plain), CHUNK_AAD_VERSION);
    result.resealed += 1;
  }
  return result;
}

/** A version-1 chunk opens with the old AAD only; anything else must open with the current one. */
function openAny(dek: Buffer, userHash: string, memoryId: string, c: ChunkForReseal): string | undefined {
  if (c.aadVersion === 1) {
    return tryOpen(() => open(dek, c.ciphertext, fieldAad(userHash, 'memory_chunks', c.id, 'text')).toString('utf8'));
  }
  return tryOpen(() => openChunk(dek, { userHash, memoryId, chunkId: c.id, ordinal: c.ordinal }, c.ciphertext));
}

function tryOpen(fn: () => string): string | undefined {
  try {
    return fn();
  } catch (err) {
    if (isAppError(err)) return undefined;
    throw err;
  }
}

/**
 * A matcher fed the memory's chunks in ordinal order: true when the chunk occurs in the text after
 * the previous accepted one (a chunk that does not is refused and does not move the cursor). The
 * chunker trims and joins with single spaces, so whitespace runs compare as one space; an older
 * chunker could cut a character in half, stored as U+FFFD, which matches anything in between here.
 */
export function orderedMatcher(text: string): (chunk: string) => boolean {
  const haystack = normalise(text);
  let cursor = 0;
  return (chunk) => {
    let from = cursor;
    for (const part of normalise(chunk).split('\uFFFD')) {
      if (!part) continue;
      const at = haystack.indexOf(part, from);
      if (at < 0) return false;
      from = at + part.length;
    }
    cursor = from;
    return true;
  };
}

const normalise = (s: string) => s.replace(/\s+/g, ' ').trim();
