/** What the service answered when a request failed: its stable `code`, `detail` and request id. */
export class EngramError extends Error {
  override readonly name = 'EngramError';
  /** For 409 DUPLICATE_MEMORY: the memory that already holds the text. */
  readonly memoryId?: string;
  constructor(
    /** HTTP status; 0 when no response arrived (network error, timeout, abort). */
    readonly status: number,
    /** The service's stable error code (`VALIDATION_FAILED`, `CROSS_TENANT`, …), or `NETWORK_ERROR` / `TIMEOUT` / `ABORTED`. */
    readonly code: string,
    readonly detail: string,
    readonly requestId?: string,
    options?: { cause?: unknown; memoryId?: string },
  ) {
    super(`${code}: ${detail}`, options);
    if (options?.memoryId !== undefined) this.memoryId = options.memoryId;
  }
}
