import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SESSION_REGISTRY, SessionRegistry } from './session-registry.interface';
import { SessionLifecycleService } from './session-lifecycle.service';

/**
 * Open sessions per transport on this replica, for health details; with replicas also the
 * fleet's (2025 Streamable HTTP and SSE sessions; listen streams are counted per replica).
 * Always "up".
 */
@Injectable()
export class SessionsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
    private readonly lifecycle: SessionLifecycleService,
  ) {}

  async check(key = 'sessions') {
    const local = {
      open: this.registry.size(),
      streamableHttp: this.registry.size('streamable-http'),
      sse: this.registry.size('sse'),
      listen: this.registry.size('listen'),
    };
    if (!this.lifecycle.shared) return this.health.check(key).up(local);
    const fleet = await this.lifecycle.fleetCount().then(
      (open) => ({ open }),
      () => ({ open: null, error: 'the session store cannot be reached' }),
    );
    return this.health.check(key).up({ ...local, fleet });
  }
}
