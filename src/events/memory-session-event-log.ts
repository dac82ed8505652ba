import { Logger } from '@nestjs/common';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { eventBytes, eventIdOf, jsonOf } from './event-ids';
import { EventTooLargeError, type SessionEventLog, type StoredEvent } from './session-event-log';

export interface EventLogBounds {
  maxEvents: number;
  maxBytes: number;
}

export interface MemoryEventLogBounds extends EventLogBounds {
  /**
   * The JSON bytes every session's log may hold together in this process: beyond, the whole logs
   * of the sessions least recently appended to go. Unbounded when not given.
   */
  totalMaxBytes?: number;
}

/** The least the process-wide budget is, whatever the per-session bound. */
export const MIN_TOTAL_EVENT_BYTES = 64 * 1024 * 1024;

/**
 * The process-wide budget for a per-session byte bound: 64 MiB, or room for 16 sessions with
 * full logs when that is more (so a large bound does not leave room for only a handful).
 */
export function totalEventBytesFor(maxBytesPerSession: number): number {
  return Math.max(MIN_TOTAL_EVENT_BYTES, 16 * maxBytesPerSession);
}

interface SessionEvents {
  events: { event: StoredEvent; bytes: number }[];
  bytes: number;
  /** When it was last appended to (ms). */
  touchedAt: number;
}

/** Logs nobody appended to for their time to live are looked for at most this often. */
const SWEEP_INTERVAL_MS = 60_000;
/** Logs dropped for the process-wide budget are reported at most this often. */
const EVICTION_REPORT_INTERVAL_MS = 60_000;

type Listener = (event: StoredEvent) => void;

/**
 * The event log of one process (no REDIS_URL). Positions come from one counter for every
 * session, so an id is never valid in two sessions: another session's id is simply not found.
 * Followers are called synchronously by `append`, before its promise resolves. A session's log
 * goes when it is dropped, or once nothing was appended to it for `ttlMs` (the session idle
 * timeout, as in Redis): an append for a session that has just ended is not kept forever.
 * All the logs together hold at most `totalMaxBytes`: many sessions cannot exhaust the memory.
 */
export class MemorySessionEventLog implements SessionEventLog {
  private readonly logger = new Logger(MemorySessionEventLog.name);
  /** In the order they were last appended to: the least recent first. */
  private readonly sessions = new Map<string, SessionEvents>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private position = 0;
  private sweptAt: number;
  private bytes = 0;
  private evicted = 0;
  private evictionReportedAt = -Infinity;

  constructor(
    private readonly bounds: MemoryEventLogBounds,
    private readonly ttlMs = Infinity,
    private readonly now: () => number = Date.now,
  ) {
    this.sweptAt = now();
  }

  append(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string> {
    const bytes = eventBytes(jsonOf(message));
    // Kept, it would push every older event of the session out, and itself too.
    if (bytes > this.bounds.maxBytes) {
      return Promise.reject(new EventTooLargeError(bytes, this.bounds.maxBytes));
    }
    this.sweep();
    this.position += 1;
    const event: StoredEvent = {
      id: eventIdOf(streamId, String(this.position)),
      streamId,
      message,
    };
    let log = this.sessions.get(sessionId);
    if (log) this.sessions.delete(sessionId);
    else log = { events: [], bytes: 0, touchedAt: 0 };
    // Re-inserted: the map stays ordered by last append.
    this.sessions.set(sessionId, log);
    log.touchedAt = this.now();
    log.events.push({ event, bytes });
    log.bytes += bytes;
    this.bytes += bytes;
    // Oldest first, until both bounds hold.
    while (
      log.events.length > 0 &&
      (log.events.length > this.bounds.maxEvents || log.bytes > this.bounds.maxBytes)
    ) {
      const dropped = log.events.shift()!.bytes;
      log.bytes -= dropped;
      this.bytes -= dropped;
    }
    this.keepWithinTotal(sessionId);
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
    this.forget(sessionId);
    return Promise.resolve();
  }

  /** Forgets the logs nobody appended to for their time to live (at most once a minute). */
  private sweep(): void {
    const now = this.now();
    if (now - this.sweptAt < Math.min(SWEEP_INTERVAL_MS, this.ttlMs)) return;
    this.sweptAt = now;
    for (const [sessionId, log] of this.sessions) {
      if (now - log.touchedAt >= this.ttlMs) this.forget(sessionId);
    }
  }

  /**
   * Drops the whole logs of the sessions least recently appended to until all the logs fit the
   * process-wide budget; never the log of `appendedTo` (its own bounds already hold it).
   */
  private keepWithinTotal(appendedTo: string): void {
    const budget = this.bounds.totalMaxBytes ?? Infinity;
    if (this.bytes <= budget) return;
    for (const sessionId of this.sessions.keys()) {
      if (this.bytes <= budget) break;
      if (sessionId === appendedTo) continue;
      this.forget(sessionId);
      this.evicted += 1;
    }
    const now = this.now();
    if (this.evicted > 0 && now - this.evictionReportedAt >= EVICTION_REPORT_INTERVAL_MS) {
      this.evictionReportedAt = now;
      this.logger.warn(
        { evictedSessions: this.evicted, totalMaxBytes: budget },
        'event logs over their total budget: the least recently used sessions can no longer resume',
      );
      this.evicted = 0;
    }
  }

  private forget(sessionId: string): void {
    const log = this.sessions.get(sessionId);
    if (!log) return;
    this.bytes -= log.bytes;
    this.sessions.delete(sessionId);
  }

  /** Sessions with events kept (for tests and metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The JSON bytes every session's log holds together (for tests and metrics). */
  get totalBytes(): number {
    return this.bytes;
  }
}
