import { Global, Module } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import { CLOCK, type Clock } from '../common/clock';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { RedisConnection } from '../redis/redis-connection';
import { rateLimitStorage } from './fail-open.storage';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import { SessionOpenLimitGuard } from './session-open-limit.guard';
import { THROTTLING_METRICS } from './throttling.metrics';

const MINUTE_MS = 60_000;

const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/**
 * Where the counters live, O(1) per request whatever the limits: in Redis for the whole fleet
 * when REDIS_URL is set (this process's window while Redis fails), else in this process.
 */
@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      useFactory: (redis: RedisConnection, clock: Clock) => rateLimitStorage(redis, clock, 'rl'),
      inject: [RedisConnection, CLOCK],
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
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
      inject: [HTTP_CONFIG, RATE_LIMIT_STORAGE],
      useFactory: (config: HttpConfig, storage: ThrottlerStorage) => ({
        storage,
        // The guard sets the draft standard's RateLimit headers and its own refusal message.
        setHeaders: false,
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
