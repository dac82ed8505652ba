import { Global, Module } from '@nestjs/common';
import { LIVE_CONFIG, SESSION_CONFIG } from '../config/app-config.module';
import type { LiveConfig, SessionConfig } from '../config/configuration.types';
import { RedisConnection } from '../redis/redis-connection';
import { MemorySessionEventLog, totalEventBytesFor } from './memory-session-event-log';
import { RedisSessionEventLog } from './redis-session-event-log';
import { SESSION_EVENT_LOG, type SessionEventLog } from './session-event-log';

/**
 * The per-session event log every transport and the subscriptions deliver through: in this
 * process, or in Redis when REDIS_URL is set (a client resumes on any replica, and an event
 * appended on one replica reaches the stream another holds). Global: sessions, transports and
 * subscriptions all use the one log.
 */
@Global()
@Module({
  providers: [
    {
      provide: SESSION_EVENT_LOG,
      inject: [RedisConnection, LIVE_CONFIG, SESSION_CONFIG],
      useFactory: async (
        redis: RedisConnection,
        live: LiveConfig,
        sessions: SessionConfig,
      ): Promise<SessionEventLog> => {
        const bounds = { maxEvents: live.eventLogMaxEvents, maxBytes: live.eventLogMaxBytes };
        const ttlMs = sessions.idleTimeoutSeconds * 1000;
        if (!redis.enabled) {
          // No setting of its own: derived from the per-session bound (at least 64 MiB).
          const totalMaxBytes = totalEventBytesFor(bounds.maxBytes);
          return new MemorySessionEventLog({ ...bounds, totalMaxBytes }, ttlMs);
        }
        const log = new RedisSessionEventLog(redis, bounds, ttlMs);
        // Subscribed before the server takes requests (RedisConnection waits for it at init).
        await log.listen();
        return log;
      },
    },
  ],
  exports: [SESSION_EVENT_LOG],
})
export class EventsModule {}
