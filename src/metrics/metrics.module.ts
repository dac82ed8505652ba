import { DynamicModule, Global, Module, OnModuleInit } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../common/package-info';
import {
  BUILD_INFO,
  HTTP_REJECTED_REQUESTS,
  HTTP_REQUEST_DURATION,
  HTTP_STREAM_DURATION,
  HTTP_STREAMS_OPEN,
} from './app.metrics';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';

const APP_METRICS = [
  makeHistogramProvider(HTTP_REQUEST_DURATION),
  makeHistogramProvider(HTTP_STREAM_DURATION),
  makeGaugeProvider(HTTP_STREAMS_OPEN),
  makeCounterProvider(HTTP_REJECTED_REQUESTS),
  makeGaugeProvider(BUILD_INFO),
];

/**
 * Metrics every mode records: the edge metrics (global, since guards in several modules and the
 * app setup use them) and the build. Feature modules declare their own metrics; all of them live
 * in prom-client's global registry.
 */
@Global()
@Module({
  providers: [...APP_METRICS, HttpMetrics],
  exports: [...APP_METRICS, HttpMetrics],
})
export class MetricsModule implements OnModuleInit {
  constructor(@InjectMetric(BUILD_INFO.name) private readonly buildInfo: Gauge<'version'>) {}

  onModuleInit(): void {
    this.buildInfo.set({ version: PACKAGE_VERSION }, 1);
  }
}

/**
 * Registering starts collecting the default process metrics into the global registry, which
 * prom-client allows once per process: every HTTP app in it (tests start many) shares this one.
 */
let scrapeEndpoint: DynamicModule | undefined;

/** GET /metrics with the default process metrics, for the HTTP server (stdio has no scrape endpoint). */
@Module({})
export class MetricsEndpointModule {
  static forRoot(): DynamicModule {
    scrapeEndpoint ??= PrometheusModule.register({
      controller: MetricsController,
      defaultMetrics: { enabled: true },
      defaultLabels: { app: PACKAGE_NAME },
    });
    return { module: MetricsEndpointModule, imports: [scrapeEndpoint] };
  }
}
