import type { IncomingMessage } from 'node:http';
import { pathOf } from '../common/request-path';

/**
 * Requests that open a session: an `initialize` POST to /mcp without a session id, or a new
 * legacy SSE stream. They get their own, tighter limit so a reconnection storm cannot exhaust
 * the server.
 */
export function isSessionOpening(req: IncomingMessage & { body?: unknown }): boolean {
  const path = pathOf(req.url);
  if (req.method === 'GET' && path === '/sse') return true;
  if (req.method !== 'POST' || path !== '/mcp' || req.headers['mcp-session-id']) return false;
  const body = req.body as { method?: unknown } | undefined;
  return typeof body === 'object' && body !== null && body.method === 'initialize';
}
