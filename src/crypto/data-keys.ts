import { LRUCache } from 'lru-cache';
import { dataKeyAad, newDataKey, open, seal } from './envelope.js';

/** Where wrapped data keys live (store/key-repository.ts); calls run inside the tenant's transaction. */
export interface WrappedKeyStore<Tx> {
  find(tx: Tx, userHash: string): Promise<{ kekVersion: number; wrapped: Uint8Array } | undefined>;
  /** Inserts unless a key exists already (a concurrent first write); returns the stored one. */
  insert(tx: Tx, userHash: string, kekVersion: number, wrapped: Buffer): Promise<{ kekVersion: number; wrapped: Uint8Array }>;
}

export interface KeyEncryptionKeys {
  activeVersion: number;
  keys: ReadonlyMap<number, Buffer>;
}

/**
 * Envelope encryption: one data key (DEK) per tenant, wrapped by a versioned key-encryption key
 * (KEK). Unwrapped DEKs are cached briefly so a hot tenant does not pay an unwrap per request;
 * erase() evicts, and the TTL bounds how long another node may keep a destroyed key in memory.
 */
export class DataKeys<Tx> {
  private readonly cache: LRUCache<string, Buffer>;

  constructor(
    private readonly kek: KeyEncryptionKeys,
    private readonly store: WrappedKeyStore<Tx>,
    cache: { max?: number; ttlMs?: number } = {},
  ) {
    this.cache = new LRUCache({ max: cache.max ?? 10_000, ttl: cache.ttlMs ?? 60_000 });
  }

  /** The tenant's DEK, or undefined when it has none (never wrote, or was erased). */
  async find(tx: Tx, userHash: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(userHash);
    if (cached) return cached;
    const row = await this.store.find(tx, userHash);
    return row ? this.remember(userHash, this.unwrap(userHash, row)) : undefined;
  }

  async getOrCreate(tx: Tx, userHash: string): Promise<Buffer> {
    const existing = await this.find(tx, userHash);
    if (existing) return existing;
    const dek = newDataKey();
    const version = this.kek.activeVersion;
    const stored = await this.store.insert(tx, userHash, version, this.wrap(userHash, dek, version));
    return this.remember(userHash, this.unwrap(userHash, stored));
  }

  forget(userHash: string): void {
    this.cache.delete(userHash);
  }

  wrap(userHash: string, dek: Buffer, kekVersion: number): Buffer {
    return seal(this.kekFor(kekVersion), dek, dataKeyAad(userHash, kekVersion));
  }

  unwrap(userHash: string, row: { kekVersion: number; wrapped: Uint8Array }): Buffer {
    return open(this.kekFor(row.kekVersion), row.wrapped, dataKeyAad(userHash, row.kekVersion));
  }

  private kekFor(version: number): Buffer {
    const key = this.kek.keys.get(version);
    if (!key) throw new Error(`key-encryption key version ${version} is not configured (ENGRAM_KEK)`);
    return key;
  }

  private remember(userHash: string, dek: Buffer): Buffer {
    this.cache.set(userHash, dek);
    return dek;
  }
}
