import { makeCounterProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, HistogramConfiguration } from 'prom-client';
import { SECONDS_BUCKETS } from '../metrics/app.metrics';

/** Labels of a counted call: `failure` is set only when it failed (see MetricOutcome). */
export type CallLabels<Name extends string> = Name | 'outcome' | 'failure';

export const TOOL_CALLS = {
  name: 'mcp_tool_calls_total',
  help: 'MCP tool calls by tool and outcome (ok, cancelled, client_error, upstream_error, internal_error); failed calls also by failure (invalid_input, unknown_city, invalid_range, key_budget, upstream, upstream_busy, internal).',
  labelNames: ['tool', 'outcome', 'failure'] as const,
} satisfies CounterConfiguration<CallLabels<'tool'>>;

export const TOOL_DURATION = {
  name: 'mcp_tool_call_duration_seconds',
  help: 'MCP tool call duration by tool.',
  labelNames: ['tool'] as const,
  buckets: SECONDS_BUCKETS,
} satisfies HistogramConfiguration<'tool'>;

export const RESOURCE_READS = {
  name: 'mcp_resource_reads_total',
  help: 'MCP resource reads by resource name and outcome; failed reads also by failure.',
  labelNames: ['resource', 'outcome', 'failure'] as const,
} satisfies CounterConfiguration<CallLabels<'resource'>>;

export const PROMPT_GETS = {
  name: 'mcp_prompt_gets_total',
  help: 'MCP prompt gets by prompt name and outcome; failed gets also by failure.',
  labelNames: ['prompt', 'outcome', 'failure'] as const,
} satisfies CounterConfiguration<CallLabels<'prompt'>>;

export const MCP_REQUESTS = {
  name: 'mcp_requests_total',
  help: 'JSON-RPC messages received from MCP clients over every transport, by method (other for a method this server does not know; each message of a batch counts) and key label (anonymous without keys, stdio).',
  labelNames: ['method', 'key'] as const,
} satisfies CounterConfiguration<'method' | 'key'>;

export const MCP_METRICS = [
  makeCounterProvider(TOOL_CALLS),
  makeHistogramProvider(TOOL_DURATION),
  makeCounterProvider(RESOURCE_READS),
  makeCounterProvider(PROMPT_GETS),
  makeCounterProvider(MCP_REQUESTS),
];
