import type { ServerResponse } from 'node:http';
import type { ThrottlerStorageRecord } from './ordered-throttler-storage';

/**
 * Rate-limit headers in the form of draft-ietf-httpapi-ratelimit-headers-10: `RateLimit-Policy`
 * names each limit with its quota and window, `RateLimit` says what is left of it and in how many
 * seconds its current fixed window ends, both as Structured Field lists (RFC 9651) of one item per
 * limit, e.g.
 * `RateLimit-Policy: "minute";q=100;w=60` and `RateLimit: "minute";r=0;t=17`. No
 * `X-RateLimit-*` or per-limit `Retry-After-<name>` headers: clients know neither.
 */
export interface RateLimitPolicy {
  /** A Structured Field string: letters, digits and `-` here. */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitState {
  name: string;
  remaining: number;
  /**
   * Seconds until the current fixed window ends (on a refusal, until the block ends). Not when the
   * whole quota is back: the sliding window still counts part of the ending window after it.
   */
  resetSeconds: number;
}

/** A limit's state after a request was counted: nothing left while blocked, and until when. */
export function stateOf(
  name: string,
  limit: number,
  record: ThrottlerStorageRecord,
): RateLimitState {
  return record.isBlocked
    ? { name, remaining: 0, resetSeconds: record.timeToBlockExpire }
    : { name, remaining: limit - record.totalHits, resetSeconds: record.timeToExpire };
}

export const RATE_LIMIT_POLICY_HEADER = 'RateLimit-Policy';
export const RATE_LIMIT_HEADER = 'RateLimit';

export function policyItem({ name, limit, windowSeconds }: RateLimitPolicy): string {
  return `"${name}";q=${whole(limit)};w=${whole(windowSeconds)}`;
}

export function stateItem({ name, remaining, resetSeconds }: RateLimitState): string {
  return `"${name}";r=${whole(remaining)};t=${whole(resetSeconds)}`;
}

/** Seconds as `Retry-After` and `t=` carry them: a whole number, at least 1 on a refusal. */
export function retryAfterSeconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}

/**
 * Adds the items to both list headers, after any a guard before set on this response (the
 * session-open limit comes after the request limits).
 */
export function addRateLimitHeaders(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  policies: RateLimitPolicy[],
  states: RateLimitState[],
): void {
  appendListItems(res, RATE_LIMIT_POLICY_HEADER, policies.map(policyItem));
  appendListItems(res, RATE_LIMIT_HEADER, states.map(stateItem));
}

/** A refusal: the list headers for the limit that was hit, and when to retry. */
export function setRefusalHeaders(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  policy: RateLimitPolicy,
  retryAfter: number,
): void {
  res.setHeader('Retry-After', String(retryAfterSeconds(retryAfter)));
  const counted = listItems(res.getHeader(RATE_LIMIT_HEADER));
  // The refused limit may already be listed (by the guard that counted it): its state now is r=0.
  const others = counted.filter((item) => !item.startsWith(`"${policy.name}";`));
  const policies = listItems(res.getHeader(RATE_LIMIT_POLICY_HEADER));
  if (!policies.some((item) => item.startsWith(`"${policy.name}";`))) {
    res.setHeader(RATE_LIMIT_POLICY_HEADER, [...policies, policyItem(policy)].join(', '));
  }
  res.setHeader(
    RATE_LIMIT_HEADER,
    [
      ...others,
      stateItem({
        name: policy.name,
        remaining: 0,
        resetSeconds: retryAfterSeconds(retryAfter),
      }),
    ].join(', '),
  );
}

/**
 * The refusal's message, which clients show: the MCP SDK's transports put the response body in
 * the error they raise, so it says which limit was hit and when to retry.
 */
export function rateLimitMessage(policy: RateLimitPolicy, retryAfter: number): string {
  return `Too Many Requests: rate limit of ${policy.limit} ${windowText(policy)} exceeded; retry in ${retryAfterSeconds(retryAfter)} s`;
}

function windowText({ name, windowSeconds }: RateLimitPolicy): string {
  const per =
    windowSeconds === 60 ? 'minute' : windowSeconds === 3600 ? 'hour' : `${windowSeconds} s`;
  return name === 'session-open' ? `new sessions per ${per}` : `requests per ${per}`;
}

function appendListItems(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  name: string,
  items: string[],
): void {
  if (items.length === 0) return;
  res.setHeader(name, [...listItems(res.getHeader(name)), ...items].join(', '));
}

function listItems(value: ReturnType<ServerResponse['getHeader']>): string[] {
  if (value === undefined) return [];
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function whole(value: number): number {
  return Math.max(0, Math.ceil(value));
}
