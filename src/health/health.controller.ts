import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthCheckService) {}

  /** The process answers; no dependency is checked, so an upstream outage never restarts it. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }
}
