import { makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration } from 'prom-client';

export const THROTTLED_REQUESTS = {
  name: 'http_throttled_requests_total',
  help: 'Requests refused by a rate limit, by limit name.',
  labelNames: ['limit'] as const,
} satisfies CounterConfiguration<'limit'>;

export const THROTTLING_METRICS = [makeCounterProvider(THROTTLED_REQUESTS)];
