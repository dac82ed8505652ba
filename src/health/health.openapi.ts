import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';

/**
 * OpenAPI for the probes, with this service's indicators (server, aareguru, sessions, redis) in
 * place of the boilerplate (`database`) that terminus's @HealthCheck would document.
 */
type SchemaObject =
  NonNullable<Parameters<typeof ApiOkResponse>[0]> extends infer O
    ? O extends { schema: infer S }
      ? S
      : never
    : never;

const INDICATORS: SchemaObject = {
  type: 'object',
  description: 'Per indicator: `status` (up or down) and its details.',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    additionalProperties: true,
  },
};

/** The body terminus answers with, 200 and 503 alike. */
export const HEALTH_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status', 'info', 'error', 'details'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: { ...INDICATORS, description: 'The indicators that are up.' },
    error: { ...INDICATORS, description: 'The indicators that are down.' },
    details: { ...INDICATORS, description: 'Every indicator.' },
  },
};

const REPLICA = 'aareguru-mcp-7d9f8c6b5-x2k4q';
const INSTANCE = `${REPLICA}#1f4c9a2e`;

const server = { status: 'up', version: '0.1.0', uptimeSeconds: 5412, ready: true };
const aareguruUp = {
  status: 'up',
  circuit: 'closed',
  lastSuccessAt: '2026-07-14T13:09:46.902Z',
  lastFailureAt: '2026-07-14T12:41:03.377Z',
  lastFailure: 'current: no answer within 5000 ms',
  cache: { entries: 14, bytes: 118342, hitRatio: 0.912, staleServes: 0 },
};
const aareguruDown = {
  ...aareguruUp,
  status: 'down',
  circuit: 'open',
  lastFailureAt: '2026-07-14T13:11:20.514Z',
  lastFailure: 'widget: HTTP 503',
  cache: { entries: 14, bytes: 118342, hitRatio: 0.874, staleServes: 23 },
};
const sessions = {
  status: 'up',
  open: 42,
  streamableHttp: 31,
  sse: 9,
  listen: 2,
  fleet: { open: 87 },
};
const redis = {
  status: 'up',
  enabled: true,
  connected: true,
  latencyMs: 1,
  replicaId: REPLICA,
  instanceId: INSTANCE,
};

const body = (indicators: Record<string, { status: string; [detail: string]: unknown }>) => {
  const entries = Object.entries(indicators);
  const down = entries.filter(([, value]) => value.status === 'down');
  return {
    status: down.length === 0 ? 'ok' : 'error',
    info: Object.fromEntries(entries.filter(([, value]) => value.status === 'up')),
    error: Object.fromEntries(down),
    details: indicators,
  };
};

export const HEALTH_EXAMPLES = {
  details: body({ server, aareguru: aareguruUp, sessions, redis }),
  detailsUpstreamDown: body({ server, aareguru: aareguruDown, sessions, redis }),
  detailsSingleProcess: body({
    server,
    aareguru: aareguruUp,
    sessions: { status: 'up', open: 3, streamableHttp: 2, sse: 1, listen: 0 },
    redis: { status: 'up', enabled: false, replicaId: 'laptop-48213' },
  }),
  live: body({}),
  ready: body({ server: { status: 'up' } }),
  draining: body({ server: { status: 'down', phase: 'draining' } }),
  starting: body({ server: { status: 'down', phase: 'starting' } }),
};

const json = (examples: Record<string, { summary: string; value: unknown }>) => ({
  schema: HEALTH_SCHEMA,
  examples,
});

export const ApiLiveness = () =>
  applyDecorators(
    ApiOkResponse({
      description: 'The process answers.',
      ...json({ live: { summary: 'Alive', value: HEALTH_EXAMPLES.live } }),
    }),
  );

export const ApiReadiness = () =>
  applyDecorators(
    ApiOkResponse({
      description: 'Ready for traffic.',
      ...json({ ready: { summary: 'Ready', value: HEALTH_EXAMPLES.ready } }),
    }),
    ApiServiceUnavailableResponse({
      description: 'Starting, or draining after SIGTERM.',
      ...json({
        draining: { summary: 'Draining after SIGTERM', value: HEALTH_EXAMPLES.draining },
        starting: { summary: 'Starting', value: HEALTH_EXAMPLES.starting },
      }),
    }),
  );

export const ApiHealthDetails = () =>
  applyDecorators(
    ApiOkResponse({
      description: 'Every indicator up.',
      ...json({
        fleet: { summary: 'A replica of a fleet with Redis', value: HEALTH_EXAMPLES.details },
        single: {
          summary: 'A single process without Redis',
          value: HEALTH_EXAMPLES.detailsSingleProcess,
        },
      }),
    }),
    ApiServiceUnavailableResponse({
      description:
        'The upstream circuit is not closed (open, or half-open during a trial), or Redis does not answer.',
      ...json({
        upstreamDown: {
          summary: 'Aareguru failing: circuit open',
          value: HEALTH_EXAMPLES.detailsUpstreamDown,
        },
      }),
    }),
  );
