import { remainingCacheHint } from './cache-hints';

describe('remainingCacheHint', () => {
  it('gives a fresh answer the whole TTL, and an older one what is left of it', () => {
    expect(remainingCacheHint({ stale: false, ageSeconds: 0 }, 120)).toEqual({
      ttlMs: 120_000,
      cacheScope: 'public',
    });
    expect(remainingCacheHint({ stale: false, ageSeconds: 100 }, 120).ttlMs).toBe(20_000);
    expect(remainingCacheHint({ stale: false, ageSeconds: 119.5 }, 120).ttlMs).toBe(500);
  });

  it('says not to keep an answer past its TTL or served stale', () => {
    expect(remainingCacheHint({ stale: false, ageSeconds: 300 }, 120).ttlMs).toBe(0);
    expect(remainingCacheHint({ stale: true, ageSeconds: 3 }, 120).ttlMs).toBe(0);
  });
});
