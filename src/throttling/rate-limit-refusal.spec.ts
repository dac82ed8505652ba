import {
  addRateLimitHeaders,
  policyItem,
  rateLimitMessage,
  retryAfterSeconds,
  setRefusalHeaders,
  stateItem,
} from './rate-limit-refusal';

/** A response that keeps its headers as Node's does, enough for these functions. */
function response() {
  const headers = new Map<string, string>();
  return {
    headers,
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    setHeader(name: string, value: string) {
      headers.set(name.toLowerCase(), value);
      return this;
    },
  };
}

const minute = { name: 'minute', limit: 100, windowSeconds: 60 };
const hour = { name: 'hour', limit: 1000, windowSeconds: 3600 };

describe('rate-limit headers (draft-ietf-httpapi-ratelimit-headers-10)', () => {
  it('writes a policy as a Structured Field item: name, quota, window', () => {
    expect(policyItem(minute)).toBe('"minute";q=100;w=60');
  });

  it('writes a state as remaining quota and seconds to reset, whole and never negative', () => {
    expect(stateItem({ name: 'minute', remaining: 42, resetSeconds: 16.2 })).toBe(
      '"minute";r=42;t=17',
    );
    expect(stateItem({ name: 'hour', remaining: -3, resetSeconds: -1 })).toBe('"hour";r=0;t=0');
  });

  it('lists every limit in one header each, after what an earlier guard listed', () => {
    const res = response();
    addRateLimitHeaders(
      res as never,
      [minute, hour],
      [
        { name: 'minute', remaining: 99, resetSeconds: 60 },
        { name: 'hour', remaining: 999, resetSeconds: 3600 },
      ],
    );
    addRateLimitHeaders(
      res as never,
      [{ name: 'session-open', limit: 30, windowSeconds: 60 }],
      [{ name: 'session-open', remaining: 29, resetSeconds: 60 }],
    );
    expect(Object.fromEntries(res.headers)).toEqual({
      'ratelimit-policy': '"minute";q=100;w=60, "hour";q=1000;w=3600, "session-open";q=30;w=60',
      ratelimit: '"minute";r=99;t=60, "hour";r=999;t=3600, "session-open";r=29;t=60',
    });
  });

  it('on a refusal, states the refused limit as used up until Retry-After', () => {
    const res = response();
    addRateLimitHeaders(
      res as never,
      [minute, hour],
      [
        { name: 'minute', remaining: 10, resetSeconds: 30 },
        { name: 'hour', remaining: 0, resetSeconds: 1200 },
      ],
    );
    setRefusalHeaders(res as never, hour, 1199.2);
    expect(Object.fromEntries(res.headers)).toEqual({
      'ratelimit-policy': '"minute";q=100;w=60, "hour";q=1000;w=3600',
      ratelimit: '"minute";r=10;t=30, "hour";r=0;t=1200',
      'retry-after': '1200',
    });
  });

  it('adds the policy of a limit no earlier guard listed', () => {
    const res = response();
    setRefusalHeaders(res as never, { name: 'session-open', limit: 30, windowSeconds: 60 }, 0.2);
    expect(Object.fromEntries(res.headers)).toEqual({
      'ratelimit-policy': '"session-open";q=30;w=60',
      ratelimit: '"session-open";r=0;t=1',
      'retry-after': '1',
    });
  });

  it('names the limit and the wait in the refusal message', () => {
    expect(rateLimitMessage(minute, 16.1)).toBe(
      'Too Many Requests: rate limit of 100 requests per minute exceeded; retry in 17 s',
    );
    expect(rateLimitMessage(hour, 0)).toBe(
      'Too Many Requests: rate limit of 1000 requests per hour exceeded; retry in 1 s',
    );
    expect(rateLimitMessage({ name: 'session-open', limit: 30, windowSeconds: 60 }, 5)).toBe(
      'Too Many Requests: rate limit of 30 new sessions per minute exceeded; retry in 5 s',
    );
    expect(retryAfterSeconds(0)).toBe(1);
  });
});
