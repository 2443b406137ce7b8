/** Contract limits, shared by the HTTP schemas and the domain (which the CLI calls directly). */
export const Limits = {
  textBytes: 50 * 1024,
  metadataBytes: 10 * 1024,
  metadataDepth: 5,
  queryChars: 2000,
  kMax: 100,
  kDefault: 10,
  pageMax: 200,
  pageDefault: 50,
  /** ttl_seconds: at most ten years. */
  ttlSecondsMax: 10 * 365 * 24 * 3600,
  /** The request body may hold a full text, metadata and JSON escaping overhead; more is refused early. */
  bodyBytes: 256 * 1024,
  /** Items in one POST /index/batch. */
  batchItems: 100,
  /** The batch route's body limit: room for 100 items of typical size (large texts: send fewer per batch). */
  batchBodyBytes: 8 * 1024 * 1024,
  /** Created/updated dates an import brings may lie this far in the future (clock skew), no further. */
  importClockSkewMs: 5 * 60 * 1000,
} as const;

export const Patterns = {
  userId: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$',
  source: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$',
  metadataKey: '^[A-Za-z0-9_.:-]{1,64}$',
} as const;
