import { makeCounterProvider, makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, GaugeConfiguration } from 'prom-client';

export const REDIS_CONNECTED = {
  name: 'redis_connected',
  help: 'Whether this replica is connected to Redis (1) or not (0); absent without REDIS_URL.',
} satisfies GaugeConfiguration<string>;

export const REDIS_FALLBACKS = {
  name: 'redis_fallbacks_total',
  help: 'Operations that could not use Redis and fell back to this process, by use (rate_limit, cache, session, ...): limits counted locally, cache kept locally, session traffic refused.',
  labelNames: ['use'] as const,
} satisfies CounterConfiguration<'use'>;

export const REDIS_METRICS = [
  makeGaugeProvider(REDIS_CONNECTED),
  makeCounterProvider(REDIS_FALLBACKS),
];
