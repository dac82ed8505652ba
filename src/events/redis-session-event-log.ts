import { Logger } from '@nestjs/common';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type Redis from 'ioredis';
import type { RedisConnection } from '../redis/redis-connection';
import { APPEND_SCRIPT } from './event-log-scripts';
import { eventBytes, eventIdOf, isPositionAfter, jsonOf, parseEventId } from './event-ids';
import type { EventLogBounds } from './memory-session-event-log';
import { EventTooLargeError, type SessionEventLog, type StoredEvent } from './session-event-log';

/** The channel (under the key prefix) that says which session has new events. */
export const EVENT_LOG_CHANNEL = 'ev';
/** Entries read per XRANGE while catching up; the log holds at most a few hundred. */
const READ_BATCH = 500;
const ENTRY_ID = /^\d+-\d+$/;

type Listener = (event: StoredEvent) => void;
type Entry = [id: string, fields: string[]];
type Scripted = Redis & {
  /** The entry id, or null when the event is larger than the byte bound (nothing appended). */
  eventLogAppend(...args: (string | number)[]): Promise<string | null>;
};

/** The followers of one session on this replica, and the one reader they share. */
interface Reader {
  listeners: Set<Listener>;
  /** The last entry passed on; reading resumes after it. */
  lastSeen: string;
  /** Resolves once `lastSeen` is where the session's stream ended when following began. */
  ready: Promise<void>;
  reading?: Promise<void>;
  /** More was announced while reading: read again after. */
  again: boolean;
}

/**
 * The event log in Redis, shared by the replicas:
 * - `ev:{sessionId}` a stream per session (fields `s` stream id, `m` message JSON), capped by
 *   count and bytes, expiring with the session idle timeout;
 * - `ev:{sessionId}:bytes` the JSON bytes it holds (same expiry);
 * - channel `ev` carries `[sessionId, entryId]` for every append, so a replica with followers of
 *   that session reads the new entries (XRANGE after the last it saw) and calls them in order.
 * Event ids are `<streamId>_<entryId>`. Commands fail fast while Redis is down (the connection
 * has no offline queue and a command timeout): `append` then rejects.
 */
export class RedisSessionEventLog implements SessionEventLog {
  private readonly logger = new Logger(RedisSessionEventLog.name);
  private readonly readers = new Map<string, Reader>();
  private defined?: Scripted;

  constructor(
    private readonly redis: RedisConnection,
    private readonly bounds: EventLogBounds,
    private readonly ttlMs: number,
  ) {}

  /** Subscribes to the channel (at boot, before the server takes requests). */
  listen(): Promise<void> {
    return this.redis.subscribe(EVENT_LOG_CHANNEL, (text) => {
      const announced = parsedAnnouncement(text);
      if (announced) this.announced(announced[0], announced[1]);
    });
  }

