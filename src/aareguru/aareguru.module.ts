import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { getToken } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge } from 'prom-client';
import { CLOCK, Clock, TIMERS, Timers } from '../common/clock';
import { AAREGURU_CONFIG, CACHE_CONFIG } from '../config/app-config.module';
import type { AareguruConfig, CacheConfig } from '../config/configuration.types';
import { RedisConnection } from '../redis/redis-connection';
import { rateLimitStorage } from '../throttling/fail-open.storage';
import { AareguruClient } from './aareguru.client';
import { AareguruHealthIndicator } from './aareguru.health';
import {
  AAREGURU_METRICS,
  CACHE_BYTES,
  CACHE_ENTRIES,
  CACHE_EVICTIONS,
  CACHE_MAX_BYTES,
  CACHE_MAX_ENTRIES,
} from './aareguru.metrics';
import { AareguruService } from './aareguru.service';
import { CircuitProbe } from './circuit-probe';
import { CACHE_STORE } from './cache/cache-store.interface';
import { FILL_LOCK, LocalFillLock } from './cache/fill-lock';
import { MemoryCacheStore } from './cache/memory-cache.store';
import { RedisCacheStore } from './cache/redis-cache.store';
import { RedisFillLock } from './cache/redis-fill-lock';
import { MissBudget } from './cache/miss-budget';
import { MISS_BUDGET, UpstreamCacheService } from './cache/upstream-cache.service';

const MISS_COUNTERS = Symbol('MISS_COUNTERS');

/**
 * The cross-replica fill lock lives this long without renewal (its holder renews it while the
 * fetch runs): how soon the others fetch themselves when its holder died.
 */
const FILL_LOCK_MS = 3000;
/** How often a replica waiting for another's fetch checks that the lock is still held. */
const FILL_POLL_MS = 100;

@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: CACHE_STORE,
      useFactory: (
        config: CacheConfig,
        clock: Clock,
        evictions: Counter<'reason'>,
        bytes: Gauge,
        entries: Gauge,
        maxBytes: Gauge,
        maxEntries: Gauge,
        redis: RedisConnection,
      ) => {
        // The bounds, for dashboards to set the usage against.
        maxBytes.set(config.maxBytes);
        maxEntries.set(config.maxEntries);
        if (!redis.enabled) {
          return new MemoryCacheStore(config, clock, { evictions, bytes, entries });
        }
        // The replica's near copy; the metrics are those of the shared level.
        const near = new MemoryCacheStore(config, clock, {
          evictions: new Counter({ ...CACHE_EVICTIONS, registers: [] }),
          bytes: new Gauge({ ...CACHE_BYTES, registers: [] }),
          entries: new Gauge({ ...CACHE_ENTRIES, registers: [] }),
        });
        return new RedisCacheStore(
          redis,
          near,
          {
            ttlMs: config.ttlSeconds * 1000,
            staleMaxMs: config.staleMaxSeconds * 1000,
            maxEntries: config.maxEntries,
            maxBytes: config.maxBytes,
          },
          clock,
          { evictions, bytes, entries },
        );
      },
      inject: [
        CACHE_CONFIG,
        CLOCK,
        getToken(CACHE_EVICTIONS.name),
        getToken(CACHE_BYTES.name),
        getToken(CACHE_ENTRIES.name),
        getToken(CACHE_MAX_BYTES.name),
        getToken(CACHE_MAX_ENTRIES.name),
        RedisConnection,
      ],
    },
    {
      provide: FILL_LOCK,
      useFactory: (redis: RedisConnection, upstream: AareguruConfig) =>
        redis.enabled
          ? new RedisFillLock(redis, {
              lockMs: FILL_LOCK_MS,
              pollMs: FILL_POLL_MS,
              // A live holder's fetch ends within the upstream deadline (its wait for a
              // connection included); a waiter gives it that and one lock period more.
              maxWaitMs: upstream.deadlineMs + FILL_LOCK_MS,
            })
          : new LocalFillLock(),
      inject: [RedisConnection, AAREGURU_CONFIG],
    },
    {
      // Its own sliding-window counters (a provider, so shutdown stops its sweeper), fleet-wide
      // with REDIS_URL: the request rate limits keep theirs.
      provide: MISS_COUNTERS,
      useFactory: (redis: RedisConnection, clock: Clock) => rateLimitStorage(redis, clock, 'miss'),
      inject: [RedisConnection, CLOCK],
    },
    {
      provide: MISS_BUDGET,
      useFactory: (config: CacheConfig, counters: ThrottlerStorage) =>
        new MissBudget(counters, config.missesPerKeyPerMinute),
      inject: [CACHE_CONFIG, MISS_COUNTERS],
    },
    {
      // The half-open trial without a client call: the city list, which every call needs first,
      // sent once (no retries) so a failed trial leaves its real cause in the upstream status.
      provide: CircuitProbe,
      useFactory: (
        client: AareguruClient,
        cache: UpstreamCacheService,
        config: AareguruConfig,
        timers: Timers,
      ) =>
        new CircuitProbe(
          client.circuit,
          () => cache.renew(UpstreamCacheService.key('cities'), () => client.trial()),
          config.breakerHalfOpenMs,
          timers,
        ),
      inject: [AareguruClient, UpstreamCacheService, AAREGURU_CONFIG, TIMERS],
    },
    ...AAREGURU_METRICS,
    AareguruClient,
    UpstreamCacheService,
    AareguruService,
    AareguruHealthIndicator,
  ],
  exports: [AareguruService, AareguruHealthIndicator, AareguruClient, UpstreamCacheService],
})
export class AareguruModule {}
