import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DataKeys, type WrappedKeyStore } from '../../src/crypto/data-keys.js';
import { fieldAad, open, seal } from '../../src/crypto/envelope.js';
import { createUserHasher } from '../../src/crypto/user-hash.js';
import { AppError } from '../../src/errors/app-error.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function expectDecryptFailed(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('DECRYPT_FAILED');
    expect((err as AppError).statusCode).toBe(500);
    return;
  }
  throw new Error('expected DECRYPT_FAILED');
}

/** An in-memory key store, to exercise DataKeys without a database. */
function memoryStore(): WrappedKeyStore<null> & { rows: Map<string, { kekVersion: number; wrapped: Uint8Array }> } {
  const rows = new Map<string, { kekVersion: number; wrapped: Uint8Array }>();
  return {
    rows,
    async find(_tx, userHash, _forWrite) {
      return rows.get(userHash);
    },
    async insert(_tx, userHash, kekVersion, wrapped) {
      if (!rows.has(userHash)) rows.set(userHash, { kekVersion, wrapped });
      return rows.get(userHash)!;
    },
  };
}

describe('envelope', () => {
  const key = randomBytes(32);

  it('round-trips and uses a fresh IV every time', () => {
    const aad = fieldAad(A, 'memories', 'row-1', 'text');
    const one = seal(key, 'hello', aad);
    const two = seal(key, 'hello', aad);
    expect(one.equals(two)).toBe(false);
    expect(open(key, one, aad).toString()).toBe('hello');
    expect(one.includes(Buffer.from('hello'))).toBe(false);
  });

  it('refuses another tenant, another row, another column, another key', () => {
    const sealed = seal(key, 'secret', fieldAad(A, 'memories', 'row-1', 'text'));
    expectDecryptFailed(() => open(key, sealed, fieldAad(B, 'memories', 'row-1', 'text')));
    expectDecryptFailed(() => open(key, sealed, fieldAad(A, 'memories', 'row-2', 'text')));
    expectDecryptFailed(() => open(key, sealed, fieldAad(A, 'memory_chunks', 'row-1', 'text')));
    expectDecryptFailed(() => open(randomBytes(32), sealed, fieldAad(A, 'memories', 'row-1', 'text')));
  });

  it('refuses every single flipped bit position class and truncation', () => {
    const aad = fieldAad(A, 'memories', 'r', 'text');
    const sealed = seal(key, 'some longer plaintext here', aad);
    for (let i = 0; i < sealed.length; i++) {
      const altered = Buffer.from(sealed);
      altered[i] = altered[i]! ^ 0x80;
      expectDecryptFailed(() => open(key, altered, aad));
    }
    expectDecryptFailed(() => open(key, sealed.subarray(0, 28), aad));
    expectDecryptFailed(() => open(key, Buffer.alloc(0), aad));
  });
});

describe('data keys', () => {
  const kek = { activeVersion: 1, keys: new Map([[1, randomBytes(32)]]) };

  it('creates one key per tenant, reuses it, and keeps it wrapped at rest', async () => {
    const store = memoryStore();
    const keys = new DataKeys(kek, store);
    const a1 = await keys.getOrCreate(null, A);
    const a2 = await new DataKeys(kek, store).getOrCreate(null, A); // a fresh cache, same store
    const b = await keys.getOrCreate(null, B);
    expect(a1.equals(a2)).toBe(true);
    expect(a1.equals(b)).toBe(false);
    expect(Buffer.from(store.rows.get(A)!.wrapped).includes(a1)).toBe(false);
  });

  it('a wrapped key moved to another tenant does not unwrap', async () => {
    const store = memoryStore();
    const keys = new DataKeys(kek, store);
    await keys.getOrCreate(null, A);
    store.rows.set(B, store.rows.get(A)!);
    await expect(new DataKeys(kek, store).find(null, B)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('rotating the KEK: new keys wrap under the newest version, old keys still unwrap', async () => {
    const store = memoryStore();
    await new DataKeys(kek, store).getOrCreate(null, A);
    const rotated = { activeVersion: 2, keys: new Map([...kek.keys, [2, randomBytes(32)]]) };
    const keys = new DataKeys(rotated, store);
    expect(await keys.find(null, A)).toBeInstanceOf(Buffer);
    await keys.getOrCreate(null, B);
    expect(store.rows.get(B)!.kekVersion).toBe(2);
    // A key claiming the wrong KEK version fails instead of opening.
    store.rows.set(A, { ...store.rows.get(A)!, kekVersion: 2 });
    await expect(new DataKeys(rotated, store).find(null, A)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('a destroyed key is gone at once, even for an instance that unwrapped it before', async () => {
    const store = memoryStore();
    const keys = new DataKeys(kek, store);
    const before = await keys.getOrCreate(null, A);
    store.rows.delete(A); // another node erased the user
    expect(await keys.find(null, A)).toBeUndefined();
    const after = await keys.getOrCreate(null, A);
    expect(after.equals(before)).toBe(false);
  });
});

describe('user hash', () => {
  it('is a keyed HMAC: stable per key, different across keys, never the raw id', () => {
    const h1 = createUserHasher(randomBytes(32));
    const h2 = createUserHasher(randomBytes(32));
    expect(h1('alice')).toBe(h1('alice'));
    expect(h1('alice')).not.toBe(h2('alice'));
    expect(h1('alice')).toMatch(/^[0-9a-f]{64}$/);
    expect(h1('alice')).not.toContain('alice');
  });
});
