/**
 * Typed errors with stable codes. Every error the service means to show a client is an AppError;
 * anything else is rendered as INTERNAL with its details hidden (see http/error-handler.ts).
 */
export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  CrossTenant: 'CROSS_TENANT',
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  NotSupported: 'NOT_SUPPORTED',
  DuplicateMemory: 'DUPLICATE_MEMORY',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited: 'RATE_LIMITED',
  DecryptFailed: 'DECRYPT_FAILED',
  NotReady: 'NOT_READY',
  AuthUnavailable: 'AUTH_UNAVAILABLE',
  EmbeddingFailed: 'EMBEDDING_FAILED',
  DatabaseUnavailable: 'DATABASE_UNAVAILABLE',
  Overloaded: 'OVERLOADED',
  EmbeddingTimeout: 'EMBEDDING_TIMEOUT',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CROSS_TENANT: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_SUPPORTED: 400,
  DUPLICATE_MEMORY: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  DECRYPT_FAILED: 500,
  NOT_READY: 503,
  AUTH_UNAVAILABLE: 503,
  EMBEDDING_FAILED: 502,
  DATABASE_UNAVAILABLE: 503,
  OVERLOADED: 503,
  EMBEDDING_TIMEOUT: 504,
  INTERNAL: 500,
};

/** What a transient 503/504 tells a client to wait before retrying (seconds). */
export const RETRY_AFTER_SECONDS = 2;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Safe to show a client. For 5xx it is generic by construction; the cause is only logged. */
  readonly detail: string;
  /** Seconds a client should wait before retrying; sent as `Retry-After` by the error handler. */
  readonly retryAfter: number | undefined;
  /** Extra fields of the error body a client can act on (e.g. the existing `memory_id` of a 409). */
  readonly fields: Readonly<Record<string, string>> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options?: { cause?: unknown; retryAfter?: number; fields?: Record<string, string> },
  ) {
    super(detail, options);
    this.detail = detail;
    this.name = 'AppError';
    this.code = code;
    this.statusCode = STATUS[code];
    this.retryAfter = options?.retryAfter;
    this.fields = options?.fields;
  }
}

/** Factories, so call sites read as what happened rather than which status it maps to. */
export const Errors = {
  validation: (detail: string) => new AppError(ErrorCode.ValidationFailed, detail),
  unauthenticated: (detail = 'a valid bearer token is required') => new AppError(ErrorCode.Unauthenticated, detail),
  forbidden: (detail: string) => new AppError(ErrorCode.Forbidden, detail),
  crossTenant: () =>
    new AppError(ErrorCode.CrossTenant, 'the token may not act for this user_id (needs the memory:relay scope)'),
  /** A feature of a compatible API (mem0's) that Engram does not offer; the detail names it. */
  notSupported: (detail: string) => new AppError(ErrorCode.NotSupported, detail),
  notFound: (what: string) => new AppError(ErrorCode.NotFound, `${what} not found`),
  /** The user already has a live memory with this text (an update would make two). */
  duplicateMemory: (existingId: string) =>
    new AppError(ErrorCode.DuplicateMemory, `the user already has this text as memory ${existingId}`, {
      fields: { memory_id: existingId },
    }),
  payloadTooLarge: (detail: string) => new AppError(ErrorCode.PayloadTooLarge, detail),
  decryptFailed: (cause?: unknown) =>
    new AppError(ErrorCode.DecryptFailed, 'stored data failed its integrity check and cannot be decrypted', { cause }),
  notReady: (detail: string, retryAfter?: number) => new AppError(ErrorCode.NotReady, detail, { retryAfter }),
  /** The database is down, restarting or unreachable, or did not answer in time: transient. */
  databaseUnavailable: (detail: string, cause?: unknown) =>
    new AppError(ErrorCode.DatabaseUnavailable, detail, { cause, retryAfter: RETRY_AFTER_SECONDS }),
  /** A bounded queue (the embedder's) is full: refused at once instead of waiting without bound. */
  overloaded: (detail: string, cause?: unknown) =>
    new AppError(ErrorCode.Overloaded, detail, { cause, retryAfter: RETRY_AFTER_SECONDS }),
  embeddingTimeout: (cause?: unknown) =>
    new AppError(ErrorCode.EmbeddingTimeout, 'the embedding provider did not answer in time', {
      cause,
      retryAfter: RETRY_AFTER_SECONDS,
    }),
  /** The identity provider's signing keys (JWKS) cannot be fetched: not the client's fault, retry later. */
  authUnavailable: (cause?: unknown) =>
    new AppError(ErrorCode.AuthUnavailable, 'token signing keys are temporarily unavailable', { cause, retryAfter: 30 }),
  embeddingFailed: (cause?: unknown) =>
    new AppError(ErrorCode.EmbeddingFailed, 'the embedding provider failed', { cause }),
} as const;

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
