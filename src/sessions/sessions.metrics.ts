import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectMetric, makeCounterProvider, makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, Gauge, GaugeConfiguration } from 'prom-client';
import { SESSION_CONFIG } from '../config/app-config.module';
import type { SessionConfig } from '../config/configuration.types';

export const SESSIONS_OPEN = {
  name: 'mcp_sessions_open',
  help: 'Open MCP sessions by transport and protocol era.',
  labelNames: ['transport', 'era'] as const,
} satisfies GaugeConfiguration<'transport' | 'era'>;

export const SESSIONS_OPENED = {
  name: 'mcp_sessions_opened_total',
  help: 'MCP sessions opened, by transport and protocol era.',
  labelNames: ['transport', 'era'] as const,
} satisfies CounterConfiguration<'transport' | 'era'>;

export const SESSIONS_CLOSED = {
  name: 'mcp_sessions_closed_total',
  help: 'MCP sessions closed, by transport and reason (client, deleted, expired, admin, shutdown, error).',
  labelNames: ['transport', 'reason'] as const,
} satisfies CounterConfiguration<'transport' | 'reason'>;

export const SESSIONS_HIBERNATED = {
  name: 'mcp_sessions_hibernated_total',
  help: 'Idle MCP sessions whose server was let go (the session stays open), by transport.',
  labelNames: ['transport'] as const,
} satisfies CounterConfiguration<'transport'>;

export const SESSIONS_WOKEN = {
  name: 'mcp_sessions_woken_total',
  help: 'Hibernating MCP sessions whose server was rebuilt for a new message, by transport.',
  labelNames: ['transport'] as const,
} satisfies CounterConfiguration<'transport'>;

export const SESSION_COPIES = {
  name: 'mcp_session_copies_total',
  help: 'With replicas sharing sessions: copies of sessions opened elsewhere, by event (adopted: rebuilt here from the fleet record; released: an idle copy let go while the session lives on; dropped: closed because the session ended on another replica).',
  labelNames: ['event'] as const,
} satisfies CounterConfiguration<'event'>;

export const SESSION_LIMITS = {
  name: 'mcp_session_limit',
  help: 'The configured session bounds, by limit: sessions (MAX_SESSIONS, in all, listen streams not counted), listen_streams (MAX_LISTEN_STREAMS).',
  labelNames: ['limit'] as const,
} satisfies GaugeConfiguration<'limit'>;

/** States the configured bounds once, for alerts and dashboards to set the open sessions against. */
@Injectable()
export class SessionLimitsMetric implements OnModuleInit {
  constructor(
    @Inject(SESSION_CONFIG) private readonly config: SessionConfig,
    @InjectMetric(SESSION_LIMITS.name) private readonly limits: Gauge<'limit'>,
  ) {}

  onModuleInit(): void {
    this.limits.set({ limit: 'sessions' }, this.config.maxSessions);
    this.limits.set({ limit: 'listen_streams' }, this.config.maxListenStreams);
  }
}

export const SESSIONS_METRICS = [
  makeGaugeProvider(SESSION_LIMITS),
  SessionLimitsMetric,
  makeCounterProvider(SESSION_COPIES),
  makeGaugeProvider(SESSIONS_OPEN),
  makeCounterProvider(SESSIONS_OPENED),
  makeCounterProvider(SESSIONS_CLOSED),
  makeCounterProvider(SESSIONS_HIBERNATED),
  makeCounterProvider(SESSIONS_WOKEN),
];
