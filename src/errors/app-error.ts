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
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited: 'RATE_LIMITED',
  DecryptFailed: 'DECRYPT_FAILED',
  NotReady: 'NOT_READY',
  AuthUnavailable: 'AUTH_UNAVAILABLE',
  EmbeddingFailed: 'EMBEDDING_FAILED',
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
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  DECRYPT_FAILED: 500,
  NOT_READY: 503,
  AUTH_UNAVAILABLE: 503,
  EMBEDDING_FAILED: 502,
  INTERNAL: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Safe to show a client. For 5xx it is generic by construction; the cause is only logged. */
  readonly detail: string;
  /** Sent as `Retry-After` (seconds) when set: the client may try again then. */
  readonly retryAfterSec?: number;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown; retryAfterSec?: number }) {
    super(detail, options);
    this.detail = detail;
    if (options?.retryAfterSec !== undefined) this.retryAfterSec = options.retryAfterSec;
    this.name = 'AppError';
    this.code = code;
    this.statusCode = STATUS[code];
  }
}

/** Factories, so call sites read as what happened rather than which status it maps to. */
export const Errors = {
  validation: (detail: string) => new AppError(ErrorCode.ValidationFailed, detail),
  unauthenticated: (detail = 'a valid bearer token is required') => new AppError(ErrorCode.Unauthenticated, detail),
  forbidden: (detail: string) => new AppError(ErrorCode.Forbidden, detail),
  crossTenant: () =>
    new AppError(ErrorCode.CrossTenant, 'the token may not act for this user_id (needs the memory:relay scope)'),
  notFound: (what: string) => new AppError(ErrorCode.NotFound, `${what} not found`),
  payloadTooLarge: (detail: string) => new AppError(ErrorCode.PayloadTooLarge, detail),
  decryptFailed: (cause?: unknown) =>
    new AppError(ErrorCode.DecryptFailed, 'stored data failed its integrity check and cannot be decrypted', { cause }),
  notReady: (detail: string) => new AppError(ErrorCode.NotReady, detail),
  /** The identity provider's signing keys (JWKS) cannot be fetched: not the client's fault, retry later. */
  authUnavailable: (cause?: unknown) =>
    new AppError(ErrorCode.AuthUnavailable, 'token signing keys are temporarily unavailable', { cause, retryAfterSec: 30 }),
  embeddingFailed: (cause?: unknown) =>
    new AppError(ErrorCode.EmbeddingFailed, 'the embedding provider failed', { cause }),
} as const;

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
