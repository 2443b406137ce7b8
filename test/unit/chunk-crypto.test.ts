import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fieldAad, seal } from '../../src/crypto/envelope.js';
import { AppError } from '../../src/errors/app-error.js';
import { openChunk, sealChunk, type ChunkRef } from '../../src/memory/chunk-crypto.js';

const ref: ChunkRef = { userHash: 'a'.repeat(64), memoryId: 'm-1', chunkId: 'c-1', ordinal: 3 };

const decryptFailed = (fn: () => unknown) => {
  expect(fn).toThrow(AppError);
  try {
    fn();
  } catch (err) {
    expect((err as AppError).code).toBe('DECRYPT_FAILED');
  }
};

describe('sealChunk / openChunk', () => {
  const dek = randomBytes(32);
  const sealed = sealChunk(dek, ref, 'a chunk of text 👨‍👩‍👧');

  it('opens for exactly the ref it was sealed for', () => {
    expect(openChunk(dek, ref, sealed)).toBe('a chunk of text 👨‍👩‍👧');
  });

  it('fails for another tenant, memory, chunk id, position or key', () => {
    decryptFailed(() => openChunk(dek, { ...ref, userHash: 'b'.repeat(64) }, sealed));
    decryptFailed(() => openChunk(dek, { ...ref, memoryId: 'm-2' }, sealed));
    decryptFailed(() => openChunk(dek, { ...ref, chunkId: 'c-2' }, sealed));
    decryptFailed(() => openChunk(dek, { ...ref, ordinal: 4 }, sealed));
    decryptFailed(() => openChunk(randomBytes(32), ref, sealed));
  });

  it('never opens a chunk sealed with the version-1 AAD (tenant and chunk id only)', () => {
    const legacy = seal(dek, 'old', fieldAad(ref.userHash, 'memory_chunks', ref.chunkId, 'text'));
    decryptFailed(() => openChunk(dek, ref, legacy));
  });
});
