import { open, seal } from '../crypto/envelope.js';

/**
 * Sealing and opening chunk texts: the one place that knows the chunk AAD. The AAD binds a chunk
 * to its tenant, its memory, its own id and its position in the memory, so a chunk ciphertext
 * moved to another memory (even of the same user) or to another position fails to open with
 * DECRYPT_FAILED. Rows stored with the older AAD (tenant and chunk id only, `aad_version` 1) are
 * re-sealed by chunk-reseal.ts; they never open here.
 */
export interface ChunkRef {
  userHash: string;
  memoryId: string;
  chunkId: string;
  ordinal: number;
}

/** Written to memory_chunks.aad_version with every chunk sealed by sealChunk. */
export const CHUNK_AAD_VERSION = 2;

function chunkAad({ userHash, memoryId, chunkId, ordinal }: ChunkRef): Buffer {
  if (!Number.isInteger(ordinal) || ordinal < 0) throw new Error('chunk ordinal must be a non-negative integer');
  return Buffer.from(`engram:v2|memory_chunks.text|${userHash}|${memoryId}|${chunkId}|${ordinal}`, 'utf8');
}

export function sealChunk(dek: Buffer, ref: ChunkRef, text: string): Buffer {
  return seal(dek, text, chunkAad(ref));
}

/** The chunk's text; DECRYPT_FAILED when the ciphertext is not the one sealed for exactly this ref. */
export function openChunk(dek: Buffer, ref: ChunkRef, ciphertext: Uint8Array): string {
  return open(dek, ciphertext, chunkAad(ref)).toString('utf8');
}
