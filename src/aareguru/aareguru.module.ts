import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { CLOCK, Clock } from '../common/clock';
import { CACHE_CONFIG } from '../config/app-config.module';
import type { CacheConfig } from '../config/configuration.types';
import { AareguruClient } from './aareguru.client';
import { AareguruHealthIndicator } from './aareguru.health';
import { AAREGURU_METRICS, CACHE_BYTES, CACHE_EVICTIONS } from './aareguru.metrics';
import { AareguruService } from './aareguru.service';
import { CACHE_STORE } from './cache/cache-store.interface';
import { MemoryCacheStore } from './cache/memory-cache.store';
import { UpstreamCacheService } from './cache/upstream-cache.service';

@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: CACHE_STORE,
      useFactory: (config: CacheConfig, clock: Clock, evictions: Counter<'reason'>, bytes: Gauge) =>
        new MemoryCacheStore(config, clock, { evictions, bytes }),
      inject: [CACHE_CONFIG, CLOCK, getToken(CACHE_EVICTIONS.name), getToken(CACHE_BYTES.name)],
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
