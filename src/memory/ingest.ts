import { randomUUID } from 'node:crypto';
import type { DataKeys } from '../crypto/data-keys.js';
import { fieldAad, seal } from '../crypto/envelope.js';
import type { Embedder } from '../embed/embedder.js';
import { Errors } from '../errors/app-error.js';
import type { KeywordIndex } from '../search/keyword/keyword-index.js';
import type { Queryable } from '../store/database.js';
import type { ChunkInsert } from '../store/memory-repository.js';
import { insertOrFind, dedupWanted } from '../lifecycle/dedup.js';
import { contentHash } from '../lifecycle/content-hash.js';
import { expiryOnIndex, resolveExpiry } from '../lifecycle/expiry.js';
import type { LifecycleOptions } from '../lifecycle/options.js';
import type { Metrics } from '../metrics/metrics.js';
import { CHUNK_AAD_VERSION, sealChunk } from './chunk-crypto.js';
import { chunkText } from './chunker.js';
import { assertMetadata, assertText, assertWrittenDates } from './input-checks.js';

/**
 * The write path of one memory, in steps a caller can group: prepare (check and chunk, no I/O),
 * embed (the caller's, outside any transaction, several memories at once if it likes), then write
 * (seal and store the memory, its chunks and its keyword entries in the caller's tenant transaction).
 */
export interface IndexInput {
  userId: string;
  text: string;
  source?: string;
  metadata?: Record<string, unknown>;
  /** When the memory expires; null: never; absent: the deployment default (if any). */
  expiresAt?: Date | null;
  /** Expire this many seconds from now (instead of expiresAt). */
  ttlSeconds?: number;
  /** Return the existing memory when the user already has this text (default true). */
  dedup?: boolean;
  /** Dates an import brings along; absent: now. */
  createdAt?: Date;
  updatedAt?: Date;
}

export interface IndexResult {
  memoryId: string;
  chunkIds: string[];
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  /** true: the user already had this text, and this is that memory (nothing was written). */
  deduplicated: boolean;
}

export interface PreparedMemory {
  input: IndexInput;
  metadata: Record<string, unknown>;
  /** The chunks' texts, in order. */
  pieces: string[];
  /** The expiry the request asked for (lifecycle/expiry.ts); undefined: the deployment default. */
  expiresAt: Date | null | undefined;
}

/** Checks the input and chunks its text; throws a 400 AppError for bad input. */
export function prepareMemory(input: IndexInput): PreparedMemory {
  assertText(input.text);
  const metadata = input.metadata ?? {};
  assertMetadata(metadata);
  const expiresAt = resolveExpiry(input);
  assertWrittenDates(input.createdAt, input.updatedAt);
  const pieces = chunkText(input.text);
  if (pieces.length === 0) throw Errors.validation('text must contain at least one non-blank character');
  return { input, metadata, pieces, expiresAt };
}

export interface WriteDeps {
  dataKeys: DataKeys<Queryable>;
  embedder: Embedder;
  keywordIndex: KeywordIndex;
  /** Default TTL and deduplication (absent: no default TTL, dedup on). */
  lifecycle?: LifecycleOptions;
  metrics?: Pick<Metrics, 'memoriesDeduplicated'>;
}

/**
 * Seals (under `dek`, the user's data key from dataKeys.getOrCreate in the same transaction) and
 * stores a prepared memory with its embeddings (one per piece) in the tenant transaction `tx`; or, when the user already has this text (deduplication), returns that memory and writes nothing.
 */
export async function writeMemory(
  deps: WriteDeps,
  tx: Queryable,
  userHash: string,
  dek: Buffer,
  prepared: PreparedMemory,
  embeddings: number[][],
  /** Without its own createdAt, the memory is dated at least a millisecond after this (a batch's previous item). */
  after?: Date,
): Promise<IndexResult> {
  const { input, metadata, pieces } = prepared;
  const memoryId = randomUUID();
  const { chunkIds, chunks } = sealChunks(dek, userHash, memoryId, pieces, embeddings);
  const expiresAt = expiryOnIndex(prepared.expiresAt, deps.lifecycle?.defaultTtlSeconds);
  const memory = {
    id: memoryId,
    source: input.source ?? null,
    metadata,
    textCiphertext: seal(dek, input.text, fieldAad(userHash, 'memories', memoryId, 'text')),
    chunkCount: chunks.length,
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
    expiresAt,
    after,
    // Keyed per user (never a plain hash); NULL for a copy the request wants stored anyway.
    contentHash: dedupWanted(deps.lifecycle, input.dedup) ? contentHash(dek, input.text) : null,
  };
  const at = await insertOrFind(tx, userHash, memory, chunks, deps.embedder.model, deps.metrics);
  if ('deduplicated' in at) return at;
  await deps.keywordIndex.write(tx, userHash, dek, pieces.map((text, i) => ({ id: chunkIds[i]!, text })));
  return { memoryId, chunkIds, ...at, expiresAt, deduplicated: false };
}

/** The chunk rows of a memory's pieces: new ids, sealed under the chunk AAD, with their embeddings. */
export function sealChunks(
  dek: Buffer,
  userHash: string,
  memoryId: string,
  pieces: readonly string[],
  embeddings: readonly number[][],
): { chunkIds: string[]; chunks: ChunkInsert[] } {
  const chunkIds = pieces.map(() => randomUUID());
  const chunks = pieces.map((piece, i) => ({
    id: chunkIds[i]!,
    ordinal: i,
    ciphertext: sealChunk(dek, { userHash, memoryId, chunkId: chunkIds[i]!, ordinal: i }, piece),
    aadVersion: CHUNK_AAD_VERSION,
    embedding: embeddings[i]!,
  }));
  return { chunkIds, chunks };
}
