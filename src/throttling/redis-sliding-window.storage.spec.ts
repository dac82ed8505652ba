import { Counter, Gauge } from 'prom-client';
import type { RedisConfig } from '../config/configuration.types';
import { RedisConnection } from '../redis/redis-connection';
import {
  deletePrefix,
  keysUnder,
  redisClient,
  REDIS_URL,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from '../../test/support/redis';
import { FailOpenThrottlerStorage, rateLimitStorage } from './fail-open.storage';
import { incrementEachInOrder } from './ordered-throttler-storage';
import { RedisSlidingWindowStorage } from './redis-sliding-window.storage';
import { SlidingWindowThrottlerStorage } from './sliding-window.storage';
import { eventually } from '../../test/support/eventually';

const MINUTE = 60_000;

function connection(config: Partial<RedisConfig> & { keyPrefix: string }) {
  const fallbacks = new Counter({
    name: 'redis_fallbacks_spec',
    help: 'spec',
    labelNames: ['use'],
    registers: [],
  });
  const redis = new RedisConnection(
    { url: REDIS_URL, replicaId: 'replica-a', commandTimeoutMs: 300, ...config },
    new Gauge({ name: 'redis_connected_spec', help: 'spec', registers: [] }),
    fallbacks,
  );
  const fallbackCount = async () =>
    (await fallbacks.get()).values.find((v) => v.labels.use === 'rate_limit')?.value ?? 0;
  return { redis, fallbackCount };
}

/** A small deterministic generator, so a failing sequence can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('RedisSlidingWindowStorage', () => {
  let prefix: string;
  let redis: RedisConnection;
  let now: number;
  let local: SlidingWindowThrottlerStorage;
  let shared: RedisSlidingWindowStorage;

  beforeAll(() => requireRedis());

  beforeEach(async () => {
    prefix = uniquePrefix('rate-limit');
    ({ redis } = connection({ keyPrefix: prefix }));
    await redis.onModuleInit();
    now = 1_700_000_000_000;
    const clock = { now: () => now };
    local = new SlidingWindowThrottlerStorage(clock);
    shared = new RedisSlidingWindowStorage(redis, 'rl', clock);
  });

  afterEach(async () => {
    local.onApplicationShutdown();
    await redis.onApplicationShutdown();
    await deletePrefix(prefix);
  });

  /** One hit on both storages at the same instant: the records must be the same. */
  async function both(key: string, ttl: number, limit: number, blockDuration: number) {
    const expected = await local.increment(key, ttl, limit, blockDuration, 'spec');
    const actual = await shared.increment(key, ttl, limit, blockDuration, 'spec');
    expect({ at: now, key, ...actual }).toEqual({ at: now, key, ...expected });
    return actual;
  }

  it('counts up to the limit, refuses without counting, and blocks for the block duration', async () => {
    const hit = () => both('minute|key:a', MINUTE, 3, MINUTE);
    await expect(hit()).resolves.toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    await hit();
    await expect(hit()).resolves.toMatchObject({ totalHits: 3, isBlocked: false });
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    now += 29_000;
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    // Past the block and into the next window: the 3 counted hits, weighted, are still there.
    now += 1_001;
    await expect(hit()).resolves.toMatchObject({ totalHits: 3, isBlocked: false });
    now += 2 * MINUTE;
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('says when the fixed window ends, which is not when the whole quota is back', async () => {
    const hit = () => both('minute|key:a', MINUTE, 3, MINUTE);
    await hit();
    now += 20_000;
    await hit();
    await expect(hit()).resolves.toMatchObject({ totalHits: 3, timeToExpire: 40 });
    now += 40_001;
    await expect(hit()).resolves.toMatchObject({
      totalHits: 3,
      isBlocked: false,
      timeToExpire: 60,
    });
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
  });

  it("weighs the previous window's hits by their overlap, and forgets refused hits", async () => {
    const hit = (limit: number) => both('miss:key:a', MINUTE, limit, 0);
    for (let i = 0; i < 10; i += 1) await hit(100);
    now += MINUTE + MINUTE / 4; // 3/4 of the old window's hits still count
    await expect(hit(100)).resolves.toMatchObject({ totalHits: 8 });
    // At the limit of 8, every further hit is refused and none of them counts.
    for (let i = 0; i < 5; i += 1) {
      now += 1;
      await expect(hit(8)).resolves.toMatchObject({ isBlocked: true, totalHits: 9 });
    }
    now += MINUTE; // one counted hit left in the previous window, weighted down to nothing
    await expect(hit(8)).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('gives the same records as the in-process storage over a long random sequence', async () => {
    const random = seeded(12);
    const keys = ['minute|key:a', 'minute|key:b', 'session-open|ip:10.0.0.1'];
    for (let step = 0; step < 600; step += 1) {
      now += Math.floor(random() * random() * 900);
      const key = keys[Math.floor(random() * keys.length)];
      const blockDuration = key.startsWith('session') ? 0 : 1500;
      await both(key, 1000, 5, blockDuration);
    }
  });

  it('counts all limits of a request in one call, stopping at the first refusal, as one by one', async () => {
    const random = seeded(7);
    const limits = (caller: string) => [
      { key: `minute|${caller}`, ttl: 1000, limit: 4, blockDuration: 1000, throttlerName: 'm' },
      { key: `hour|${caller}`, ttl: 5000, limit: 9, blockDuration: 5000, throttlerName: 'h' },
    ];
    const refusedBy = { m: 0, h: 0 };
    for (let step = 0; step < 400; step += 1) {
      now += Math.floor(random() * random() * 700);
      const hits = limits(random() < 0.5 ? 'key:a' : 'key:b');
      const expected = await incrementEachInOrder(local, hits);
      const actual = await shared.incrementInOrder(hits);
      expect({ at: now, actual }).toEqual({ at: now, actual: expected });
      const last = actual[actual.length - 1];
      if (last.isBlocked) refusedBy[hits[actual.length - 1].throttlerName as 'm' | 'h'] += 1;
    }
    // The sequence went through both limits.
    expect(refusedBy.m).toBeGreaterThan(10);
    expect(refusedBy.h).toBeGreaterThan(10);
  });

  it('keeps one hash per counter under the prefix, expiring two windows (plus a block) on', async () => {
    const client = redisClient();
    try {
      await shared.increment('minute|key:a', MINUTE, 1, 5 * MINUTE, 'minute');
      await shared.increment('hour|key:a', 60 * MINUTE, 1, 60 * MINUTE, 'hour');
      expect((await keysUnder(client, prefix)).sort()).toEqual([
        redis.aliveKey(),
        `${prefix}rl:hour|key:a`,
        `${prefix}rl:minute|key:a`,
      ]);
      expect(await client.hgetall(`${prefix}rl:minute|key:a`)).toEqual({
        start: String(now),
        current: '1',
        previous: '0',
        blockedUntil: '0',
        ttl: String(MINUTE),
      });
      const ttl = await client.pttl(`${prefix}rl:minute|key:a`);
      expect(ttl).toBeGreaterThan(2 * MINUTE - 5000);
      expect(ttl).toBeLessThanOrEqual(2 * MINUTE);

      await shared.increment('minute|key:a', MINUTE, 1, 5 * MINUTE, 'minute'); // blocked for 5 min
      const blocked = await client.pttl(`${prefix}rl:minute|key:a`);
      expect(blocked).toBeGreaterThan(5 * MINUTE - 5000);
      expect(blocked).toBeLessThanOrEqual(5 * MINUTE);
    } finally {
      client.disconnect();
    }
  });

  it("counts on the Redis server's clock when no test clock is given", async () => {
    const client = redisClient();
    try {
      const production = new RedisSlidingWindowStorage(redis, 'rl');
      const [seconds, micros] = await client.time();
      const before = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await expect(production.increment('minute|key:t', MINUTE, 2, MINUTE, 'm')).resolves.toEqual({
        totalHits: 1,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
      await production.increment('minute|key:t', MINUTE, 2, MINUTE, 'm');
      await expect(production.increment('minute|key:t', MINUTE, 2, MINUTE, 'm')).resolves.toEqual({
        totalHits: 3,
        timeToExpire: 60,
        isBlocked: true,
        timeToBlockExpire: 60,
      });
      const start = Number(await client.hget(`${prefix}rl:minute|key:t`, 'start'));
      expect(start).toBeGreaterThanOrEqual(before);
      expect(start).toBeLessThan(before + 5000);
    } finally {
      client.disconnect();
    }
  });

  it('shares the counts between replicas', async () => {
    const { redis: other } = connection({ keyPrefix: prefix, replicaId: 'replica-b' });
    await other.onModuleInit();
    try {
      const clock = { now: () => now };
      const replicas = [rateLimitStorage(redis, clock, 'rl'), rateLimitStorage(other, clock, 'rl')];
      const results: boolean[] = [];
      for (let i = 0; i < 8; i += 1) {
        const record = await replicas[i % 2].increment('minute|key:a', MINUTE, 5, MINUTE, 'm');
        results.push(record.isBlocked);
      }
      expect(results).toEqual([false, false, false, false, false, true, true, true]);
    } finally {
      await other.onApplicationShutdown();
    }
  });
});

describe('rateLimitStorage', () => {
  beforeAll(() => requireRedis());

  it('is the in-process storage without REDIS_URL', async () => {
    const { redis } = connection({ url: null, keyPrefix: uniquePrefix('rate-limit') });
    const storage = rateLimitStorage(redis, { now: () => 0 }, 'rl');
    expect(storage).toBeInstanceOf(SlidingWindowThrottlerStorage);
    storage.onApplicationShutdown();
    await redis.onApplicationShutdown();
  });

  it('falls back to this replica while Redis is down, never throwing, and returns to Redis', async () => {
    const server = await startPrivateRedis();
    const prefix = uniquePrefix('rate-limit');
    const { redis, fallbackCount } = connection({ url: server.url, keyPrefix: prefix });
    await redis.onModuleInit();
    const storage = rateLimitStorage(redis, { now: () => Date.now() }, 'rl');
    expect(storage).toBeInstanceOf(FailOpenThrottlerStorage);
    const hit = () => storage.increment('minute|key:a', MINUTE, 3, MINUTE, 'minute');
    const client = redisClient(server.url);
    try {
      expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
      expect(await client.hget(`${prefix}rl:minute|key:a`, 'current')).toBe('2');
      expect(await fallbackCount()).toBe(0);

      await server.stop();
      // This replica's own window starts from nothing: the limit holds per replica.
      expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false });
      expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
      expect(await fallbackCount()).toBe(4);

      // Back (empty, and without the script loaded): the counts are Redis's again.
      await server.start();
      await eventually(() => redis.connected, 5000);
      expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await client.hget(`${prefix}rl:minute|key:a`, 'current')).toBe('1');
      expect(await fallbackCount()).toBe(4);
    } finally {
      client.disconnect();
      storage.onApplicationShutdown();
      await redis.onApplicationShutdown();
      await server.dispose();
    }
  });
});
