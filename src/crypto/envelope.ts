import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Errors } from '../errors/app-error.js';

/**
 * AES-256-GCM with a random 96-bit IV. Layout of a sealed blob:
 *   [1 byte format version][12 bytes IV][16 bytes tag][ciphertext]
 * The AAD is not stored: the caller rebuilds it from where the blob lives (tenant and row), which
 * is what makes a blob copied to another tenant or row fail to open.
 */
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

export function seal(key: Buffer, plaintext: Buffer | string, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, cipher.getAuthTag(), body]);
}

/** Opens a sealed blob; any mismatch (key, AAD, a flipped byte, a truncated blob) is DECRYPT_FAILED. */
export function open(key: Buffer, sealed: Uint8Array, aad: Buffer): Buffer {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < HEADER_BYTES || blob[0] !== FORMAT_VERSION) throw Errors.decryptFailed();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(blob.subarray(1 + IV_BYTES, HEADER_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES)), decipher.final()]);
  } catch (err) {
    throw Errors.decryptFailed(err);
  }
}

/** AAD for a data field: binds it to its tenant, table, column and row. */
export function fieldAad(userHash: string, table: string, rowId: string, column: string): Buffer {
  return Buffer.from(`engram:v1|${table}.${column}|${userHash}|${rowId}`, 'utf8');
}

/** AAD for a wrapped data key: binds it to its tenant and to the KEK version that wrapped it. */
export function dataKeyAad(userHash: string, kekVersion: number): Buffer {
  return Buffer.from(`engram:v1|dek|${userHash}|kek:${kekVersion}`, 'utf8');
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}
