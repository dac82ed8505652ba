import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Options } from 'pino-http';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../common/package-info';
import { exchangeLogFields, exchangeOf } from '../common/mcp-exchange';
import { queryParam, redactUrl } from '../common/request-path';
import type { LoggingConfig } from '../config/configuration.types';
import { isServerFailure } from './access-log';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Log lines are written in chunks of at least this size rather than one write each: a write per
 * line (a thread-pool round trip) cost more than a cached tool call. `LOG_FLUSH_MS` bounds how
 * long a line waits on a quiet server; everything is flushed when the process exits.
 */
export const LOG_BUFFER_BYTES = 4096;
export const LOG_FLUSH_MS = 200;

/** Secrets never reach a log line, whatever the level. */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.apiKey',
  '*.password',
  '*.token',
];

/** Clients choose their user agent: a log line keeps its start. */
const MAX_USER_AGENT = 256;

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Keeps a caller's (or the gateway's) request id when it is sane, otherwise makes one. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id =
    typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

const PROBE_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * Probes and scrapes arrive every few seconds; logging each one would drown everything else.
 * A change in a probe's answer is logged once instead (see ProbeStateLog).
 */
function isProbe(req: IncomingMessage): boolean {
  return PROBE_PATHS.has(req.url?.split('?')[0] ?? '');
}

/**
 * What a request's access line says beyond HTTP, known once it is answered: who called (the key's
 * label, never the key), which session (named by the request, or opened by it), and for an MCP
 * request its JSON-RPC method, what it named and how the call ended. Each field once per line.
 */
export function requestLogFields(
  req: IncomingMessage,
  res: ServerResponse,
): Record<string, string | number> | undefined {
  const request = req as IncomingMessage & { principal?: { label: string } };
  const sessionId =
    req.headers['mcp-session-id'] ??
    queryParam(req.url, 'sessionId') ??
    res.getHeader('mcp-session-id');
  const exchange = exchangeOf(req);
  if (!request.principal && typeof sessionId !== 'string' && !exchange) return undefined;
  return {
    ...(request.principal && { keyLabel: request.principal.label }),
    ...(typeof sessionId === 'string' && { sessionId: sessionId.slice(0, 128) }),
    ...(exchange && exchangeLogFields(exchange)),
  };
}

export function buildPinoHttpOptions(config: LoggingConfig): Options {
  const fd = config.destination === 'stderr' ? 2 : 1;
  return {
    level: config.level,
    base: { app: PACKAGE_NAME, version: PACKAGE_VERSION },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: requestIdFor,
    autoLogging: { ignore: isProbe },
    customLogLevel: (_req, res, error) =>
      isServerFailure(res.statusCode, error) ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      // The status is what matters; the response headers would double every line's size.
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      // Only what helps to follow a request: no headers, and no key sent in the query string.
      req: (req: {
        id: string;
        method: string;
        url: string;
        headers: Record<string, unknown>;
      }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        userAgent: (req.headers['user-agent'] as string | undefined)?.slice(0, MAX_USER_AGENT),
      }),
    },
    ...(config.format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { destination: fd, colorize: false, singleLine: true },
          },
        }
      : { stream: pino.destination({ fd, sync: false, minLength: LOG_BUFFER_BYTES }) }),
  };
}
