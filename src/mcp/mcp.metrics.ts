import { makeCounterProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, HistogramConfiguration } from 'prom-client';
import { SECONDS_BUCKETS } from '../metrics/app.metrics';

export const TOOL_CALLS = {
  name: 'mcp_tool_calls_total',
  help: 'MCP tool calls by tool and outcome (ok, error, cancelled).',
  labelNames: ['tool', 'outcome'] as const,
} satisfies CounterConfiguration<'tool' | 'outcome'>;

export const TOOL_DURATION = {
  name: 'mcp_tool_call_duration_seconds',
  help: 'MCP tool call duration by tool.',
  labelNames: ['tool'] as const,
  buckets: SECONDS_BUCKETS,
} satisfies HistogramConfiguration<'tool'>;

export const RESOURCE_READS = {
  name: 'mcp_resource_reads_total',
  help: 'MCP resource reads by resource name and outcome.',
  labelNames: ['resource', 'outcome'] as const,
} satisfies CounterConfiguration<'resource' | 'outcome'>;

export const PROMPT_GETS = {
  name: 'mcp_prompt_gets_total',
  help: 'MCP prompt gets by prompt name and outcome.',
  labelNames: ['prompt', 'outcome'] as const,
} satisfies CounterConfiguration<'prompt' | 'outcome'>;

export const MCP_METRICS = [
  makeCounterProvider(TOOL_CALLS),
  makeHistogramProvider(TOOL_DURATION),
  makeCounterProvider(RESOURCE_READS),
  makeCounterProvider(PROMPT_GETS),
];
