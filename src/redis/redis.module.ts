import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisConnection } from './redis-connection';
import { RedisHealthIndicator } from './redis.health';
import { REDIS_METRICS } from './redis.metrics';

/**
 * The Redis connections replicas share state through (sessions, rate limits, cache), or nothing
 * when REDIS_URL is empty. Global: each feature module picks its Redis or in-process
 * implementation from `RedisConnection.enabled`.
 */
@Global()
@Module({
  imports: [TerminusModule],
  providers: [...REDIS_METRICS, RedisConnection, RedisHealthIndicator],
  exports: [...REDIS_METRICS, RedisConnection, RedisHealthIndicator],
})
export class RedisModule {}
