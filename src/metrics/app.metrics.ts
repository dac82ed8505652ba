import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

/** Buckets for every duration histogram, from 5 ms to 10 s. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// The metrics no one feature owns: the edge (recorded by the app setup and by guards in several
// modules) and the build.

/** Buckets for the lifetime of event streams, from a second to a day. */
export const STREAM_SECONDS_BUCKETS = [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];

export const HTTP_REQUEST_DURATION = {
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route template, method and status (long-lived event streams are not counted here: see http_stream_duration_seconds).',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: SECONDS_BUCKETS,
} satisfies HistogramConfiguration<'route' | 'method' | 'status'>;

export const HTTP_STREAM_DURATION = {
  name: 'http_stream_duration_seconds',
  help: 'Lifetime of long-lived event streams (GET /mcp, GET /sse, POST /mcp subscriptions/listen) by route and method, observed when the stream closes.',
  labelNames: ['route', 'method'] as const,
  buckets: STREAM_SECONDS_BUCKETS,
} satisfies HistogramConfiguration<'route' | 'method'>;

export const HTTP_STREAMS_OPEN = {
  name: 'http_streams_open',
  help: 'Long-lived event streams open now, by route and method.',
  labelNames: ['route', 'method'] as const,
} satisfies GaugeConfiguration<'route' | 'method'>;

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
