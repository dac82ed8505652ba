import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisConnection } from '../redis/redis-connection';
import { InMemorySessionRegistry } from './in-memory-session.registry';
import { LocalSessionDirectory } from './local-session.directory';
import { RedisSessionDirectory } from './redis-session.directory';
import { SESSION_DIRECTORY } from './session-directory.interface';
import { SESSION_REGISTRY } from './session-registry.interface';
import { SessionLifecycleService } from './session-lifecycle.service';
import { SessionsHealthIndicator } from './sessions.health';
import { SESSIONS_METRICS } from './sessions.metrics';

/**
 * Open MCP sessions: the registry of those this process holds, the fleet's records when replicas
 * share sessions through Redis, their lifecycle (admission, expiry, shutdown) and health.
 */
@Module({
  imports: [TerminusModule],
  providers: [
    { provide: SESSION_REGISTRY, useClass: InMemorySessionRegistry },
    {
      provide: SESSION_DIRECTORY,
      inject: [RedisConnection],
      useFactory: (redis: RedisConnection) =>
        redis.enabled
          ? new RedisSessionDirectory(redis)
          : new LocalSessionDirectory(redis.replicaId),
    },
    ...SESSIONS_METRICS,
    SessionLifecycleService,
    SessionsHealthIndicator,
  ],
  exports: [SESSION_REGISTRY, SESSION_DIRECTORY, SessionLifecycleService, SessionsHealthIndicator],
})
export class SessionsModule {}
