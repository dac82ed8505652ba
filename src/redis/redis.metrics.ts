import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectMetric, makeCounterProvider, makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, Gauge, GaugeConfiguration } from 'prom-client';
import { REDIS_CONFIG } from '../config/app-config.module';
import type { RedisConfig } from '../config/configuration.types';

export const REDIS_ENABLED = {
  name: 'redis_enabled',
  help: 'Whether this replica is configured to share state through Redis (1: REDIS_URL is set) or keeps it in the process (0).',
} satisfies GaugeConfiguration<string>;

export const REDIS_CONNECTED = {
  name: 'redis_connected',
  help: 'Whether this replica is connected to Redis (1) or not (0); always 0 without REDIS_URL (see redis_enabled).',
} satisfies GaugeConfiguration<string>;

export const REDIS_FALLBACKS = {
  name: 'redis_fallbacks_total',
  help: 'Operations that could not use Redis and fell back to this process, by use (rate_limit, cache, session, ...): limits counted locally, cache kept locally, session traffic refused.',
  labelNames: ['use'] as const,
} satisfies CounterConfiguration<'use'>;

/**
 * States once whether Redis is configured, so that alerts on `redis_connected` (0 without Redis
 * too) and on fleet-wide limits can tell a replica on its own from one that lost Redis.
 */
@Injectable()
export class RedisEnabledMetric implements OnModuleInit {
  constructor(
    @Inject(REDIS_CONFIG) private readonly config: Pick<RedisConfig, 'url'>,
    @InjectMetric(REDIS_ENABLED.name) private readonly enabled: Gauge,
  ) {}

  onModuleInit(): void {
    this.enabled.set(this.config.url === null ? 0 : 1);
  }
}

export const REDIS_METRICS = [
  makeGaugeProvider(REDIS_ENABLED),
  RedisEnabledMetric,
  makeGaugeProvider(REDIS_CONNECTED),
  makeCounterProvider(REDIS_FALLBACKS),
];
