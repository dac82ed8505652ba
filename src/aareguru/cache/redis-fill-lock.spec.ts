import { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../../test/support/manual-clock';
import {
  deletePrefix,
  redisClient,
  REDIS_URL,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from '../../../test/support/redis';
import { RedisConnection } from '../../redis/redis-connection';
import { REDIS_CONNECTED, REDIS_FALLBACKS } from '../../redis/redis.metrics';
import { SlidingWindowThrottlerStorage } from '../../throttling/sliding-window.storage';
import { UpstreamError } from '../aareguru.errors';
import {
  CACHE_BYTES,
  CACHE_ENTRIES,
  CACHE_EVENTS,
  CACHE_EVICTIONS,
  UPSTREAM_REFUSED,
} from '../aareguru.metrics';
import { MemoryCacheStore } from './memory-cache.store';
import { MissBudget } from './miss-budget';
import { RedisCacheStore } from './redis-cache.store';
import { RedisFillLock } from './redis-fill-lock';
import { UpstreamCacheService } from './upstream-cache.service';
import { eventually } from '../../../test/support/eventually';

const config = {
  ttlSeconds: 120,
  maxEntries: 100,
  maxBytes: 100_000,
  staleMaxSeconds: 3600,
  missesPerKeyPerMinute: 100,
};
const LOCK_MS = 300;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Replica {
  cache: UpstreamCacheService;
  lock: RedisFillLock;
  waits: jest.SpyInstance;
  redis: RedisConnection;
  storage: SlidingWindowThrottlerStorage;
  fallbacks: Counter<'use'>;
}

describe('Single-flight across replicas (RedisFillLock with UpstreamCacheService)', () => {
  let clock: ManualClock;
  let prefix: string;
  let replicas: Replica[];

  /** One replica: its own connection, near cache and in-flight map; Redis prefix and clock shared. */
  async function replica(url = REDIS_URL): Promise<Replica> {
    const fallbacks = new Counter({ ...REDIS_FALLBACKS, registers: [] });
    const redis = new RedisConnection(
      { url, keyPrefix: prefix, replicaId: `replica-${replicas.length}`, commandTimeoutMs: 500 },
      new Gauge({ ...REDIS_CONNECTED, registers: [] }),
      fallbacks,
    );
    const metrics = () => ({
      evictions: new Counter({ ...CACHE_EVICTIONS, registers: [] }),
      bytes: new Gauge({ ...CACHE_BYTES, registers: [] }),
      entries: new Gauge({ ...CACHE_ENTRIES, registers: [] }),
    });
    const store = new RedisCacheStore(
      redis,
      new MemoryCacheStore(config, clock, metrics()),
      {
        ttlMs: config.ttlSeconds * 1000,
        staleMaxMs: config.staleMaxSeconds * 1000,
        maxEntries: config.maxEntries,
        maxBytes: config.maxBytes,
      },
      clock,
      metrics(),
    );
    const lock = new RedisFillLock(redis, { lockMs: LOCK_MS, pollMs: 20, maxWaitMs: 5000 });
    const storage = new SlidingWindowThrottlerStorage(clock);
    const cache = new UpstreamCacheService(
      store,
      config,
      clock,
      new Counter({ ...CACHE_EVENTS, registers: [] }),
      new MissBudget(storage, config.missesPerKeyPerMinute),
      new Counter({ ...UPSTREAM_REFUSED, registers: [] }),
      lock,
    );
    await redis.onModuleInit();
    await store.onModuleInit();
    await lock.onModuleInit();
    const made = { cache, lock, waits: jest.spyOn(lock, 'awaitFill'), redis, storage, fallbacks };
    replicas.push(made);
    return made;
  }

  const waiting = () => replicas.reduce((sum, r) => sum + r.waits.mock.calls.length, 0);

  beforeAll(() => requireRedis());

  beforeEach(() => {
    clock = new ManualClock(Date.now());
    prefix = uniquePrefix('fill-lock');
    replicas = [];
  });

  afterEach(async () => {
    for (const r of replicas) {
      r.storage.onApplicationShutdown();
      await r.redis.onApplicationShutdown();
    }
    await deletePrefix(prefix);
  });

  it('makes one upstream call for concurrent misses on three replicas', async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    const upstream = deferred<string>();
    const fetch = jest.fn(() => upstream.promise);
    const results = Promise.all(
      [a, b, c].flatMap((r) => Array.from({ length: 5 }, () => r.cache.getOrFetch('k', fetch))),
    );
    // One replica fetches; the other two wait for it (their own callers joined in memory).
    await eventually(() => fetch.mock.calls.length === 1 && waiting() === 2, 3000);
    upstream.resolve('value');
    const values = await results;
    expect(values.every((v) => v.value === 'value' && !v.stale)).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Every replica now has it, fresh.
    for (const r of [a, b, c]) await r.cache.getOrFetch('k', fetch);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("serves every replica's stale value when the one fetch fails, without asking again", async () => {
    const [a, b] = [await replica(), await replica()];
    await a.cache.getOrFetch('k', () => Promise.resolve('good'));
    await b.cache.getOrFetch('k', () => Promise.reject(new Error('not asked: a hit')));
    clock.advance(config.ttlSeconds * 1000 + 5000);

    const upstream = deferred<string>();
    const fetch = jest.fn(() => upstream.promise);
    const results = Promise.all([a.cache.getOrFetch('k', fetch), b.cache.getOrFetch('k', fetch)]);
    await eventually(() => fetch.mock.calls.length === 1 && waiting() === 1, 3000);
    upstream.reject(new UpstreamError('http', '/v2018/current', 'upstream answered 500', 500));
    expect(await results).toEqual([
      expect.objectContaining({ value: 'good', stale: true, ageSeconds: 125 }),
      expect.objectContaining({ value: 'good', stale: true, ageSeconds: 125 }),
    ]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(a.cache.stats().staleServes + b.cache.stats().staleServes).toBe(2);
  });

  it('gives the waiters the same upstream error when there is nothing stale to serve', async () => {
    const [a, b] = [await replica(), await replica()];
    const upstream = deferred<string>();
    const fetch = jest.fn(() => upstream.promise);
    const results = Promise.allSettled([
      a.cache.getOrFetch('k', fetch),
      b.cache.getOrFetch('k', fetch),
    ]);
    await eventually(() => fetch.mock.calls.length === 1 && waiting() === 1, 3000);
    upstream.reject(new UpstreamError('timeout', '/v2018/current', 'no answer in time'));
    const settled = await results;
    for (const result of settled) {
      expect(result).toMatchObject({ status: 'rejected', reason: { kind: 'timeout' } });
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(UpstreamError);
    }
    expect(fetch).toHaveBeenCalledTimes(1);
    // Failures are not remembered: the next miss asks again.
    await expect(a.cache.getOrFetch('k', () => Promise.resolve('up'))).resolves.toMatchObject({
      value: 'up',
    });
  });

  it('lets a waiter fetch itself when the leader had no connection free (busy)', async () => {
    const [a, b] = [await replica(), await replica()];
    const upstream = deferred<string>();
    const fetch = jest
      .fn<Promise<string>, []>()
      .mockImplementationOnce(() => upstream.promise)
      .mockResolvedValue('fetched by the waiter');
    const results = Promise.allSettled([
      a.cache.getOrFetch('k', fetch),
      b.cache.getOrFetch('k', fetch),
    ]);
    await eventually(() => fetch.mock.calls.length === 1 && waiting() === 1, 3000);
    upstream.reject(new UpstreamError('busy', '/v2018/current', 'no connection free'));
    const settled = await results;
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(settled.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(settled.find((r) => r.status === 'fulfilled')).toMatchObject({
      value: { value: 'fetched by the waiter' },
    });
  });

  it('fetches once the lock of a leader that vanished has expired', async () => {
    const b = await replica();
    // A leader that took the lock and died: nobody renews or releases it.
    const client = redisClient();
    await client.set(`${prefix}cl:k`, 'replica-gone:token', 'PX', LOCK_MS);
    const started = Date.now();
    const fetch = jest.fn(() => Promise.resolve('value'));
    await expect(b.cache.getOrFetch('k', fetch)).resolves.toMatchObject({ value: 'value' });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LOCK_MS - 50);
    expect(await client.exists(`${prefix}cl:k`)).toBe(0); // released after the fill
    client.disconnect();
  });

  it('keeps the lock while a slow fetch outlasts its lifetime, so nobody fetches twice', async () => {
    const [a, b] = [await replica(), await replica()];
    const upstream = deferred<string>();
    const fetch = jest.fn(() => upstream.promise);
    const results = Promise.all([a.cache.getOrFetch('k', fetch), b.cache.getOrFetch('k', fetch)]);
    await eventually(() => fetch.mock.calls.length === 1 && waiting() === 1, 3000);
    const client = redisClient();
    const renewed = Date.now() + 3 * LOCK_MS;
    await eventually(() => Date.now() > renewed, 5 * LOCK_MS);
    expect(await client.pttl(`${prefix}cl:k`)).toBeGreaterThan(0);
    client.disconnect();
    upstream.resolve('value');
    expect((await results).map((r) => r.value)).toEqual(['value', 'value']);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('fetches without a lock while Redis is unreachable', async () => {
    const server = await startPrivateRedis();
    try {
      const a = await replica(server.url);
      await server.stop('SIGKILL');
      await eventually(() => !a.redis.connected, 3000);
      const fetch = jest.fn(() => Promise.resolve('value'));
      await expect(a.cache.getOrFetch('k', fetch)).resolves.toMatchObject({ value: 'value' });
      await expect(a.cache.getOrFetch('k', fetch)).resolves.toMatchObject({ value: 'value' });
      expect(fetch).toHaveBeenCalledTimes(1); // the second from the near level
      const fellBack = (await a.fallbacks.get()).values.find((v) => v.labels.use === 'cache');
      expect(fellBack?.value).toBeGreaterThanOrEqual(2);
    } finally {
      await server.dispose();
    }
  });
});
