import type { DataKeys } from '../crypto/data-keys.js';
import { fieldAad, open, seal } from '../crypto/envelope.js';
import type { UserHasher } from '../crypto/user-hash.js';
import type { Embedder } from '../embed/embedder.js';
import { AppError, ErrorCode, Errors } from '../errors/app-error.js';
import { lifecycleRepository } from '../store/lifecycle-repository.js';
import { embedTexts } from '../memory/embed-texts.js';
import { prepareMemory, sealChunks } from '../memory/ingest.js';
import { assertMemoryId, assertMetadata } from '../memory/input-checks.js';
import type { Memory } from '../memory/memory-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { KeywordIndex } from '../search/keyword/keyword-index.js';
import type { Database, Queryable } from '../store/database.js';
import { lockTenant } from '../store/tenant-lock.js';
import { updateRepository as repo, type MemoryChange } from '../store/update-repository.js';
import { contentHash } from './content-hash.js';
import { resolveExpiry } from './expiry.js';
import { recordTextChange } from './history.js';

/**
 * What an update changes. Absent fields stay as they are; at least one must be given.
 * - text: replaces the text; the memory is re-chunked, re-embedded and re-indexed (same memory id,
 *   new chunk ids).
 * - source: a new source, or null to clear it.
 * - metadata: replaces the whole object ({} clears it); keys are not merged.
 * - expiresAt (null: never) or ttlSeconds: the new expiry.
 */
export interface UpdateInput {
  userId: string;
  memoryId: string;
  text?: string;
  source?: string | null;
  metadata?: Record<string, unknown>;
  expiresAt?: Date | null;
  ttlSeconds?: number;
}

export interface UpdateResult extends Memory {
  /** Whether the text was replaced (the chunks are new). */
  textChanged: boolean;
}

export const UPDATE_FIELDS = ['text', 'source', 'metadata', 'expires_at', 'ttl_seconds'] as const;

export interface UpdateServiceDeps {
  db: Database;
  embedder: Embedder;
  dataKeys: DataKeys<Queryable>;
  hashUser: UserHasher;
  metrics: Metrics;
  keywordIndex: KeywordIndex;
}

export type UpdateOutcome = 'ok' | 'not_found' | 'duplicate' | 'invalid' | 'error';

/**
 * Corrects a stored memory (PATCH /api/v1/memory/{id}). A new text is checked, chunked and
 * embedded before any transaction; then one tenant transaction takes the user's lock EXCLUSIVE,
 * so no query of this user runs meanwhile: queries hold the lock shared for their whole
 * transaction, and each of their statements (vector, keyword, neighbours) would otherwise see a
 * new snapshot under READ COMMITTED. A query therefore sees the old version or the new one, never
 * chunks of both. The old chunks are deleted (keyword entries and entity mentions cascade), the new
 * ones inserted under the same memory id, and the memory row rewritten.
 */
export class UpdateService {
  constructor(private readonly deps: UpdateServiceDeps) {}

  async update(input: UpdateInput): Promise<UpdateResult> {
    try {
      const result = await this.apply(input);
      this.deps.metrics.memoryUpdates.inc({ outcome: 'ok' });
      return result;
    } catch (err) {
      this.deps.metrics.memoryUpdates.inc({ outcome: outcomeOf(err) });
      throw err;
    }
  }

  private async apply(input: UpdateInput): Promise<UpdateResult> {
    assertMemoryId(input.memoryId);
    const given = {
      text: input.text !== undefined,
      source: input.source !== undefined,
      metadata: input.metadata !== undefined,
      expiry: input.expiresAt !== undefined || input.ttlSeconds !== undefined,
    };
    if (!given.text && !given.source && !given.metadata && !given.expiry) {
      throw Errors.validation(`give at least one field to change: ${UPDATE_FIELDS.join(', ')}`);
    }
    if (given.metadata) assertMetadata(input.metadata);
    const expiresAt = resolveExpiry(input);
    const prepared = input.text === undefined ? undefined : prepareMemory({ userId: input.userId, text: input.text });
    // Embed before the transaction: no connection (and no exclusive lock) is held while the model works.
    const embeddings = prepared && (await embedTexts(this.deps.embedder, this.deps.metrics, prepared.pieces));
    const userHash = this.deps.hashUser(input.userId);

    return this.deps.db.withTenant(userHash, async (tx) => {
      await lockTenant(tx, userHash, 'exclusive');
      const current = await repo.lockLive(tx, userHash, input.memoryId);
      // Missing, expired and another user's memory are one answer: existence is never revealed.
      if (!current) throw Errors.notFound('memory');
      const dek = await this.deps.dataKeys.find(tx, userHash);
      if (!dek) throw Errors.decryptFailed(); // rows without a key: removed out of band (see MemoryService.requireKey)
      const change: MemoryChange = {
        source: given.source ? (input.source ?? null) : current.source,
        metadata: given.metadata ? input.metadata! : current.metadata,
        expiresAt: expiresAt === undefined ? current.expiresAt : expiresAt,
      };
      const memoryId = current.id;
      let chunkIds: string[];
      let text: string;
      if (prepared && embeddings) {
        text = prepared.input.text;
        const hash = contentHash(dek, text);
        const found = await lifecycleRepository.byContentHash(tx, userHash, hash);
        const holder = found && found.id !== memoryId ? found : undefined;
        if (holder?.live) throw Errors.duplicateMemory(holder.id);
        // An expired holder is invisible and due for the sweeper: it gives way instead of blocking the text.
        if (holder) await lifecycleRepository.deleteIfExpired(tx, userHash, holder.id);
        await repo.deleteChunks(tx, userHash, memoryId);
        const sealed = sealChunks(dek, userHash, memoryId, prepared.pieces, embeddings);
        chunkIds = sealed.chunkIds;
        const { chunks } = sealed;
        await repo.insertChunks(tx, userHash, current, change, chunks, this.deps.embedder.model);
        await this.deps.keywordIndex.write(tx, userHash, dek, prepared.pieces.map((piece, i) => ({ id: chunkIds[i]!, text: piece })));
        change.text = {
          ciphertext: seal(dek, text, fieldAad(userHash, 'memories', memoryId, 'text')),
          chunkCount: chunks.length,
          contentHash: hash,
        };
        const oldText = open(dek, current.textCiphertext, fieldAad(userHash, 'memories', memoryId, 'text')).toString('utf8');
        await recordTextChange(tx, dek, userHash, memoryId, oldText, text);
      } else {
        text = open(dek, current.textCiphertext, fieldAad(userHash, 'memories', memoryId, 'text')).toString('utf8');
        chunkIds = await repo.chunkIds(tx, userHash, memoryId);
      }
      const row = await repo.update(tx, userHash, memoryId, change);
      return {
        memoryId,
        text,
        source: row.source,
        metadata: row.metadata,
        chunkIds,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
        expiresAt: row.expiresAt,
        textChanged: prepared !== undefined,
      };
    });
  }
}

function outcomeOf(err: unknown): UpdateOutcome {
  if (!(err instanceof AppError)) return 'error';
  if (err.code === ErrorCode.NotFound) return 'not_found';
  if (err.code === ErrorCode.DuplicateMemory) return 'duplicate';
  return err.statusCode < 500 ? 'invalid' : 'error';
}
