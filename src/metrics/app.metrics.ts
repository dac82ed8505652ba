import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

/** Buckets for every duration histogram, from 5 ms to 10 s. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// The metrics no one feature owns: the edge (recorded by the app setup and by guards in several
// modules) and the build.

export const HTTP_REQUEST_DURATION = {
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route template, method and status (event streams count until they close).',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: SECONDS_BUCKETS,
} satisfies HistogramConfiguration<'route' | 'method' | 'status'>;

export const HTTP_REJECTED_REQUESTS = {
  name: 'http_rejected_requests_total',
  help: 'Requests refused at the edge, by reason (auth, host, origin, body, capacity, draining).',
  labelNames: ['reason'] as const,
} satisfies CounterConfiguration<'reason'>;

export const BUILD_INFO = {
  name: 'aareguru_mcp_build_info',
  help: 'Build information: the package version, always 1',
  labelNames: ['version'] as const,
} satisfies GaugeConfiguration<'version'>;
