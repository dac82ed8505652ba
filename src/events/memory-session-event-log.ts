import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { eventBytes, eventIdOf } from './event-ids';
import type { SessionEventLog, StoredEvent } from './session-event-log';

export interface EventLogBounds {
  maxEvents: number;
  maxBytes: number;
}

interface SessionEvents {
  events: { event: StoredEvent; bytes: number }[];
  bytes: number;
  /** When it was last appended to (ms). */
  touchedAt: number;
}

/** Logs nobody appended to for their time to live are looked for at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

type Listener = (event: StoredEvent) => void;

/**
 * The event log of one process (no REDIS_URL). Positions come from one counter for every
 * session, so an id is never valid in two sessions: another session's id is simply not found.
 * Followers are called synchronously by `append`, before its promise resolves. A session's log
 * goes when it is dropped, or once nothing was appended to it for `ttlMs` (the session idle
 * timeout, as in Redis): an append for a session that has just ended is not kept forever.
 */
export class MemorySessionEventLog implements SessionEventLog {
  private readonly sessions = new Map<string, SessionEvents>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private position = 0;
  private sweptAt: number;

  constructor(
    private readonly bounds: EventLogBounds,
    private readonly ttlMs = Infinity,
    private readonly now: () => number = Date.now,
  ) {
    this.sweptAt = now();
  }

  append(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string> {
    this.sweep();
    this.position += 1;
    const event: StoredEvent = {
      id: eventIdOf(streamId, String(this.position)),
      streamId,
      message,
    };
    let log = this.sessions.get(sessionId);
    if (!log) {
      log = { events: [], bytes: 0, touchedAt: 0 };
      this.sessions.set(sessionId, log);
    }
    log.touchedAt = this.now();
    const bytes = eventBytes(JSON.stringify(message));
    log.events.push({ event, bytes });
    log.bytes += bytes;
    // Oldest first, until both bounds hold (an event larger than the byte bound is not kept).
    while (
      log.events.length > 0 &&
      (log.events.length > this.bounds.maxEvents || log.bytes > this.bounds.maxBytes)
    ) {
      log.bytes -= log.events.shift()!.bytes;
    }
    for (const listener of this.listeners.get(sessionId) ?? []) {
      try {
        listener(event);
      } catch {
        // A follower's failure is its own; the others and the caller go on.
      }
    }
    return Promise.resolve(event.id);
  }

  after(
    sessionId: string,
    eventId: string,
  ): Promise<{ streamId: string; events: StoredEvent[] } | undefined> {
    const events = this.sessions.get(sessionId)?.events ?? [];
    const index = events.findIndex(({ event }) => event.id === eventId);
    if (index < 0) return Promise.resolve(undefined);
    const { streamId } = events[index].event;
    return Promise.resolve({
      streamId,
      events: events
        .slice(index + 1)
        .map(({ event }) => event)
        .filter((event) => event.streamId === streamId),
    });
  }

  follow(sessionId: string, listener: Listener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    // Its own wrapper: the same function may follow twice and stop each separately.
    const own: Listener = (event) => listener(event);
    set.add(own);
    return () => {
      set.delete(own);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  drop(sessionId: string): Promise<void> {
    this.sessions.delete(sessionId);
    return Promise.resolve();
  }

  /** Forgets the logs nobody appended to for their time to live (at most once a minute). */
  private sweep(): void {
    const now = this.now();
    if (now - this.sweptAt < Math.min(SWEEP_INTERVAL_MS, this.ttlMs)) return;
    this.sweptAt = now;
    for (const [sessionId, log] of this.sessions) {
      if (now - log.touchedAt >= this.ttlMs) this.sessions.delete(sessionId);
    }
  }

  /** Sessions with events kept (for tests and metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }
}
