import {
  MissBudgetExceededError,
  UnknownCityError,
  UpstreamError,
} from '../aareguru/aareguru.errors';
import { HistoryRangeError } from '../domain/history-dates';

export type FailureKind =
  | 'invalid_input'
  | 'unknown_city'
  | 'invalid_range'
  | 'upstream'
  | 'upstream_busy'
  | 'key_budget'
  | 'internal';

/**
 * How a call ended, as the metrics count it: whose doing a failure was. `client_error`: the
 * caller asked for something that cannot be answered (bad arguments, an unknown city, a range
 * out of bounds, its own budget of uncached requests used up); `upstream_error`: the Aareguru API
 * failed or was busy and nothing was cached; `internal_error`: a fault of this server.
 */
export type MetricOutcome =
  'ok' | 'cancelled' | 'client_error' | 'upstream_error' | 'internal_error';

const OUTCOME_OF_FAILURE: Readonly<Record<FailureKind, MetricOutcome>> = {
  invalid_input: 'client_error',
  unknown_city: 'client_error',
  invalid_range: 'client_error',
  key_budget: 'client_error',
  upstream: 'upstream_error',
  upstream_busy: 'upstream_error',
  internal: 'internal_error',
};

/** The metric outcome of a failure kind. */
export function outcomeOfFailure(kind: FailureKind): MetricOutcome {
  return OUTCOME_OF_FAILURE[kind];
}

/**
 * The failure behind an error a resource or prompt handler threw: they turn the domain error
 * into a protocol error for the client and keep the original as its `cause`.
 */
export function failureKindOf(error: unknown): FailureKind {
  const kind = describeFailure(error).kind;
  if (kind !== 'internal' || !(error instanceof Error) || error.cause === undefined) return kind;
  return describeFailure(error.cause).kind;
}

export interface DescribedFailure {
  kind: FailureKind;
  /** Safe to show a person: never a stack trace or an internal detail. */
  message: string;
}

const UPSTREAM_REASONS: Record<UpstreamError['kind'], string> = {
  timeout: 'it did not answer in time',
  network: 'it could not be reached',
  http: 'it answered with an error',
  malformed: 'it sent an unreadable answer',
  shape: 'it sent an answer in an unexpected format',
  circuit_open: 'it failed several times in a row, so requests are paused briefly',
  busy: 'every connection to it is in use',
};

/** The one place that turns an error into words for an MCP client. */
export function describeFailure(error: unknown): DescribedFailure {
  if (error instanceof UnknownCityError) {
    return { kind: 'unknown_city', message: `${error.message} Use list_cities to see every city.` };
  }
  if (error instanceof HistoryRangeError) {
    return { kind: 'invalid_range', message: error.message };
  }
  if (error instanceof MissBudgetExceededError) {
    return {
      kind: 'key_budget',
      message:
        `Too many uncached requests from this key: retry in ${error.retryAfterSeconds} s. ` +
        'Answers already cached (recent cities and ranges) are still served.',
    };
  }
  if (error instanceof UpstreamError && error.kind === 'busy') {
    return {
      kind: 'upstream_busy',
      message: 'The Aare service is busy, try again in a moment.',
    };
  }
  if (error instanceof UpstreamError) {
    return {
      kind: 'upstream',
      message:
        `The Aareguru API is unavailable right now (${UPSTREAM_REASONS[error.kind]}) and no ` +
        'earlier answer is cached. Please try again in a minute.',
    };
  }
  return {
    kind: 'internal',
    message: 'Something went wrong while answering. The error has been logged; please try again.',
  };
}
