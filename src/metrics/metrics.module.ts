import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** Prometheus metrics. Global: every feature module records into the same registry. */
@Global()
@Module({
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}

/** GET /metrics, for the HTTP server (stdio has no scrape endpoint). */
@Module({ controllers: [MetricsController] })
export class MetricsEndpointModule {}
