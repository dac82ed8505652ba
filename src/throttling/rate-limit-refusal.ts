import type { ServerResponse } from 'node:http';

/** The standard headers on a 429: when to retry, and the limit that was hit. */
export function setRateLimitHeaders(
  res: ServerResponse,
  limit: number,
  retryAfterSeconds: number,
): void {
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  res.setHeader('Retry-After', retryAfter);
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', '0');
  res.setHeader('RateLimit-Reset', retryAfter);
}

export const RATE_LIMIT_MESSAGE = 'Too Many Requests: rate limit exceeded, retry later';
