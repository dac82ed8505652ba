import { Counter, Gauge } from 'prom-client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { eventually } from '../../test/support/eventually';
import {
  deletePrefix,
  keysUnder,
  redisClient,
  REDIS_URL,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from '../../test/support/redis';
import { RedisConnection } from '../redis/redis-connection';
import { isAfter, parseEventId } from './event-ids';
import { RedisSessionEventLog } from './redis-session-event-log';
import { EventTooLargeError, STANDALONE_STREAM, type StoredEvent } from './session-event-log';

const TTL_MS = 60_000;

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri: `aareguru://current/bern?n=${n}` },
});

const bytesOf = (message: JSONRPCMessage) => Buffer.byteLength(JSON.stringify(message));

/** Fallbacks counted by every connection the spec made, by use. */
const fallbacks = new Counter({
  name: 'redis_fallbacks_ev_spec',
  help: 'spec',
  labelNames: ['use'],
  registers: [],
});

function connection(prefix: string, url = REDIS_URL, replicaId = 'replica-a') {
  return new RedisConnection(
    { url, keyPrefix: prefix, replicaId, commandTimeoutMs: 1000 },
    new Gauge({ name: 'redis_connected_ev_spec', help: 'spec', registers: [] }),
    fallbacks,
  );
}

async function eventsFallbacks(): Promise<number> {
  return (await fallbacks.get()).values.find((v) => v.labels.use === 'events')?.value ?? 0;
}

