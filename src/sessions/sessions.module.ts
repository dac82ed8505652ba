import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { InMemorySessionRegistry } from './in-memory-session.registry';
import { SESSION_REGISTRY } from './session-registry.interface';
import { SessionLifecycleService } from './session-lifecycle.service';
import { SessionsHealthIndicator } from './sessions.health';
import { SESSIONS_METRICS } from './sessions.metrics';

/** Open MCP sessions: the registry, their lifecycle (admission, expiry, shutdown) and health. */
@Module({
  imports: [TerminusModule],
  providers: [
    { provide: SESSION_REGISTRY, useClass: InMemorySessionRegistry },
    ...SESSIONS_METRICS,
    SessionLifecycleService,
    SessionsHealthIndicator,
  ],
  exports: [SESSION_REGISTRY, SessionLifecycleService, SessionsHealthIndicator],
})
export class SessionsModule {}
