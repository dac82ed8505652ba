import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { PRIMING_MESSAGE } from './event-ids';
import { eventStoreOf } from './event-store.adapter';
import { MemorySessionEventLog } from './memory-session-event-log';
import { STANDALONE_STREAM } from './session-event-log';

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { level: 'info', data: n },
});

describe('eventStoreOf', () => {
  it('stores, finds the stream of an id and replays after it, within its session only', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const a = eventStoreOf(log, 'a');
    const b = eventStoreOf(log, 'b');
    const priming = await a.storeEvent('post-1', PRIMING_MESSAGE);
    const answer = await a.storeEvent('post-1', note(1));
    await a.storeEvent(STANDALONE_STREAM, note(2));
    expect(await a.getStreamIdForEventId(priming)).toBe('post-1');
    expect(await b.getStreamIdForEventId(priming)).toBeUndefined();

    const sent: [string, JSONRPCMessage][] = [];
    const send = (id: string, message: JSONRPCMessage) => {
      sent.push([id, message]);
      return Promise.resolve();
    };
    expect(await a.replayEventsAfter(priming, { send })).toBe('post-1');
    expect(sent).toEqual([[answer, note(1)]]);
    await expect(b.replayEventsAfter(priming, { send })).rejects.toThrow(/Unknown event id/);
  });

  it('does not replay priming placeholders as messages', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const store = eventStoreOf(log, 'a');
    const first = await store.storeEvent(STANDALONE_STREAM, note(1));
    await store.storeEvent(STANDALONE_STREAM, PRIMING_MESSAGE);
    const sent: JSONRPCMessage[] = [];
    await store.replayEventsAfter(first, {
      send: (_id, message) => {
        sent.push(message);
        return Promise.resolve();
      },
    });
    expect(sent).toEqual([]);
  });
});
