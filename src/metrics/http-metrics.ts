import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Gauge, Histogram } from 'prom-client';
import { exchangeOf, LISTEN_METHOD } from '../common/mcp-exchange';
import { HTTP_REQUEST_DURATION, HTTP_STREAM_DURATION, HTTP_STREAMS_OPEN } from './app.metrics';

/** Every kind of long-lived stream: each has its series from the start, 0 while none is open. */
export const STREAM_KINDS: readonly { route: string; method: string }[] = [
  { route: '/mcp', method: 'GET' },
  { route: '/sse', method: 'GET' },
  { route: '/mcp', method: 'POST' },
];

/**
 * Whether a response is a long-lived event stream: a session's GET stream on /mcp, a legacy
 * stream on /sse, or a 2026 `subscriptions/listen` stream. They last minutes to hours, so they
 * are measured apart from requests, whose duration they would drown. A refused attempt (any
 * status but 200) is an ordinary request. A POST answered as an event stream is not long-lived:
 * it ends with its answers.
 */
export function isLongLivedStream(req: IncomingMessage, res: ServerResponse): boolean {
  const exchange = exchangeOf(req);
  if (!exchange || exchange.route === '/messages' || res.statusCode !== 200) return false;
  if (req.method === 'GET') return true;
  return (
    req.method === 'POST' &&
    exchange.method === LISTEN_METHOD &&
    String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')
  );
}

/** The route label: an MCP request's classified route, else the route template (never raw ids). */
function routeOf(req: Request): string {
  return (
    exchangeOf(req)?.route ??
    `${req.baseUrl}${(req.route as { path?: string } | undefined)?.path ?? 'unmatched'}`
  );
}

/** Records every HTTP request: its duration, or for a long-lived stream its lifetime. */
@Injectable()
export class HttpMetrics {
  /** Responses not yet closed (of every app in the process: they share the registry). */
  private static readonly open = new Set<{ req: Request; res: Response }>();

  constructor(
    @InjectMetric(HTTP_REQUEST_DURATION.name)
    private readonly requestDuration: Histogram<'route' | 'method' | 'status'>,
    @InjectMetric(HTTP_STREAM_DURATION.name)
    private readonly streamDuration: Histogram<'route' | 'method'>,
    @InjectMetric(HTTP_STREAMS_OPEN.name) streamsOpen: Gauge<'route' | 'method'>,
  ) {
    // Counted when scraped: a stream is known to be one only once its answer has started.
    Object.assign(streamsOpen, { collect: () => HttpMetrics.countOpenStreams(streamsOpen) });
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const pending = { req, res };
    HttpMetrics.open.add(pending);
    res.once('close', () => {
      HttpMetrics.open.delete(pending);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = { route: routeOf(req), method: req.method };
      if (isLongLivedStream(req, res)) this.streamDuration.observe(labels, seconds);
      else this.requestDuration.observe({ ...labels, status: String(res.statusCode) }, seconds);
    });
    next();
  };

  private static countOpenStreams(gauge: Gauge<'route' | 'method'>): void {
    gauge.reset();
    // A series that reads 0 rather than vanishing once its last stream closes.
    for (const kind of STREAM_KINDS) gauge.set(kind, 0);
    for (const { req, res } of HttpMetrics.open) {
      if (res.headersSent && isLongLivedStream(req, res)) {
        gauge.inc({ route: routeOf(req), method: req.method });
      }
    }
  }
}
