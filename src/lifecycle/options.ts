/** The deployment's lifecycle settings the write path applies (config `expiry` and `dedup`). */
export interface LifecycleOptions {
  /** Lifetime of a memory indexed without expires_at / ttl_seconds; undefined: never expires. */
  defaultTtlSeconds?: number;
  /** Deduplicate on write (default true); a request's `dedup: false` still stores a copy. */
  dedup?: boolean;
}
