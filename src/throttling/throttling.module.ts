import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import { RATE_LIMIT_MESSAGE } from './rate-limit-refusal';
import { SessionOpenLimitGuard } from './session-open-limit.guard';
import { SlidingWindowThrottlerStorage } from './sliding-window.storage';
import { THROTTLING_METRICS } from './throttling.metrics';

const MINUTE_MS = 60_000;

/** Where the counters live: in this process, O(1) per request whatever the limits. */
@Module({
  providers: [SlidingWindowThrottlerStorage],
  exports: [SlidingWindowThrottlerStorage],
})
class RateLimitStorageModule {}

/**
 * Rate limits: per minute and per hour for every request of a caller (a guard, before the body
 * is read), and a tighter per-minute limit on opening sessions (an interceptor, once the body
 * says what the request is), counted in sliding windows behind the library's storage token.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [HTTP_CONFIG, SlidingWindowThrottlerStorage],
      useFactory: (config: HttpConfig, storage: SlidingWindowThrottlerStorage) => ({
        storage,
        errorMessage: RATE_LIMIT_MESSAGE,
        throttlers: [
          { name: 'minute', ttl: MINUTE_MS, limit: config.rateLimitPerMinute },
          { name: 'hour', ttl: 60 * MINUTE_MS, limit: config.rateLimitPerHour },
        ],
      }),
    }),
  ],
  providers: [...THROTTLING_METRICS, McpThrottlerGuard, SessionOpenLimitGuard],
  // The counter goes with the guard: @UseGuards elsewhere (admin) builds the guard in its module.
  exports: [...THROTTLING_METRICS, McpThrottlerGuard, SessionOpenLimitGuard, ThrottlerModule],
})
export class ThrottlingModule {}
