import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SESSION_REGISTRY, SessionRegistry } from './session-registry.interface';

/** Open sessions per transport, for health details; always "up". */
@Injectable()
export class SessionsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
  ) {}

  check(key = 'sessions') {
    return this.health.check(key).up({
      open: this.registry.size(),
      streamableHttp: this.registry.size('streamable-http'),
      sse: this.registry.size('sse'),
      listen: this.registry.size('listen'),
    });
  }
}
