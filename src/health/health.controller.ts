import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AareguruHealthIndicator } from '../aareguru/aareguru.health';
import { AppStateService } from '../common/app-state.service';
import { PACKAGE_VERSION } from '../common/package-info';
import { RedisHealthIndicator } from '../redis/redis.health';
import { SessionsHealthIndicator } from '../sessions/sessions.health';
import { ApiHealthDetails, ApiLiveness, ApiReadiness } from './health.openapi';
import { probeFailureText, Probe, ProbeStateLog } from './probe-state-log';

/** Health indicators answer from memory; this bound keeps a stuck one from stalling a probe. */
const INDICATOR_TIMEOUT_MS = 1000;

function withTimeout<T>(key: string, check: () => Promise<T> | T): () => Promise<T> {
  return () =>
    Promise.race([
      Promise.resolve(check()),
      new Promise<T>((_, reject) =>
        setTimeout(
          () => reject(new ServiceUnavailableException(`${key} check timed out`)),
          INDICATOR_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly state: AppStateService,
    private readonly upstream: AareguruHealthIndicator,
    private readonly sessions: SessionsHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly stateLog: ProbeStateLog,
  ) {}

  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiLiveness()
  @ApiOperation({ summary: 'Liveness: the process answers. Checks no dependency.' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiReadiness()
  @ApiOperation({
    summary:
      'Readiness: 503 while starting and while draining after SIGTERM, otherwise 200. Neither an Aareguru outage nor a Redis outage makes the server unready: cached data, 2026-07-28 traffic and (failing open) the rate limits still work on every replica.',
  })
  ready() {
    return this.logged('readiness', [
      () => {
        const indicator = this.indicators.check('server');
        if (this.state.ready) return indicator.up();
        return indicator.down({ phase: this.state.draining ? 'draining' : 'starting' });
      },
    ]);
  }

  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiHealthDetails()
  @ApiOperation({
    summary:
      'Details for people and monitoring: version, uptime, upstream state (circuit, last success and error, cache), open sessions per transport, Redis (connected, latency, replica id). 503 while the upstream circuit is not closed (open, or half-open during a trial) or Redis does not answer.',
  })
  details() {
    return this.logged('health', [
      () =>
        this.indicators.check('server').up({
          version: PACKAGE_VERSION,
          uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
          ready: this.state.ready,
        }),
      withTimeout('aareguru', () => this.upstream.check()),
      withTimeout('sessions', () => this.sessions.check()),
      withTimeout('redis', () => this.redis.check()),
    ]);
  }

  /** Runs the checks; a change in their outcome is logged once (see ProbeStateLog). */
  private async logged(
    probe: Probe,
    checks: Parameters<HealthCheckService['check']>[0],
  ): Promise<HealthCheckResult> {
    try {
      const result = await this.health.check(checks);
      this.stateLog.passed(probe);
      return result;
    } catch (error) {
      this.stateLog.failed(probe, probeFailureText(error));
      throw error;
    }
  }
}
