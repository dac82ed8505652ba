import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import { isSessionOpening } from './session-opening';

const MINUTE_MS = 60_000;

/**
 * Rate limits: per minute and per hour for every request of a caller, and a tighter per-minute
 * limit on opening sessions. The library's in-memory storage sits behind its storage token.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [HTTP_CONFIG],
      useFactory: (config: HttpConfig) => ({
        errorMessage: 'Too Many Requests: rate limit exceeded, retry later',
        throttlers: [
          { name: 'minute', ttl: MINUTE_MS, limit: config.rateLimitPerMinute },
          { name: 'hour', ttl: 60 * MINUTE_MS, limit: config.rateLimitPerHour },
          {
            name: 'session-open',
            ttl: MINUTE_MS,
            limit: config.sessionOpenPerMinute,
            skipIf: (context) => !isSessionOpening(context.switchToHttp().getRequest()),
          },
        ],
      }),
    }),
  ],
  providers: [McpThrottlerGuard],
  exports: [McpThrottlerGuard, ThrottlerModule],
})
export class ThrottlingModule {}