  /**
   * Rejects when Redis fails (counted as a fallback of use `events`, logged at most every 30 s),
   * or with {@link EventTooLargeError} for a message larger than the byte bound (the script
   * refuses it): the caller delivers the message without an id, or goes on without it.
   */
  async append(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string> {
    const json = jsonOf(message);
    const entryId = await this.appended(sessionId, streamId, json);
    if (entryId === null) {
      throw new EventTooLargeError(eventBytes(json), this.bounds.maxBytes);
    }
    // Followers here need not wait for the channel's round trip.
    this.announced(sessionId, entryId);
    return eventIdOf(streamId, entryId);
  }

  private async appended(
    sessionId: string,
    streamId: string,
    json: string,
  ): Promise<string | null> {
    try {
      return await this.client.eventLogAppend(
        this.streamKey(sessionId),
        this.bytesKey(sessionId),
        streamId,
        json,
        this.bounds.maxEvents,
        this.bounds.maxBytes,
        this.ttlMs,
        this.redis.key(EVENT_LOG_CHANNEL),
        sessionId,
      );
    } catch (error) {
      this.redis.fellBack('events', error);
      throw error;
    }
  }

  async after(
    sessionId: string,
    eventId: string,
  ): Promise<{ streamId: string; events: StoredEvent[] } | undefined> {
    const parsed = parseEventId(eventId);
    if (!parsed || !ENTRY_ID.test(parsed.position)) return undefined;
    const key = this.streamKey(sessionId);
    const results = await this.client
      .pipeline()
      .xrange(key, parsed.position, parsed.position)
      .xrange(key, `(${parsed.position}`, '+')
      .exec();
    const [[findError, found], [readError, later]] = results as [
      [Error | null, Entry[]],
      [Error | null, Entry[]],
    ];
    if (findError ?? readError) throw findError ?? readError;
    const own = found.map((entry) => eventOf(entry)).find(Boolean);
    if (!own || own.streamId !== parsed.streamId) return undefined;
    const events = later
      .map((entry) => eventOf(entry))
      .filter((event): event is StoredEvent => event?.streamId === parsed.streamId);
    return { streamId: parsed.streamId, events };
  }

  follow(sessionId: string, listener: Listener): () => void {
    let reader = this.readers.get(sessionId);
    if (!reader) reader = this.startReader(sessionId);
    // Its own wrapper: the same function may follow twice and stop each separately.
    const own: Listener = (event) => listener(event);
    reader.listeners.add(own);
    const followed = reader;
    return () => {
      followed.listeners.delete(own);
      if (followed.listeners.size === 0 && this.readers.get(sessionId) === followed) {
        this.readers.delete(sessionId);
      }
    };
  }

  async drop(sessionId: string): Promise<void> {
    await this.client.del(this.streamKey(sessionId), this.bytesKey(sessionId));
  }

  /** Sessions followed on this replica (one reader each). */
  get followedSessions(): number {
    return this.readers.size;
  }

  /**
   * A reader starting where the session's stream ends now: the XREVRANGE goes out before any
   * append made after `follow()` returns (one connection, commands in order), so those come.
   */
  private startReader(sessionId: string): Reader {
    const reader: Reader = {
      listeners: new Set(),
      lastSeen: '0-0',
      again: false,
      ready: Promise.resolve(),
    };
    reader.ready = this.lastEntryId(sessionId)
      .then((id) => {
        reader.lastSeen = id;
      })
      .catch((error: unknown) => {
        // Without Redis nothing is appended either: follow from this moment by the clock.
        reader.lastSeen = `${Date.now()}-0`;
        this.redis.fellBack('events', error);
      });
    this.readers.set(sessionId, reader);
    return reader;
  }

  private async lastEntryId(sessionId: string): Promise<string> {
    const last = (await this.client.xrevrange(
      this.streamKey(sessionId),
      '+',
      '-',
      'COUNT',
      1,
    )) as Entry[];
    return last[0]?.[0] ?? '0-0';
  }

  /** The session has an entry `entryId`: its reader here (if any) reads what it has not seen. */
  private announced(sessionId: string, entryId: string): void {
    const reader = this.readers.get(sessionId);
    if (!reader) return;
    if (reader.reading) {
      reader.again = true;
      return;
    }
    if (!isPositionAfter(entryId, reader.lastSeen)) return;
    reader.reading = this.read(sessionId, reader).finally(() => {
      reader.reading = undefined;
    });
  }

  private async read(sessionId: string, reader: Reader): Promise<void> {
    await reader.ready;
    do {
      reader.again = false;
      let entries: Entry[];
      try {
        entries = (await this.client.xrange(
          this.streamKey(sessionId),
          `(${reader.lastSeen}`,
          '+',
          'COUNT',
          READ_BATCH,
        )) as Entry[];
      } catch (error) {
        // The next announcement reads from the same place.
        this.redis.fellBack('events', error);
        return;
      }
      for (const entry of entries) {
        reader.lastSeen = entry[0];
        const event = eventOf(entry);
        if (!event) continue;
        for (const listener of reader.listeners) {
          try {
            listener(event);
          } catch (error) {
            this.logger.warn({ err: error, sessionId }, 'an event log follower failed');
          }
        }
      }
      if (entries.length === READ_BATCH) reader.again = true;
    } while (reader.again && this.readers.get(sessionId) === reader);
  }

  private streamKey(sessionId: string): string {
    return this.redis.key('ev', sessionId);
  }

  private bytesKey(sessionId: string): string {
    return this.redis.key('ev', sessionId, 'bytes');
  }

  /** The command connection with the script defined (once: the connection exists after init). */
  private get client(): Scripted {
    if (this.defined) return this.defined;
    const client = this.redis.command;
    client.defineCommand('eventLogAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
    this.defined = client as Scripted;
    return this.defined;
  }
}

/** A stream entry as an event; undefined for an entry that is not one of ours. */
function eventOf([entryId, fields]: Entry): StoredEvent | undefined {
  let streamId: string | undefined;
  let json: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 's') streamId = fields[i + 1];
    else if (fields[i] === 'm') json = fields[i + 1];
  }
  if (streamId === undefined || json === undefined) return undefined;
  try {
    return {
      id: eventIdOf(streamId, entryId),
      streamId,
      message: JSON.parse(json) as JSONRPCMessage,
    };
  } catch {
    return undefined;
  }
}

function parsedAnnouncement(text: string): [string, string] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (
      Array.isArray(value) &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      ENTRY_ID.test(value[1])
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // Not ours.
  }
  return undefined;
}
