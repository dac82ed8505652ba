import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../common/package-info';

export type RejectionReason = 'auth' | 'host' | 'origin' | 'body' | 'capacity' | 'draining';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric the server exports, in one registry per application instance (so several
 * instances in one process, as in tests, never share counters). Other modules record through
 * the methods below; gauges that mirror state read it at scrape time.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status (event streams count until they close).',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly sessionsOpen = new Gauge({
    name: 'mcp_sessions_open',
    help: 'Open MCP sessions by transport and protocol era.',
    labelNames: ['transport', 'era'] as const,
    registers: [this.registry],
  });

  readonly sessionsOpened = new Counter({
    name: 'mcp_sessions_opened_total',
    help: 'MCP sessions opened, by transport and protocol era.',
    labelNames: ['transport', 'era'] as const,
    registers: [this.registry],
  });

  readonly sessionsClosed = new Counter({
    name: 'mcp_sessions_closed_total',
    help: 'MCP sessions closed, by transport and reason (client, deleted, expired, admin, shutdown, error).',
    labelNames: ['transport', 'reason'] as const,
    registers: [this.registry],
  });

  readonly sessionsHibernated = new Counter({
    name: 'mcp_sessions_hibernated_total',
    help: 'Idle MCP sessions whose server was let go (the session stays open), by transport.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly sessionsWoken = new Counter({
    name: 'mcp_sessions_woken_total',
    help: 'Hibernating MCP sessions whose server was rebuilt for a new message, by transport.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly toolCalls = new Counter({
    name: 'mcp_tool_calls_total',
    help: 'MCP tool calls by tool and outcome (ok, error).',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly toolDuration = new Histogram({
    name: 'mcp_tool_call_duration_seconds',
    help: 'MCP tool call duration by tool.',
    labelNames: ['tool'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly resourceReads = new Counter({
    name: 'mcp_resource_reads_total',
    help: 'MCP resource reads by resource name and outcome.',
    labelNames: ['resource', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly promptGets = new Counter({
    name: 'mcp_prompt_gets_total',
    help: 'MCP prompt gets by prompt name and outcome.',
    labelNames: ['prompt', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly upstreamRequests = new Counter({
    name: 'aareguru_upstream_requests_total',
    help: 'Requests to the Aareguru API by endpoint and status (HTTP status, or timeout/network/malformed/shape/circuit_open).',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'aareguru_upstream_request_duration_seconds',
    help: 'Duration of upstream operations (retries included) by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly cacheEvents = new Counter({
    name: 'aareguru_cache_events_total',
    help: 'Upstream cache lookups by result (hit, miss, stale).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'aareguru_circuit_state',
    help: 'Circuit breaker state towards the Aareguru API: 0 closed, 1 half-open, 2 open (3 isolated).',
    registers: [this.registry],
  });

  readonly throttled = new Counter({
    name: 'http_throttled_requests_total',
    help: 'Requests refused by a rate limit, by limit name.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'http_rejected_requests_total',
    help: 'Requests refused at the edge, by reason (auth, host, origin, body, capacity, draining).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ app: PACKAGE_NAME, version: PACKAGE_VERSION });
    collectDefaultMetrics({ register: this.registry });
  }

  reject(reason: RejectionReason): void {
    this.rejected.inc({ reason });
  }
}
