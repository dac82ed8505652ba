import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { MemorySessionEventLog } from './memory-session-event-log';
import { STANDALONE_STREAM } from './session-event-log';
import { StandaloneEventsTransport } from './standalone-events.transport';

/** The id a stdio connection goes by in the event log. */
const STDIO_SESSION_ID = 'stdio:replica-a#0a1b2c3d';

const update = (uri: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri },
});

describe('StandaloneEventsTransport', () => {
  it('sends what is appended to its session’s standalone stream, from start to close', async () => {
    const log = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const [client, wire] = InMemoryTransport.createLinkedPair();
    const seen: JSONRPCMessage[] = [];
    client.onmessage = (message) => seen.push(message);
    await client.start();
    const transport = new StandaloneEventsTransport(wire, log, STDIO_SESSION_ID);
    const passedOn: JSONRPCMessage[] = [];
    transport.onmessage = (message) => passedOn.push(message);

    await log.append(STDIO_SESSION_ID, STANDALONE_STREAM, update('before-start'));
    await transport.start();
    await log.append(STDIO_SESSION_ID, STANDALONE_STREAM, update('aareguru://widget'));
    await log.append('another-session', STANDALONE_STREAM, update('not-mine'));
    await log.append(STDIO_SESSION_ID, 'a-post-stream', update('not-standalone'));
    await transport.send(update('sent-by-the-server'));
    await client.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await transport.close();
    await log.append(STDIO_SESSION_ID, STANDALONE_STREAM, update('after-close'));

    expect(seen.map((m) => (m as { params?: { uri?: string } }).params?.uri)).toEqual([
      'aareguru://widget',
      'sent-by-the-server',
    ]);
    expect(passedOn).toEqual([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
  });
});
