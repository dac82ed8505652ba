import { makeCounterProvider, makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, GaugeConfiguration } from 'prom-client';

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

export const SESSIONS_METRICS = [
  makeCounterProvider(SESSION_COPIES),
  makeGaugeProvider(SESSIONS_OPEN),
  makeCounterProvider(SESSIONS_OPENED),
  makeCounterProvider(SESSIONS_CLOSED),
  makeCounterProvider(SESSIONS_HIBERNATED),
  makeCounterProvider(SESSIONS_WOKEN),
];
