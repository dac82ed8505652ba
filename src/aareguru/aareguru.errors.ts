/** Typed errors of the upstream module; the MCP and HTTP layers turn them into user messages. */

export class UnknownCityError extends Error {
  constructor(
    readonly city: string,
    readonly validCities: readonly string[],
  ) {
    super(`Unknown city "${city}". Valid city ids: ${validCities.join(', ')}.`);
    this.name = 'UnknownCityError';
  }
}

export type UpstreamFailureKind =
  /** No answer within the per-attempt timeout or the operation deadline. */
  | 'timeout'
  /** Connection refused, reset, DNS failure… */
  | 'network'
  /** A non-2xx status. */
  | 'http'
  /** The body is not JSON. */
  | 'malformed'
  /** JSON, but not the shape the contract describes. */
  | 'shape'
  /** The circuit breaker is open after repeated failures; no request was sent. */
  | 'circuit_open'
  /** Every upstream connection stayed in use and the wait for one ran out; no request was sent. */
  | 'busy';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    readonly endpoint: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }

  /** Worth another attempt: network trouble, a timeout, 5xx or 429 — nothing else. */
  get retryable(): boolean {
    if (this.kind === 'network' || this.kind === 'timeout') return true;
    return (
      this.kind === 'http' &&
      this.status !== undefined &&
      (this.status >= 500 || this.status === 429)
    );
  }
}

/**
 * The caller asked for more distinct uncached data this minute than its budget allows; nothing
 * was sent upstream. Not an upstream failure: the circuit breaker never sees it.
 */
export class MissBudgetExceededError extends Error {
  constructor(
    readonly caller: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`too many uncached requests from this key, retry in ${retryAfterSeconds} s`);
    this.name = 'MissBudgetExceededError';
  }
}
