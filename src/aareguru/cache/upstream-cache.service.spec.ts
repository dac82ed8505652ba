import { ManualClock } from '../../../test/support/manual-clock';
import { Counter, Gauge } from 'prom-client';
import { SlidingWindowThrottlerStorage } from '../../throttling/sliding-window.storage';
import { MissBudgetExceededError } from '../aareguru.errors';
import {
  CACHE_BYTES,
  CACHE_ENTRIES,
  CACHE_EVENTS,
  CACHE_EVICTIONS,
  UPSTREAM_REFUSED,
} from '../aareguru.metrics';
import { runAsCaller } from '../upstream-caller';
import { LocalFillLock } from './fill-lock';
import { MemoryCacheStore } from './memory-cache.store';
import { MissBudget } from './miss-budget';
import { UpstreamCacheService } from './upstream-cache.service';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('UpstreamCacheService', () => {
  const config = {
    ttlSeconds: 120,
    maxEntries: 10,
    maxBytes: 1000,
    staleMaxSeconds: 3600,
    missesPerKeyPerMinute: 3,
  };
  let clock: ManualClock;
  let cache: UpstreamCacheService;
  let storage: SlidingWindowThrottlerStorage;
  let refused: Counter<'reason'>;

  beforeEach(() => {
    clock = new ManualClock();
    storage = new SlidingWindowThrottlerStorage(clock);
    refused = new Counter({ ...UPSTREAM_REFUSED, registers: [] });
    const metrics = {
      evictions: new Counter({ ...CACHE_EVICTIONS, registers: [] }),
      bytes: new Gauge({ ...CACHE_BYTES, registers: [] }),
      entries: new Gauge({ ...CACHE_ENTRIES, registers: [] }),
    };
    cache = new UpstreamCacheService(
      new MemoryCacheStore(config, clock, metrics),
      config,
      clock,
      new Counter({ ...CACHE_EVENTS, registers: [] }),
      new MissBudget(storage, config.missesPerKeyPerMinute),
      refused,
      new LocalFillLock(),
    );
  });

  afterEach(() => storage.onApplicationShutdown());

  describe('renew', () => {
    it('fetches even a fresh key and keeps the answer, charging no caller', async () => {
      await cache.getOrFetch('cities', () => Promise.resolve('old'));
      clock.advance(1000);
      const fetch = jest.fn(() => Promise.resolve('new'));
      // Inside a call (whose budget is spent) it is still the server's own work.
      for (const key of ['a', 'b', 'c']) {
        await runAsCaller('key-a', () => cache.getOrFetch(key, () => Promise.resolve(key)));
      }
      await runAsCaller('key-a', () => cache.renew('cities', fetch));
      expect(fetch).toHaveBeenCalledTimes(1);
      await expect(cache.getOrFetch('cities', () => Promise.resolve('other'))).resolves.toEqual({
        value: 'new',
        fetchedAt: clock.now(),
        stale: false,
        ageSeconds: 0,
      });
    });

    it('keeps the cached value when the fetch fails', async () => {
      await cache.getOrFetch('cities', () => Promise.resolve('old'));
      await expect(
        cache.renew('cities', () => Promise.reject(new Error('HTTP 500'))),
      ).rejects.toThrow('HTTP 500');
      await expect(
        cache.getOrFetch('cities', () => Promise.resolve('other')),
      ).resolves.toMatchObject({ value: 'old' });
    });
  });

  describe('per-caller miss budget', () => {
    const fetchValue = () => Promise.resolve('value');

    it('refuses a caller its fourth distinct miss in a minute, without calling upstream', async () => {
      const fetch = jest.fn(fetchValue);
      for (const key of ['a', 'b', 'c']) {
        await runAsCaller('key-a', () => cache.getOrFetch(key, fetch));
      }
      const refusal = runAsCaller('key-a', () => cache.getOrFetch('d', fetch));
      await expect(refusal).rejects.toBeInstanceOf(MissBudgetExceededError);
      await expect(refusal).rejects.toThrow(
        'too many uncached requests from this key, retry in 60 s',
      );
      expect(fetch).toHaveBeenCalledTimes(3);
      expect((await refused.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'key_budget' }, value: 1 }),
      ]);
    });

    it('charges neither cache hits nor joins of a fetch in flight', async () => {
      let finish!: (value: string) => void;
      const slow = jest.fn(() => new Promise<string>((resolve) => (finish = resolve)));
      const first = runAsCaller('key-a', () => cache.getOrFetch('a', slow));
      await new Promise((resolve) => setImmediate(resolve));
      const joins = Array.from({ length: 5 }, () =>
        runAsCaller('key-a', () => cache.getOrFetch('a', slow)),
      );
      finish('value');
      await Promise.all([first, ...joins]);
      for (let i = 0; i < 5; i += 1) await runAsCaller('key-a', () => cache.getOrFetch('a', slow));
      expect(slow).toHaveBeenCalledTimes(1);
      // Two misses left of three.
      await runAsCaller('key-a', () => cache.getOrFetch('b', fetchValue));
      await runAsCaller('key-a', () => cache.getOrFetch('c', fetchValue));
      await expect(runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue))).rejects.toThrow(
        MissBudgetExceededError,
      );
    });

    it('charges misses arriving together once: they join one fetch', async () => {
      const fetch = jest.fn(fetchValue);
      const together = await Promise.all(
        Array.from({ length: 5 }, () => runAsCaller('key-a', () => cache.getOrFetch('a', fetch))),
      );
      expect(together.map((cached) => cached.value)).toEqual(Array(5).fill('value'));
      expect(fetch).toHaveBeenCalledTimes(1);
      // Two misses left of three.
      await runAsCaller('key-a', () => cache.getOrFetch('b', fetchValue));
      await runAsCaller('key-a', () => cache.getOrFetch('c', fetchValue));
      await expect(runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue))).rejects.toThrow(
        MissBudgetExceededError,
      );
    });

    it("gives a caller joining a fetch refused by its leader's budget a try of its own", async () => {
      for (const key of ['a', 'b', 'c']) {
        await runAsCaller('key-a', () => cache.getOrFetch(key, fetchValue));
      }
      const [refused, served] = await Promise.allSettled([
        runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue)),
        runAsCaller('key-b', () => cache.getOrFetch('d', fetchValue)),
      ]);
      expect(refused).toMatchObject({ status: 'rejected' });
      expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(MissBudgetExceededError);
      expect(served).toMatchObject({ status: 'fulfilled', value: { value: 'value' } });
    });

    it("keeps one caller's budget from touching another's", async () => {
      for (const key of ['a', 'b', 'c']) {
        await runAsCaller('key-a', () => cache.getOrFetch(key, fetchValue));
      }
      await expect(runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue))).rejects.toThrow(
        MissBudgetExceededError,
      );
      await expect(
        runAsCaller('key-b', () => cache.getOrFetch('d', fetchValue)),
      ).resolves.toMatchObject({ value: 'value' });
    });

    it('gives the budget back as the minute slides by', async () => {
      for (const key of ['a', 'b', 'c']) {
        await runAsCaller('key-a', () => cache.getOrFetch(key, fetchValue));
      }
      const refusal = runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue));
      await expect(refusal).rejects.toThrow(MissBudgetExceededError);
      clock.advance(59_999);
      await expect(runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue))).rejects.toThrow(
        MissBudgetExceededError,
      );
      // Two windows on, nothing of the first minute counts any more.
      clock.advance(60_001);
      await expect(
        runAsCaller('key-a', () => cache.getOrFetch('d', fetchValue)),
      ).resolves.toMatchObject({ value: 'value' });
    });

    it('does not charge work done outside any caller (health checks, admin)', async () => {
      for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.getOrFetch(key, fetchValue);
      await expect(
        runAsCaller('key-a', () => cache.getOrFetch('f', fetchValue)),
      ).resolves.toMatchObject({ value: 'value' });
    });
  });

  it('builds keys independent of parameter order', () => {
    expect(UpstreamCacheService.key('history', { start: 1, city: 'bern', end: 2 })).toBe(
      'history?city=bern&end=2&start=1',
    );
    expect(UpstreamCacheService.key('cities')).toBe('cities');
  });

  it('serves a fresh value without calling upstream again until the TTL has passed', async () => {
    const fetch = jest.fn().mockResolvedValueOnce('first').mockResolvedValueOnce('second');
    expect(await cache.getOrFetch('k', fetch)).toEqual({
      value: 'first',
      fetchedAt: clock.now(),
      stale: false,
      ageSeconds: 0,
    });
    clock.advance(119_999);
    expect(await cache.getOrFetch('k', fetch)).toMatchObject({ value: 'first', ageSeconds: 120 });
    expect(fetch).toHaveBeenCalledTimes(1);
    clock.advance(1);
    expect(await cache.getOrFetch('k', fetch)).toMatchObject({ value: 'second', stale: false });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, staleServes: 0 });
  });

  it('makes one upstream call for 50 concurrent identical requests', async () => {
    const upstream = deferred<string>();
    const fetch = jest.fn(() => upstream.promise);
    const results = Promise.all(Array.from({ length: 50 }, () => cache.getOrFetch('k', fetch)));
    await new Promise((resolve) => setImmediate(resolve));
    upstream.resolve('value');
    const values = await results;
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(values.every((v) => v.value === 'value')).toBe(true);
  });

  it('shares a failure among concurrent callers and does not remember it', async () => {
    const fetch = jest.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce('up');
    const results = await Promise.allSettled([
      cache.getOrFetch('k', fetch),
      cache.getOrFetch('k', fetch),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.getOrFetch('k', fetch)).toMatchObject({ value: 'up' });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('serves the last good value, marked stale with its age, when upstream fails', async () => {
    await cache.getOrFetch('k', () => Promise.resolve('good'));
    clock.advance(300_000);
    const result = await cache.getOrFetch('k', () => Promise.reject(new Error('down')));
    expect(result).toEqual({
      value: 'good',
      fetchedAt: clock.now() - 300_000,
      stale: true,
      ageSeconds: 300,
    });
    expect(cache.stats().staleServes).toBe(1);
  });

  it('gives up on a stale value older than the stale window', async () => {
    await cache.getOrFetch('k', () => Promise.resolve('good'));
    clock.advance((120 + 3600) * 1000 + 1);
    await expect(cache.getOrFetch('k', () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
  });

  it('serves an answer larger than the byte budget without keeping it', async () => {
    const big = 'x'.repeat(config.maxBytes);
    const fetch = jest.fn().mockResolvedValue(big);
    expect(await cache.getOrFetch('k', fetch)).toMatchObject({ value: big, stale: false });
    expect(await cache.getOrFetch('k', fetch)).toMatchObject({ value: big, stale: false });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(await cache.usage()).toEqual({ entries: 0, bytes: 0, maxEntries: 10, maxBytes: 1000 });
  });

  it('reports the entries and bytes it holds against its bounds', async () => {
    await cache.getOrFetch('a', () => Promise.resolve('abc')); // "abc": 5 bytes of JSON
    await cache.getOrFetch('b', () => Promise.resolve({ n: 1 })); // {"n":1}: 7 bytes
    expect(await cache.usage()).toEqual({ entries: 2, bytes: 12, maxEntries: 10, maxBytes: 1000 });
    expect(await cache.entries()).toEqual([
      { key: 'a', ageSeconds: 0, fresh: true, bytes: 5 },
      { key: 'b', ageSeconds: 0, fresh: true, bytes: 7 },
    ]);
  });

  it('rethrows when nothing was ever cached', async () => {
    await expect(cache.getOrFetch('k', () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
  });
});
