/** What the service answered when a request failed: its stable `code`, `detail` and request id. */
export class EngramError extends Error {
  override readonly name = 'EngramError';
  constructor(
    /** HTTP status; 0 when no response arrived (network error, timeout, abort). */
    readonly status: number,
    /** The service's stable error code (`VALIDATION_FAILED`, `CROSS_TENANT`, …), or `NETWORK_ERROR` / `TIMEOUT` / `ABORTED`. */
    readonly code: string,
    readonly detail: string,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail}`, options);
  }
}
