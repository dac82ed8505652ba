import { DynamicModule, Global, Module } from '@nestjs/common';
import {
  makeCounterProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../common/package-info';
import { HTTP_REJECTED_REQUESTS, HTTP_REQUEST_DURATION } from './app.metrics';
import { MetricsController } from './metrics.controller';

const APP_METRICS = [
  makeHistogramProvider(HTTP_REQUEST_DURATION),
  makeCounterProvider(HTTP_REJECTED_REQUESTS),
];

/**
 * The edge metrics, global since guards in several modules and the app setup use them. Feature
 * modules declare their own metrics; all of them live in prom-client's global registry.
 */
@Global()
@Module({
  providers: APP_METRICS,
  exports: APP_METRICS,
})
export class MetricsModule {}

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
      defaultLabels: { app: PACKAGE_NAME, version: PACKAGE_VERSION },
    });
    return { module: MetricsEndpointModule, imports: [scrapeEndpoint] };
  }
}
