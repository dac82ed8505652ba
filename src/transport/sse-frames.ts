import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { ServerResponse } from 'node:http';
import { isDeliverable, jsonOf } from '../events/event-ids';

/** One open response of an event stream (a stream may be served by several, one after another). */
export interface Connection {
  res: ServerResponse;
  /** The response headers, written with its first bytes. */
  headers: Record<string, string | number>;
  keepAlive?: NodeJS.Timeout;
  /** The id of the last event this response carried (or the client said it has). */
  lastEventId?: string;
  /** Written in this turn of the event loop, sent together at its end (or with `end`). */
  pending?: string;
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
  return `event: message\n${id}data: ${jsonOf(message)}\n\n`;
}

/** The reconnection delay hint alone (an event without data: applied, never dispatched). */
export function retryFrame(retryMs: number): string {
  return `retry: ${retryMs}\n\n`;
}

export function isOpen({ res }: Connection): boolean {
  return !res.writableEnded && !res.destroyed;
}

/**
 * Writes events, gathered until the end of this turn of the event loop: a POST answered at once
 * goes out with its priming event in one piece (see `end`), and several events written together
 * in one write.
 */
export function write(connection: Connection, text: string): void {
  if (!isOpen(connection)) return;
  if (connection.pending !== undefined) {
    connection.pending += text;
    return;
  }
  connection.pending = text;
  setImmediate(() => flush(connection));
}

function flush(connection: Connection): void {
  const text = connection.pending;
  connection.pending = undefined;
  const { res } = connection;
  if (text === undefined || !isOpen(connection)) return;
  if (!res.headersSent) res.writeHead(200, connection.headers);
  res.write(text);
}

/**
 * Ends a response, with what is still gathered and its last bytes. A response that has not sent
 * anything yet goes out in one piece, with its length: headers, the events and the end in one
 * write.
 */
export function end(connection: Connection, last = ''): void {
  clearInterval(connection.keepAlive);
  const text = (connection.pending ?? '') + last;
  connection.pending = undefined;
  const { res } = connection;
  if (!isOpen(connection)) return;
  if (!res.headersSent) {
    res.writeHead(200, { ...connection.headers, 'Content-Length': Buffer.byteLength(text) });
  }
  res.end(text);
}
