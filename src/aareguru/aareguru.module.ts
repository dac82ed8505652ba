import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { CLOCK, Clock } from '../common/clock';
import { RedisConnection } from '../redis/redis-connection';
import { rateLimitStorage } from '../throttling/fail-open.storage';
import { CACHE_CONFIG } from '../config/app-config.module';
import type { CacheConfig } from '../config/configuration.types';
import { AareguruClient } from './aareguru.client';
import { AareguruHealthIndicator } from './aareguru.health';
import { AAREGURU_METRICS, CACHE_BYTES, CACHE_EVICTIONS } from './aareguru.metrics';
import { AareguruService } from './aareguru.service';
import { CACHE_STORE } from './cache/cache-store.interface';
import { MemoryCacheStore } from './cache/memory-cache.store';
import { MissBudget } from './cache/miss-budget';
import { MISS_BUDGET, UpstreamCacheService } from './cache/upstream-cache.service';

const MISS_COUNTERS = Symbol('MISS_COUNTERS');

@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: CACHE_STORE,
      useFactory: (config: CacheConfig, clock: Clock, evictions: Counter<'reason'>, bytes: Gauge) =>
        new MemoryCacheStore(config, clock, { evictions, bytes }),
      inject: [CACHE_CONFIG, CLOCK, getToken(CACHE_EVICTIONS.name), getToken(CACHE_BYTES.name)],
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
    ...AAREGURU_METRICS,
    AareguruClient,
    UpstreamCacheService,
    AareguruService,
    AareguruHealthIndicator,
  ],
  exports: [AareguruService, AareguruHealthIndicator, AareguruClient, UpstreamCacheService],
})
export class AareguruModule {}
