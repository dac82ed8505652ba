import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/**
 * Event ids are `<streamId>_<position>`: the stream a client resumes is read from the id it sends
 * back, and the position orders the session's events. The position is a counter (in this
 * process) or a Redis stream entry id (`<ms>-<n>`); the stream id may itself hold underscores
 * (`_GET_stream`), so the position is what follows the last one.
 */
export function eventIdOf(streamId: string, position: string): string {
  return `${streamId}_${position}`;
}

export interface ParsedEventId {
  streamId: string;
  position: string;
}

const POSITION = /^(\d{1,20})(?:-(\d{1,20}))?$/;

/** The stream and position an event id names; undefined for anything not shaped like ours. */
export function parseEventId(eventId: string): ParsedEventId | undefined {
  const cut = eventId.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const position = eventId.slice(cut + 1);
  if (!POSITION.test(position)) return undefined;
  return { streamId: eventId.slice(0, cut), position };
}

function order(position: string): [bigint, bigint] {
  const [, major, minor] = POSITION.exec(position) ?? [];
  return [BigInt(major ?? 0), BigInt(minor ?? 0)];
}

/**
 * Whether event `a` was appended after event `b` of the same session (their positions compared;
 * the streams do not matter). Unparsable ids are never after anything.
 */
export function isAfter(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  return pa !== undefined && pb !== undefined && isPositionAfter(pa.position, pb.position);
}

/** Whether position `a` (a counter or a Redis entry id) comes after `b`. */
export function isPositionAfter(a: string, b: string): boolean {
  if (!POSITION.test(a) || !POSITION.test(b)) return false;
  const [a1, a2] = order(a);
  const [b1, b2] = order(b);
  return a1 > b1 || (a1 === b1 && a2 > b2);
}

/**
 * The message stored for a priming event (the SDK stores the same): it holds a place in the
 * stream so a client can resume from it, and is never sent as a message.
 */
export const PRIMING_MESSAGE = {} as JSONRPCMessage;

/** Whether a stored message is a real JSON-RPC message (not a priming placeholder). */
export function isDeliverable(message: JSONRPCMessage): boolean {
  return (message as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

/** The size an event counts for against the byte bound: its JSON, in bytes. */
export function eventBytes(json: string): number {
  return Buffer.byteLength(json);
}

const serialized = new WeakMap<object, string>();

/**
 * A message's JSON, made once per message object: the log measures it and the stream writes it,
 * and an answer can be tens of kilobytes.
 */
export function jsonOf(message: JSONRPCMessage): string {
  let json = serialized.get(message);
  if (json === undefined) {
    json = JSON.stringify(message);
    serialized.set(message, json);
  }
  return json;
}
