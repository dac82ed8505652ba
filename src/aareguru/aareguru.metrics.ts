import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';
import { SECONDS_BUCKETS } from '../metrics/app.metrics';

export const UPSTREAM_REQUESTS = {
  name: 'aareguru_upstream_requests_total',
  help: 'Requests to the Aareguru API by endpoint and status (HTTP status, or timeout/network/malformed/shape/circuit_open).',
  labelNames: ['endpoint', 'status'] as const,
} satisfies CounterConfiguration<'endpoint' | 'status'>;

export const UPSTREAM_DURATION = {
  name: 'aareguru_upstream_request_duration_seconds',
  help: 'Duration of upstream operations (retries included) by endpoint.',
  labelNames: ['endpoint'] as const,
  buckets: SECONDS_BUCKETS,
} satisfies HistogramConfiguration<'endpoint'>;

export const CACHE_EVENTS = {
  name: 'aareguru_cache_events_total',
  help: 'Upstream cache lookups by result (hit, miss, stale).',
  labelNames: ['result'] as const,
} satisfies CounterConfiguration<'result'>;

export const CACHE_EVICTIONS = {
  name: 'aareguru_cache_evictions_total',
  help: 'Upstream answers the cache let go early or would not keep, by reason: capacity (least recently used, to stay within CACHE_MAX_BYTES and CACHE_MAX_ENTRIES), oversize (larger than the whole byte budget: served, never kept). With Redis, those of the cache shared in Redis.',
  labelNames: ['reason'] as const,
} satisfies CounterConfiguration<'reason'>;

export const CACHE_BYTES = {
  name: 'aareguru_cache_bytes',
  help: 'Bytes held by the upstream cache, counted as the JSON size of its values; with Redis, those of the cache the replicas share in Redis.',
} satisfies GaugeConfiguration<string>;

export const CACHE_ENTRIES = {
  name: 'aareguru_cache_entries',
  help: 'Answers held by the upstream cache; with Redis, those of the cache the replicas share in Redis.',
} satisfies GaugeConfiguration<string>;

export const CACHE_MAX_BYTES = {
  name: 'aareguru_cache_max_bytes',
  help: 'The byte bound of the upstream cache (CACHE_MAX_BYTES), for aareguru_cache_bytes to be read against.',
} satisfies GaugeConfiguration<string>;

export const CACHE_MAX_ENTRIES = {
  name: 'aareguru_cache_max_entries',
  help: 'The entry bound of the upstream cache (CACHE_MAX_ENTRIES), for aareguru_cache_entries to be read against.',
} satisfies GaugeConfiguration<string>;

export const CIRCUIT_STATE = {
  name: 'aareguru_circuit_state',
  help: 'Circuit breaker state towards the Aareguru API: 0 closed, 1 half-open, 2 open (3 isolated).',
} satisfies GaugeConfiguration<string>;

export const UPSTREAM_QUEUE_WAITING = {
  name: 'aareguru_upstream_queue_waiting',
  help: 'Upstream requests waiting for a free connection to the Aareguru API.',
} satisfies GaugeConfiguration<string>;

export const UPSTREAM_REFUSED = {
  name: 'aareguru_upstream_refused_total',
  help: 'Upstream requests refused before being sent: busy (no connection free in time, or the queue full), key_budget (the key used up its uncached requests for the minute) or circuit_open (the circuit breaker is open).',
  labelNames: ['reason'] as const,
} satisfies CounterConfiguration<'reason'>;

export const AAREGURU_METRICS = [
  makeCounterProvider(UPSTREAM_REQUESTS),
  makeHistogramProvider(UPSTREAM_DURATION),
  makeCounterProvider(CACHE_EVENTS),
  makeCounterProvider(CACHE_EVICTIONS),
  makeGaugeProvider(CACHE_BYTES),
  makeGaugeProvider(CACHE_ENTRIES),
  makeGaugeProvider(CACHE_MAX_BYTES),
  makeGaugeProvider(CACHE_MAX_ENTRIES),
  makeGaugeProvider(CIRCUIT_STATE),
  makeGaugeProvider(UPSTREAM_QUEUE_WAITING),
  makeCounterProvider(UPSTREAM_REFUSED),
];
