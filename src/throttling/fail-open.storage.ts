import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Clock } from '../common/clock';
import type { RedisConnection } from '../redis/redis-connection';
import {
  incrementEachInOrder,
  type LimitHit,
  type OrderedThrottlerStorage,
  type ThrottlerStorageRecord,
} from './ordered-throttler-storage';
import { RedisSlidingWindowStorage } from './redis-sliding-window.storage';
import { SlidingWindowThrottlerStorage } from './sliding-window.storage';

/**
 * Counts on the shared storage, and on this replica's own window whenever that fails: a Redis
 * outage must neither refuse everybody nor become a 500, so the limits hold per replica until
 * Redis answers again. The counts are not merged either way: once Redis is back the shared
 * counts (as Redis kept them) resume, and the local ones are forgotten as they go quiet.
 */
export class FailOpenThrottlerStorage implements OrderedThrottlerStorage, OnApplicationShutdown {
  constructor(
    private readonly shared: OrderedThrottlerStorage,
    private readonly local: SlidingWindowThrottlerStorage,
    private readonly redis: Pick<RedisConnection, 'fellBack'>,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.redis.fellBack('rate_limit', error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  async incrementInOrder(hits: LimitHit[]): Promise<ThrottlerStorageRecord[]> {
    try {
      return await this.shared.incrementInOrder(hits);
    } catch (error) {
      this.redis.fellBack('rate_limit', error);
      return incrementEachInOrder(this.local, hits);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}

/**
 * Rate-limit counters for one use (`namespace` keeps uses apart in Redis): fleet-wide and failing
 * open with REDIS_URL, this process's own without it (no Redis round trip at all).
 */
export function rateLimitStorage(
  redis: RedisConnection,
  clock: Clock,
  namespace: string,
): ThrottlerStorage & OnApplicationShutdown {
  const local = new SlidingWindowThrottlerStorage(clock);
  if (!redis.enabled) return local;
  return new FailOpenThrottlerStorage(
    new RedisSlidingWindowStorage(redis, namespace),
    local,
    redis,
  );
}
