import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CLOCK, Clock } from '../common/clock';
import { CACHE_CONFIG } from '../config/app-config.module';
import type { CacheConfig } from '../config/configuration.types';
import { AareguruClient } from './aareguru.client';
import { AareguruHealthIndicator } from './aareguru.health';
import { AAREGURU_METRICS } from './aareguru.metrics';
import { AareguruService } from './aareguru.service';
import { CACHE_STORE } from './cache/cache-store.interface';
import { MemoryCacheStore } from './cache/memory-cache.store';
import { UpstreamCacheService } from './cache/upstream-cache.service';

@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: CACHE_STORE,
      useFactory: (config: CacheConfig, clock: Clock) =>
        new MemoryCacheStore(config.maxEntries, clock),
      inject: [CACHE_CONFIG, CLOCK],
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
