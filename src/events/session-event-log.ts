import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/** Injection token of the {@link SessionEventLog} (in this process, or in Redis for replicas). */
export const SESSION_EVENT_LOG = Symbol('SESSION_EVENT_LOG');

/**
 * The stream id of a session's server-initiated messages: the Streamable HTTP GET stream, the
 * legacy SSE stream, stdout. The SDK's web transport uses the same name.
 */
export const STANDALONE_STREAM = '_GET_stream';

export interface StoredEvent {
  /** Unique within its session, in append order; what a client sends back as Last-Event-ID. */
  id: string;
  streamId: string;
  message: JSONRPCMessage;
}

/**
 * What each session was sent, per stream, so a client that lost a stream can resume it with
 * Last-Event-ID, and so a message appended anywhere (another replica, the subscription poller)
 * reaches the process holding the session's stream. Bounded per session by count and bytes
 * (oldest dropped). Every lookup is scoped to one session: an event id of another session is
 * unknown here, never replayed.
 */
export interface SessionEventLog {
  /**
   * Stores a message of one of the session's streams; resolves to its event id. Rejects with
   * {@link EventTooLargeError} (nothing stored, the session's older events kept, no follower
   * called) when the message alone exceeds the byte bound.
   */
  append(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string>;
  /**
   * The session's events on the stream of `eventId`, after it; undefined when the session has
   * no such event (never sent, dropped by the bounds, or another session's).
   */
  after(
    sessionId: string,
    eventId: string,
  ): Promise<{ streamId: string; events: StoredEvent[] } | undefined>;
  /**
   * Calls `listener` with each event appended to the session from now on, here or on another
   * replica, in order; returns the function that stops it.
   */
  follow(sessionId: string, listener: (event: StoredEvent) => void): () => void;
  /** Forgets the session's events (the session ended). */
  drop(sessionId: string): Promise<void>;
}

/**
 * A message larger than a session's whole byte bound: it is not stored (keeping it would drop
 * every older event of the session), so it cannot be resumed; the caller delivers it without an id.
 */
export class EventTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`Event of ${bytes} bytes exceeds the event log's bound of ${maxBytes} bytes per session`);
    this.name = 'EventTooLargeError';
  }
}
