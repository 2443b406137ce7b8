import { LRUCache } from 'lru-cache';
import { dataKeyAad, newDataKey, open, seal } from './envelope.js';

export interface WrappedKey {
  kekVersion: number;
  wrapped: Uint8Array;
}

/** Where wrapped data keys live (store/key-repository.ts); calls run inside the tenant's transaction. */
export interface WrappedKeyStore<Tx> {
  /** `forWrite` locks the tenant against a concurrent erase until the transaction ends. */
  find(tx: Tx, userHash: string, forWrite: boolean): Promise<WrappedKey | undefined>;
  /** Inserts unless a key exists already (a concurrent first write); returns the stored one. */
  insert(tx: Tx, userHash: string, kekVersion: number, wrapped: Buffer): Promise<WrappedKey>;
}

export interface KeyEncryptionKeys {
  activeVersion: number;
  keys: ReadonlyMap<number, Buffer>;
}

/**
 * Envelope encryption: one data key (DEK) per tenant, wrapped by a versioned key-encryption key
 * (KEK). The wrapped key is read from the database on every use, so a destroyed key (erase) is
 * gone for every node at once; only the unwrap is cached, keyed by the wrapped bytes themselves.
 */
export class DataKeys<Tx> {
  private readonly unwrapped = new LRUCache<string, Buffer>({ max: 10_000, ttl: 10 * 60_000 });

  constructor(
    private readonly kek: KeyEncryptionKeys,
    private readonly store: WrappedKeyStore<Tx>,
  ) {}

  /** The tenant's DEK for reading, or undefined when it has none (never wrote, or was erased). */
  async find(tx: Tx, userHash: string): Promise<Buffer | undefined> {
    const row = await this.store.find(tx, userHash, false);
    return row ? this.unwrap(userHash, row) : undefined;
  }

  /**
   * The tenant's DEK for writing, created on first use. The tenant stays locked against an erase
   * until the transaction ends, so an erase cannot destroy the key while rows are being sealed
   * with it, nor miss a first write whose new key is not committed yet.
   */
  async getOrCreate(tx: Tx, userHash: string): Promise<Buffer> {
    const row = await this.store.find(tx, userHash, true);
    if (row) return this.unwrap(userHash, row);
    const version = this.kek.activeVersion;
    const stored = await this.store.insert(tx, userHash, version, this.wrap(userHash, newDataKey(), version));
    return this.unwrap(userHash, stored);
  }

  wrap(userHash: string, dek: Buffer, kekVersion: number): Buffer {
    return seal(this.kekFor(kekVersion), dek, dataKeyAad(userHash, kekVersion));
  }

  unwrap(userHash: string, row: WrappedKey): Buffer {
    const cacheKey = `${userHash}:${row.kekVersion}:${Buffer.from(row.wrapped).toString('base64')}`;
    const cached = this.unwrapped.get(cacheKey);
    if (cached) return cached;
    const dek = open(this.kekFor(row.kekVersion), row.wrapped, dataKeyAad(userHash, row.kekVersion));
    this.unwrapped.set(cacheKey, dek);
    return dek;
  }

  private kekFor(version: number): Buffer {
    const key = this.kek.keys.get(version);
    if (!key) throw new Error(`key-encryption key version ${version} is not configured (ENGRAM_KEK)`);
    return key;
  }
}
