import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { ServerResponse } from 'node:http';
import { isDeliverable } from '../events/event-ids';

/** One open response of an event stream (a stream may be served by several, one after another). */
export interface Connection {
  res: ServerResponse;
  /** The response headers, written with its first bytes. */
  headers: Record<string, string | number>;
  keepAlive?: NodeJS.Timeout;
  /** The id of the last event this response carried (or the client said it has). */
  lastEventId?: string;
}

/**
 * A message as an SSE event, with its event id when it has one. A stored priming placeholder
 * goes out as the SDK writes it: an id and empty data (with the `retry:` hint when given).
 */
export function frame(message: JSONRPCMessage, eventId?: string, retryMs?: number): string {
  const id = eventId === undefined ? '' : `id: ${eventId}\n`;
  if (!isDeliverable(message)) {
    return `${id}${retryMs === undefined ? '' : `retry: ${retryMs}\n`}data: \n\n`;
  }
  return `event: message\n${id}data: ${JSON.stringify(message)}\n\n`;
}

/** The reconnection delay hint alone (an event without data: applied, never dispatched). */
export function retryFrame(retryMs: number): string {
  return `retry: ${retryMs}\n\n`;
}

export function isOpen({ res }: Connection): boolean {
  return !res.writableEnded && !res.destroyed;
}

export function write(connection: Connection, text: string): void {
  const { res } = connection;
  if (!isOpen(connection)) return;
  if (!res.headersSent) res.writeHead(200, connection.headers);
  res.write(text);
}

/**
 * Ends a response, with its last bytes when there are some. A response that has not written
 * anything yet goes out in one piece, with its length: headers, the event and the end in one write.
 */
export function end(connection: Connection, last = ''): void {
  clearInterval(connection.keepAlive);
  const { res } = connection;
  if (!isOpen(connection)) return;
  if (!res.headersSent) {
    res.writeHead(200, { ...connection.headers, 'Content-Length': Buffer.byteLength(last) });
  }
  res.end(last);
}
