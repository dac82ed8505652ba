import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { isAfter, parseEventId } from './event-ids';
import {
  MemorySessionEventLog,
  MIN_TOTAL_EVENT_BYTES,
  totalEventBytesFor,
} from './memory-session-event-log';
import { EventTooLargeError, STANDALONE_STREAM, type StoredEvent } from './session-event-log';

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri: `aareguru://current/bern?n=${n}` },
});

const bytesOf = (message: JSONRPCMessage) => Buffer.byteLength(JSON.stringify(message));

describe('MemorySessionEventLog', () => {
  it('gives ids that name the stream and order the session’s events', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const first = await log.append('s1', STANDALONE_STREAM, note(1));
    const second = await log.append('s1', 'post-1', note(2));
    expect(parseEventId(first)?.streamId).toBe(STANDALONE_STREAM);
    expect(parseEventId(second)?.streamId).toBe('post-1');
    expect(isAfter(second, first)).toBe(true);
  });

  it('replays the events after an id, of that id’s stream only', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
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

  it('never finds an id in another session, nor a forged one', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const ofA = await log.append('a', STANDALONE_STREAM, note(1));
    await log.append('a', STANDALONE_STREAM, note(2));
    await log.append('b', STANDALONE_STREAM, note(3));
    await log.append('b', STANDALONE_STREAM, note(4));
    expect(await log.after('b', ofA)).toBeUndefined();
    expect(await log.after('b', `${STANDALONE_STREAM}_0`)).toBeUndefined();
    expect(await log.after('b', 'nonsense')).toBeUndefined();
    expect(await log.after('nobody', ofA)).toBeUndefined();
  });

  it('keeps at most maxEvents per session, dropping the oldest', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 3, maxBytes: 100_000 });
    const ids: string[] = [];
    for (let n = 1; n <= 5; n += 1) ids.push(await log.append('s1', STANDALONE_STREAM, note(n)));
    await log.append('s2', STANDALONE_STREAM, note(9));
    expect(await log.after('s1', ids[0])).toBeUndefined();
    expect(await log.after('s1', ids[1])).toBeUndefined();
    expect((await log.after('s1', ids[2]))?.events.map((e) => e.message)).toEqual([
      note(4),
      note(5),
    ]);
  });

  it('keeps at most maxBytes of JSON per session, dropping the oldest', async () => {
    const size = bytesOf(note(1));
    const log = new MemorySessionEventLog({ maxEvents: 100, maxBytes: size * 2 });
    const first = await log.append('s1', STANDALONE_STREAM, note(1));
    const second = await log.append('s1', STANDALONE_STREAM, note(2));
    expect((await log.after('s1', first))?.events).toHaveLength(1);
    await log.append('s1', STANDALONE_STREAM, note(3));
    expect(await log.after('s1', first)).toBeUndefined();
    expect((await log.after('s1', second))?.events.map((e) => e.message)).toEqual([note(3)]);
  });

  it('refuses an event larger than the byte bound, keeping the session’s older events', async () => {
    const size = bytesOf(note(1));
    const log = new MemorySessionEventLog({ maxEvents: 100, maxBytes: size * 2 });
    const first = await log.append('s1', STANDALONE_STREAM, note(1));
    const second = await log.append('s1', STANDALONE_STREAM, note(2));
    const seen: StoredEvent[] = [];
    log.follow('s1', (event) => seen.push(event));
    const huge: JSONRPCMessage = { ...note(3), params: { uri: 'x'.repeat(size * 2) } };
    await expect(log.append('s1', STANDALONE_STREAM, huge)).rejects.toBeInstanceOf(
      EventTooLargeError,
    );
    expect(seen).toEqual([]);
    expect((await log.after('s1', first))?.events.map((e) => e.id)).toEqual([second]);
    expect(log.totalBytes).toBe(size * 2);
    // An event that fits the bound exactly is kept.
    const exact = await log.append('s2', STANDALONE_STREAM, note(4));
    expect(await log.after('s2', exact)).toBeDefined();
  });

  it('calls followers of the session with each new event, in order, until stopped', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    await log.append('s1', STANDALONE_STREAM, note(0));
    const seen: StoredEvent[] = [];
    const other: StoredEvent[] = [];
    const stop = log.follow('s1', (event) => seen.push(event));
    log.follow('s2', (event) => other.push(event));
    const one = await log.append('s1', STANDALONE_STREAM, note(1));
    const two = await log.append('s1', 'post-1', note(2));
    stop();
    await log.append('s1', STANDALONE_STREAM, note(3));
    expect(seen.map((e) => e.id)).toEqual([one, two]);
    expect(seen.map((e) => e.message)).toEqual([note(1), note(2)]);
    expect(other).toEqual([]);
  });

  it('a failing follower does not stop the others nor the append', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const seen: string[] = [];
    log.follow('s1', () => {
      throw new Error('boom');
    });
    log.follow('s1', (event) => seen.push(event.id));
    const id = await log.append('s1', STANDALONE_STREAM, note(1));
    expect(seen).toEqual([id]);
  });

  it('forgets a dropped session', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const id = await log.append('s1', STANDALONE_STREAM, note(1));
    await log.append('s1', STANDALONE_STREAM, note(2));
    await log.drop('s1');
    expect(await log.after('s1', id)).toBeUndefined();
    expect(log.sessionCount).toBe(0);
  });

  it('forgets the log of a session nobody appended to for its time to live', async () => {
    let now = 1_000_000;
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 }, 600_000, () => now);
    const quiet = await log.append('quiet', STANDALONE_STREAM, note(1));
    await log.append('quiet', STANDALONE_STREAM, note(2));
    now += 300_000;
    const busy = await log.append('busy', STANDALONE_STREAM, note(3));
    await log.append('busy', STANDALONE_STREAM, note(4));
    now += 300_000;
    await log.append('other', STANDALONE_STREAM, note(5));
    expect(await log.after('quiet', quiet)).toBeUndefined();
    expect((await log.after('busy', busy))?.events).toHaveLength(1);
    expect(log.sessionCount).toBe(2);
  });

  describe('the budget of all sessions together', () => {
    const size = bytesOf(note(1));
    const budgeted = (sessions: number) =>
      new MemorySessionEventLog({
        maxEvents: 100,
        maxBytes: 100_000,
        totalMaxBytes: size * sessions,
      });

    it('drops the whole logs of the sessions least recently appended to', async () => {
      const log = budgeted(3);
      const a = await log.append('a', STANDALONE_STREAM, note(1));
      const b = await log.append('b', STANDALONE_STREAM, note(2));
      const c = await log.append('c', STANDALONE_STREAM, note(3));
      // B is appended to again: A is now the least recent, then C.
      const b2 = await log.append('b', STANDALONE_STREAM, note(4));
      expect(await log.after('a', a)).toBeUndefined();
      await log.append('d', STANDALONE_STREAM, note(5));
      expect(await log.after('c', c)).toBeUndefined();
      expect((await log.after('b', b))?.events.map((e) => e.id)).toEqual([b2]);
      expect(log.sessionCount).toBe(2);
      expect(log.totalBytes).toBe(size * 3);
    });

    it('never drops the log being appended to, though it alone is over the budget', async () => {
      const log = budgeted(2);
      const other = await log.append('other', STANDALONE_STREAM, note(1));
      const ids: string[] = [];
      for (let n = 2; n <= 4; n += 1)
        ids.push(await log.append('busy', STANDALONE_STREAM, note(n)));
      expect(await log.after('other', other)).toBeUndefined();
      expect((await log.after('busy', ids[0]))?.events.map((e) => e.id)).toEqual(ids.slice(1));
      expect(log.totalBytes).toBe(size * 3);
    });

    it('counts what the bounds, a drop and the time to live take off', async () => {
      let now = 0;
      const log = new MemorySessionEventLog(
        { maxEvents: 2, maxBytes: 100_000, totalMaxBytes: size * 4 },
        600_000,
        () => now,
      );
      for (let n = 1; n <= 3; n += 1) await log.append('a', STANDALONE_STREAM, note(n));
      expect(log.totalBytes).toBe(size * 2);
      await log.append('b', STANDALONE_STREAM, note(4));
      await log.drop('b');
      expect(log.totalBytes).toBe(size * 2);
      now += 600_000;
      await log.append('c', STANDALONE_STREAM, note(5));
      expect(log.totalBytes).toBe(size);
      // Room for four again: nobody is dropped.
      for (const session of ['d', 'e', 'f']) await log.append(session, STANDALONE_STREAM, note(6));
      expect(log.sessionCount).toBe(4);
    });

    it('is 64 MiB, or 16 full session logs when that is more', () => {
      expect(totalEventBytesFor(262_144)).toBe(MIN_TOTAL_EVENT_BYTES);
      expect(MIN_TOTAL_EVENT_BYTES).toBe(64 * 1024 * 1024);
      expect(totalEventBytesFor(8 * 1024 * 1024)).toBe(128 * 1024 * 1024);
    });
  });
});
