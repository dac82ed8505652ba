import type { IncomingMessage } from 'node:http';
import type { CallRecord } from './call-record';

/** The MCP routes, by their canonical path whatever variant reached them (`/mcp/`, `/mcp?…`). */
export type McpRoute = '/mcp' | '/sse' | '/messages';

/** The 2026-07-28 request that holds its response open as an event stream. */
export const LISTEN_METHOD = 'subscriptions/listen';

/**
 * What an MCP request is, decided once and read by everything that needs it: the session-open
 * limit, the exception filter (JSON-RPC error bodies), the access log and metrics. The route is
 * known when the request reaches an MCP controller; the rest once its body has been read.
 */
export interface McpExchange extends CallRecord {
  route: McpRoute;
  /** An `initialize` POST to /mcp without a session id, or a new legacy SSE stream. */
  opensSession: boolean;
  /** The JSON-RPC method of a single message ("batch" for several), once the body is read. */
  method?: string;
  /** What the message names: a tool or prompt name, a resource URI. Truncated for logs. */
  target?: string;
  /** Protocol era serving the request: "2024-11-05" (legacy SSE), "2025" (sessions), "2026". */
  era?: string;
}

const EXCHANGE = Symbol('mcpExchange');
/** Longest name or URI copied into a log line: clients choose them. */
const MAX_TARGET_LENGTH = 200;

type WithExchange = IncomingMessage & { [EXCHANGE]?: McpExchange };

/** Marks a request as an MCP request on a route; called once, before any guard runs. */
export function beginExchange(req: IncomingMessage, route: McpRoute): McpExchange {
  const exchange: McpExchange = {
    route,
    opensSession: route === '/sse' && req.method === 'GET',
    // The legacy HTTP+SSE transport is one protocol version; /mcp's is decided by its service.
    ...(route !== '/mcp' && { era: '2024-11-05' }),
  };
  (req as WithExchange)[EXCHANGE] = exchange;
  return exchange;
}

/** The request's MCP exchange, or undefined for every other route. */
export function exchangeOf(req: IncomingMessage): McpExchange | undefined {
  return (req as WithExchange)[EXCHANGE];
}

/** Fills in what the parsed body says: the method, what it names, whether it opens a session. */
export function classifyBody(req: IncomingMessage, body: unknown): void {
  const exchange = exchangeOf(req);
  if (!exchange) return;
  if (Array.isArray(body)) {
    exchange.method = 'batch';
    return;
  }
  if (typeof body !== 'object' || body === null) return;
  const { method, params } = body as { method?: unknown; params?: unknown };
  if (typeof method !== 'string') return;
  exchange.method = method.slice(0, MAX_TARGET_LENGTH);
  const target = targetOf(params);
  if (target !== undefined) exchange.target = target.slice(0, MAX_TARGET_LENGTH);
  exchange.opensSession =
    exchange.route === '/mcp' &&
    req.method === 'POST' &&
    method === 'initialize' &&
    !req.headers['mcp-session-id'];
}

function targetOf(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { name, uri } = params as { name?: unknown; uri?: unknown };
  if (typeof name === 'string') return name;
  if (typeof uri === 'string') return uri;
  return undefined;
}

/** The fields an access log line carries for an MCP request. */
export function exchangeLogFields(exchange: McpExchange): Record<string, string | number> {
  const fields: Record<string, string | number> = {};
  if (exchange.method) fields.rpcMethod = exchange.method;
  if (exchange.target) fields.rpcTarget = exchange.target;
  if (exchange.era) fields.era = exchange.era;
  if (exchange.outcome) fields.outcome = exchange.outcome;
  if (exchange.failure) fields.failure = exchange.failure;
  if (exchange.durationMs !== undefined) fields.durationMs = exchange.durationMs;
  return fields;
}
