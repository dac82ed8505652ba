import { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../../test/support/manual-clock';
import {
  deletePrefix,
  keysUnder,
  redisClient,
  REDIS_URL,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from '../../../test/support/redis';
import { RedisConnection } from '../../redis/redis-connection';
import { REDIS_CONNECTED, REDIS_FALLBACKS } from '../../redis/redis.metrics';
import { CACHE_BYTES, CACHE_ENTRIES, CACHE_EVICTIONS } from '../aareguru.metrics';
import { MemoryCacheStore } from './memory-cache.store';
import { RedisCacheStore } from './redis-cache.store';
import { eventually } from '../../../test/support/eventually';

const HOUR = 3_600_000;
const TTL = 120_000;

/** A value whose JSON is exactly `bytes` long: a string of bytes - 2 characters and its quotes. */
const ofSize = (bytes: number) => 'x'.repeat(bytes - 2);

interface Replica {
  store: RedisCacheStore;
  near: MemoryCacheStore;
  redis: RedisConnection;
  fallbacks: Counter<'use'>;
  evictions: Counter<'reason'>;
  bytes: Gauge;
  entries: Gauge;
}

describe('RedisCacheStore', () => {
  let clock: ManualClock;
  let replicas: Replica[];
  let prefix: string;

  /** One replica's store: its own connection and near level, the Redis prefix shared. */
  async function replica(
    bounds = { maxEntries: 100, maxBytes: 1000 },
    url = REDIS_URL,
  ): Promise<Replica> {
    const fallbacks = new Counter({ ...REDIS_FALLBACKS, registers: [] });
    const redis = new RedisConnection(
      {
        url,
        keyPrefix: prefix,
        replicaId: `replica-${replicas.length}`,
        commandTimeoutMs: 500,
      },
      new Gauge({ ...REDIS_CONNECTED, registers: [] }),
      fallbacks,
    );
    const private_ = () => ({
      evictions: new Counter({ ...CACHE_EVICTIONS, registers: [] }),
      bytes: new Gauge({ ...CACHE_BYTES, registers: [] }),
      entries: new Gauge({ ...CACHE_ENTRIES, registers: [] }),
    });
    const near = new MemoryCacheStore(bounds, clock, private_());
    const metrics = private_();
    const store = new RedisCacheStore(
      redis,
      near,
      { ttlMs: TTL, staleMaxMs: HOUR, ...bounds },
      clock,
      metrics,
    );
    await redis.onModuleInit();
    await store.onModuleInit();
    const made = { store, near, redis, fallbacks, ...metrics };
    replicas.push(made);
    return made;
  }

  const counted = async (counter: Counter<string>, labels: Record<string, string>) =>
    (await counter.get()).values.find((v) =>
      Object.entries(labels).every(([name, value]) => v.labels[name] === value),
    )?.value ?? 0;
  const keys = async (store: RedisCacheStore) => (await store.list()).map((e) => e.key);
  const entry = (value: unknown) => ({ value, storedAt: clock.now() });

  beforeAll(() => requireRedis());

  beforeEach(() => {
    clock = new ManualClock(Date.now());
    replicas = [];
    prefix = uniquePrefix('cache-store');
  });

  afterEach(async () => {
    for (const r of replicas) await r.redis.onApplicationShutdown();
    await deletePrefix(prefix);
  });

  it('shares values, lists, sizes and bytes between replicas', async () => {
    const a = await replica();
    const b = await replica();
    await a.store.set('current?city=bern', entry({ t: 12.5 }), HOUR); // {"t":12.5}: 10 bytes
    await a.store.set('cities', entry('abc'), 2 * HOUR); // 5 bytes, listed after (oldest first)
    expect(await b.store.get('current?city=bern')).toEqual(entry({ t: 12.5 }));
    expect(await b.near.get('current?city=bern')).toEqual(entry({ t: 12.5 })); // copied near
    expect(await b.store.list()).toEqual([
      { key: 'current?city=bern', bytes: 10, storedAt: clock.now() },
      { key: 'cities', bytes: 5, storedAt: clock.now() },
    ]);
    expect(await b.store.size()).toBe(2);
    expect(await b.store.bytes()).toBe(15);
    expect((await b.bytes.get()).values[0].value).toBe(15);
    expect((await b.entries.get()).values[0].value).toBe(2);
    expect(await b.store.get('today?city=thun')).toBeUndefined();
  });

  it('serves a fresh near copy without Redis, and a newer shared value once it is stale', async () => {
    const a = await replica();
    const b = await replica();
    await a.store.set('k', entry('one'), HOUR);
    expect(await b.store.get('k')).toMatchObject({ value: 'one' });
    // Changed behind the near copy: a fresh near copy is served as it is.
    const client = redisClient();
    await client.set(`${prefix}c:k`, JSON.stringify({ storedAt: clock.now() + 1, value: 'two' }));
    expect(await b.store.get('k')).toMatchObject({ value: 'one' });
    clock.advance(TTL);
    expect(await b.store.get('k')).toMatchObject({ value: 'two' });
    client.disconnect();
  });

  it('gives every key it writes a TTL, index keys included', async () => {
    const a = await replica();
    await a.store.set('k', entry('v'), HOUR);
    await a.store.set('l', entry('w'), 2 * HOUR);
    const client = redisClient();
    try {
      const written = await keysUnder(client, prefix);
      // The value keys and the four index keys (the heartbeat belongs to the connection).
      const ours = written.filter((key) => !key.startsWith(`${prefix}alive:`));
      expect(ours.sort()).toEqual(
        ['c:k', 'c:l', 'cache-bytes', 'cache-index', 'cache-stored-at', 'cache-total-bytes'].map(
          (key) => prefix + key,
        ),
      );
      for (const key of ours) {
        const ttl = await client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(key.endsWith('c:k') ? HOUR : 2 * HOUR);
      }
    } finally {
      client.disconnect();
    }
  });

  it('drops the oldest entries until a new one fits the byte budget', async () => {
    const a = await replica({ maxEntries: 100, maxBytes: 100 });
    const b = await replica({ maxEntries: 100, maxBytes: 100 });
    await a.store.set('a', entry(ofSize(30)), HOUR);
    await b.store.set('b', entry(ofSize(30)), HOUR);
    await a.store.set('c', entry(ofSize(30)), HOUR);
    await b.store.set('d', entry(ofSize(50)), HOUR);
    // 90 + 50 > 100: a and then b go, whichever replica wrote them.
    expect(await keys(a.store)).toEqual(['c', 'd']);
    expect(await a.store.bytes()).toBe(80);
    expect(await counted(b.evictions, { reason: 'capacity' })).toBe(2);
    expect((await b.bytes.get()).values[0].value).toBe(80);
    expect((await b.entries.get()).values[0].value).toBe(2);
  });

  it('keeps the entry bound fleet-wide', async () => {
    const a = await replica({ maxEntries: 3, maxBytes: 1000 });
    const b = await replica({ maxEntries: 3, maxBytes: 1000 });
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) {
      await (i % 2 ? b : a).store.set(key, entry(1), HOUR);
    }
    expect(await keys(a.store)).toEqual(['b', 'c', 'd']);
    expect(await b.store.size()).toBe(3);
  });

  it('refuses a value larger than the whole budget, and forgets the older value of its key', async () => {
    const a = await replica({ maxEntries: 100, maxBytes: 100 });
    await a.store.set('a', entry(ofSize(40)), HOUR);
    await a.store.set('b', entry(ofSize(40)), HOUR);
    await a.store.set('b', entry(ofSize(101)), HOUR);
    expect(await keys(a.store)).toEqual(['a']);
    expect(await a.store.bytes()).toBe(40);
    expect(await counted(a.evictions, { reason: 'oversize' })).toBe(1);
    expect(await counted(a.evictions, { reason: 'capacity' })).toBe(0);
    expect(await a.store.get('b')).toBeUndefined();
  });

  it('counts a replaced value once, at its new size', async () => {
    const a = await replica();
    await a.store.set('a', entry(ofSize(40)), HOUR);
    await a.store.set('a', entry(ofSize(70)), HOUR);
    expect(await a.store.bytes()).toBe(70);
    expect(await a.store.size()).toBe(1);
  });

  it('forgets entries after their retention, on Redis time', async () => {
    const a = await replica();
    await a.store.set('short', entry(ofSize(30)), 150);
    await a.store.set('long', entry(ofSize(20)), HOUR);
    expect(await a.store.bytes()).toBe(50);
    await eventually(async () => (await a.store.size()) === 1, 3000);
    expect(await keys(a.store)).toEqual(['long']);
    expect(await a.store.bytes()).toBe(20);
    expect(await counted(a.evictions, { reason: 'capacity' })).toBe(0); // expiry is no eviction
  });

  it('deletes everywhere: in Redis and in the near copy of every replica', async () => {
    const a = await replica();
    const b = await replica();
    for (const key of ['current?city=bern', 'today?city=bern', 'current?city=thun']) {
      await a.store.set(key, entry(key), HOUR);
    }
    await b.store.get('current?city=bern');
    // A near copy Redis does not have (written while Redis was away) goes too.
    await b.near.set('history?city=bern&end=2&start=1', entry('h'), HOUR);

    expect(await a.store.deleteMatching(/[?&]city=bern(&|$)/)).toBe(2);
    expect(await keys(a.store)).toEqual(['current?city=thun']);
    await eventually(async () => (await b.near.size()) === 0, 3000);
    expect(await b.store.get('current?city=bern')).toBeUndefined();

    await b.store.delete('current?city=thun');
    expect(await a.store.size()).toBe(0);
    await eventually(async () => (await a.near.get('current?city=thun')) === undefined, 3000);

    await a.store.set('cities', entry('c'), HOUR);
    await b.store.get('cities');
    await a.store.clear();
    expect(await b.store.bytes()).toBe(0);
    await eventually(async () => (await b.near.size()) === 0, 3000);
  });

  it('keeps serving and storing near while Redis is down, and counts the fallbacks', async () => {
    const server = await startPrivateRedis();
    try {
      const a = await replica({ maxEntries: 100, maxBytes: 1000 }, server.url);
      await a.store.set('k', entry('before'), HOUR);
      await server.stop('SIGKILL');
      await eventually(() => !a.redis.connected, 3000);

      expect(await a.store.get('k')).toMatchObject({ value: 'before' });
      await a.store.set('l', entry('during'), HOUR);
      clock.advance(TTL); // stale near: Redis is asked, fails, the near copy is returned
      expect(await a.store.get('l')).toMatchObject({ value: 'during' });
      expect(await a.store.size()).toBe(2);
      expect(await a.store.bytes()).toBe(16);
      expect(await keys(a.store)).toEqual(['k', 'l']);
      expect(await a.store.deleteMatching(/^k$/)).toBe(1);
      expect(await counted(a.fallbacks, { use: 'cache' })).toBeGreaterThanOrEqual(5);

      // Back: the shared level is used again without a restart.
      await server.start();
      await eventually(() => a.redis.connected, 10_000);
      await a.store.set('m', entry('after'), HOUR);
      expect(await keys(a.store)).toEqual(['m']);
    } finally {
      await server.dispose();
    }
  }, 20_000);
});