describe('RedisSessionEventLog', () => {
  const admin = redisClient();
  let prefix: string;
  const connections: RedisConnection[] = [];

  /** A replica: its own connections to Redis and its own log, subscribed to the channel. */
  async function replica(
    bounds = { maxEvents: 10, maxBytes: 100_000 },
    url = REDIS_URL,
  ): Promise<RedisSessionEventLog> {
    const redis = connection(prefix, url, `replica-${connections.length}`);
    connections.push(redis);
    const log = new RedisSessionEventLog(redis, bounds, TTL_MS);
    const listening = log.listen();
    await redis.onModuleInit();
    await listening;
    return log;
  }

  beforeAll(() => requireRedis());
  afterAll(() => admin.disconnect());

  beforeEach(() => {
    prefix = uniquePrefix('event-log');
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.onApplicationShutdown()));
    await deletePrefix(prefix);
  });

  it('gives ids that name the stream and order the session’s events', async () => {
    const log = await replica();
    const first = await log.append('s1', STANDALONE_STREAM, note(1));
    const second = await log.append('s1', 'post-1', note(2));
    expect(parseEventId(first)?.streamId).toBe(STANDALONE_STREAM);
    expect(parseEventId(second)?.streamId).toBe('post-1');
    expect(parseEventId(second)?.position).toMatch(/^\d+-\d+$/);
    expect(isAfter(second, first)).toBe(true);
  });

  it('replays the events after an id, of that id’s stream only', async () => {
    const log = await replica();
    const start = await log.append('s1', STANDALONE_STREAM, note(1));
    await log.append('s1', 'post-1', note(2));
    const third = await log.append('s1', STANDALONE_STREAM, note(3));
    const fourth = await log.append('s1', STANDALONE_STREAM, note(4));
    const found = await log.after('s1', start);
    expect(found?.streamId).toBe(STANDALONE_STREAM);
    expect(found?.events.map((e) => e.id)).toEqual([third, fourth]);
    expect(found?.events.map((e) => e.message)).toEqual([note(3), note(4)]);
    expect((await log.after('s1', fourth))?.events).toEqual([]);
  });

  it('looks an id up in that session’s log only: another session’s or a forged id is unknown', async () => {
    const log = await replica();
    const ofA = await log.append('a', STANDALONE_STREAM, note(1));
    await log.append('a', STANDALONE_STREAM, note(2));
    const ofB = await log.append('b', 'post-b', note(3));
    await log.append('b', 'post-b', note(4));
    expect(await log.after('b', ofA)).toBeUndefined();
    // The entry exists in b, but not on the stream the id names.
    const { position } = parseEventId(ofB)!;
    expect(await log.after('b', `${STANDALONE_STREAM}_${position}`)).toBeUndefined();
    expect(await log.after('b', `${STANDALONE_STREAM}_1-0`)).toBeUndefined();
    expect(await log.after('b', 'post-b_0')).toBeUndefined();
    expect(await log.after('b', 'nonsense')).toBeUndefined();
  });

  it('keeps at most maxEvents per session, dropping the oldest', async () => {
    const log = await replica({ maxEvents: 3, maxBytes: 100_000 });
    const ids: string[] = [];
    for (let n = 1; n <= 5; n += 1) ids.push(await log.append('s1', STANDALONE_STREAM, note(n)));
    expect(await log.after('s1', ids[0])).toBeUndefined();
    expect(await log.after('s1', ids[1])).toBeUndefined();
    expect((await log.after('s1', ids[2]))?.events.map((e) => e.message)).toEqual([
      note(4),
      note(5),
    ]);
    expect(await admin.xlen(`${prefix}ev:s1`)).toBe(3);
    expect(Number(await admin.get(`${prefix}ev:s1:bytes`))).toBe(3 * bytesOf(note(1)));
  });

  it('keeps at most maxBytes of JSON per session, dropping the oldest', async () => {
    const size = bytesOf(note(1));
    const log = await replica({ maxEvents: 100, maxBytes: size * 2 });
    const first = await log.append('s1', STANDALONE_STREAM, note(1));
    const second = await log.append('s1', STANDALONE_STREAM, note(2));
    expect((await log.after('s1', first))?.events).toHaveLength(1);
    await log.append('s1', STANDALONE_STREAM, note(3));
    expect(await log.after('s1', first)).toBeUndefined();
    expect((await log.after('s1', second))?.events.map((e) => e.message)).toEqual([note(3)]);
    expect(Number(await admin.get(`${prefix}ev:s1:bytes`))).toBe(2 * size);
  });

  it('refuses an event larger than the byte bound, keeping the session’s older events', async () => {
    const size = bytesOf(note(1));
    const here = await replica({ maxEvents: 100, maxBytes: size * 2 });
    const there = await replica({ maxEvents: 100, maxBytes: size * 2 });
    const first = await here.append('s1', STANDALONE_STREAM, note(1));
    const second = await here.append('s1', STANDALONE_STREAM, note(2));
    const seen: string[] = [];
    there.follow('s1', (event) => seen.push(event.id));
    const counted = await eventsFallbacks();
    const huge: JSONRPCMessage = { ...note(3), params: { uri: 'x'.repeat(size * 2) } };
    await expect(here.append('s1', STANDALONE_STREAM, huge)).rejects.toBeInstanceOf(
      EventTooLargeError,
    );
    // Not a Redis failure.
    expect(await eventsFallbacks()).toBe(counted);
    expect((await here.after('s1', first))?.events.map((e) => e.id)).toEqual([second]);
    expect(await admin.xlen(`${prefix}ev:s1`)).toBe(2);
    expect(Number(await admin.get(`${prefix}ev:s1:bytes`))).toBe(2 * size);
    // The next event is the first the follower gets: the refused one was never announced.
    const next = await here.append('s1', STANDALONE_STREAM, note(4));
    await eventually(() => seen.length > 0);
    expect(seen).toEqual([next]);
  });

  it('gives its keys the session idle timeout as TTL', async () => {
    const log = await replica();
    await log.append('s1', STANDALONE_STREAM, note(1));
    const keys = (await keysUnder(admin, prefix)).filter((k) => !k.includes(':alive:'));
    expect(keys.sort()).toEqual([`${prefix}ev:s1`, `${prefix}ev:s1:bytes`]);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TTL_MS);
    }
  });

  it('calls followers on another replica with each new event, in order, from the follow on', async () => {
    const here = await replica();
    const there = await replica();
    await here.append('s1', STANDALONE_STREAM, note(0));
    const seen: StoredEvent[] = [];
    const other: StoredEvent[] = [];
    const stop = there.follow('s1', (event) => seen.push(event));
    there.follow('s2', (event) => other.push(event));
    const ids: string[] = [];
    for (let n = 1; n <= 5; n += 1) {
      ids.push(await here.append('s1', n % 2 ? STANDALONE_STREAM : 'post-1', note(n)));
    }
    await eventually(() => seen.length === 5);
    expect(seen.map((e) => e.id)).toEqual(ids);
    expect(seen.map((e) => e.message)).toEqual([1, 2, 3, 4, 5].map(note));
    expect(other).toEqual([]);
    stop();
    expect(there.followedSessions).toBe(1);
  });

  it('calls followers on the appending replica too, each event once', async () => {
    const log = await replica();
    const seen: string[] = [];
    log.follow('s1', (event) => seen.push(event.id));
    // Beside the log's own handler on the replica's channel: each announcement has reached the
    // log once it is here.
    const announcements: string[] = [];
    await connections[0].subscribe('ev', (message) => announcements.push(message));
    const ids = await Promise.all(
      [1, 2, 3].map((n) => log.append('s1', STANDALONE_STREAM, note(n))),
    );
    await eventually(() => seen.length >= 3 && announcements.length === 3);
    // The channel's own announcement of these appends came after them and added nothing.
    await log.append('s1', STANDALONE_STREAM, note(4));
    await eventually(() => seen.length >= 4);
    expect(seen.slice(0, 3)).toEqual(ids);
    expect(seen).toHaveLength(4);
  });

  it('followers of one session on one replica share one reader', async () => {
    const here = await replica();
    const there = await replica();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = there.follow('s1', (event) => a.push(event.id));
    const stopB = there.follow('s1', (event) => b.push(event.id));
    expect(there.followedSessions).toBe(1);
    const id = await here.append('s1', STANDALONE_STREAM, note(1));
    await eventually(() => a.length === 1 && b.length === 1);
    expect(a).toEqual([id]);
    expect(b).toEqual([id]);
    stopA();
    expect(there.followedSessions).toBe(1);
    stopB();
    expect(there.followedSessions).toBe(0);
  });

  it('forgets a dropped session', async () => {
    const log = await replica();
    const id = await log.append('s1', STANDALONE_STREAM, note(1));
    await log.append('s1', STANDALONE_STREAM, note(2));
    await log.drop('s1');
    expect(await log.after('s1', id)).toBeUndefined();
    expect((await keysUnder(admin, prefix)).filter((k) => k.includes(':ev:'))).toEqual([]);
  });

  it('rejects an append at once while Redis is gone, and appends again once it is back', async () => {
    const server = await startPrivateRedis();
    try {
      const log = await replica(undefined, server.url);
      await server.stop('SIGKILL');
      const started = Date.now();
      const counted = await eventsFallbacks();
      await expect(log.append('s1', STANDALONE_STREAM, note(1))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await eventsFallbacks()).toBe(counted + 1);
      await server.start();
      await eventually(() =>
        log.append('s1', STANDALONE_STREAM, note(2)).then(
          () => true,
          () => false,
        ),
      );
      // Followers hear appends again too: the subscriber connection is back as well (and nothing
      // of its reconnection is still pending when the connections close).
      const heard: string[] = [];
      log.follow('s1', (event) => heard.push(event.id));
      await eventually(async () => {
        await log.append('s1', STANDALONE_STREAM, note(3)).catch(() => undefined);
        return heard.length > 0;
      }, 10_000);
    } finally {
      await Promise.all(connections.splice(0).map((c) => c.onApplicationShutdown()));
      await server.dispose();
    }
  });
});
