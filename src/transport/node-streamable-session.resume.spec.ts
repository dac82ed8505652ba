import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '../../test/support/eventually';
import { ACCEPT_BOTH as ACCEPT, INITIALIZE } from '../../test/support/mcp-messages';
import { parseEventId } from '../events/event-ids';
import { MemorySessionEventLog } from '../events/memory-session-event-log';
import { STANDALONE_STREAM } from '../events/session-event-log';
import { NodeStreamableSessionTransport } from './node-streamable-session.transport';

const RETRY_MS = 1234;
const updated = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri: `aareguru://widget?n=${n}` },
});

/** An open event stream read as text, event by event. */
class EventReader {
  text = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  done = false;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** Reads until `check(text)` holds or the stream ends. */
  async until(check: (text: string) => boolean): Promise<string> {
    while (!check(this.text) && !this.done) {
      const { value, done } = await this.reader.read();
      if (done) this.done = true;
      else this.text += this.decoder.decode(value, { stream: true });
    }
    return this.text;
  }

  /** The ids of the events read so far. */
  ids(): string[] {
    return [...this.text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
  }
}

describe('NodeStreamableSessionTransport with the session event log', () => {
  let server: Server;
  let url: string;
  let log: MemorySessionEventLog;
  let transport: NodeStreamableSessionTransport;
  let received: JSONRPCMessage[];
  let errors: string[];
  let nextOf: (method: string) => Promise<JSONRPCMessage>;
  const controllers: AbortController[] = [];
  /** Responses the server has seen close (the client left, or they ended). */
  let closedResponses = 0;

  async function startTransport(
    protocolVersion = '2025-11-25',
    bounds = { maxEvents: 100, maxBytes: 100_000 },
  ) {
    received = [];
    errors = [];
    const waiting = new Map<string, (message: JSONRPCMessage) => void>();
    nextOf = (method) => new Promise((resolve) => waiting.set(method, resolve));
    log = new MemorySessionEventLog(bounds);
    transport = new NodeStreamableSessionTransport({
      sessionIdGenerator: () => 'session-1',
      keepAliveMs: 0,
      onsessioninitialized: () => undefined,
      onsessionclosed: () => undefined,
      events: log,
      retryMs: RETRY_MS,
    });
    // A stand-in for the MCP server: answers every request with its method name, except "hold".
    transport.onmessage = (message) => {
      received.push(message);
      if (!('method' in message)) return;
      waiting.get(message.method)?.(message);
      waiting.delete(message.method);
      if ('id' in message && message.method !== 'hold') {
        void transport.send({ jsonrpc: '2.0', id: message.id, result: { echo: message.method } });
      }
    };
    transport.onerror = (error) => errors.push(error.message);
    await transport.start();
    const init = await post({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion } });
    await init.text();
  }

  beforeEach(async () => {
    closedResponses = 0;
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.once('close', () => (closedResponses += 1));
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        const body: unknown = text ? JSON.parse(text) : undefined;
        void transport.handleRequest(req, res, body, { token: '', clientId: 'k', scopes: [] });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });

  afterEach(async () => {
    for (const controller of controllers.splice(0)) controller.abort();
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const inSession = { 'mcp-session-id': 'session-1', 'mcp-protocol-version': '2025-11-25' };
  const post = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      body: JSON.stringify(body),
      signal,
    });
  const get = (headers: Record<string, string> = {}) => {
    const controller = new AbortController();
    controllers.push(controller);
    const response = fetch(url, {
      headers: { accept: 'text/event-stream', ...inSession, ...headers },
      signal: controller.signal,
    });
    return { response, cut: () => controller.abort() };
  };
  const count = (text: string, needle: string) => text.split(needle).length - 1;

  /**
   * A request the server holds on a primed POST stream, read up to its priming event; `drop()`
   * cuts the stream as a client that goes away, once the server has seen it close.
   */
  async function heldCall(id: number) {
    const controller = new AbortController();
    const held = nextOf('hold');
    const call = await post({ jsonrpc: '2.0', id, method: 'hold' }, inSession, controller.signal);
    await held;
    const stream = new EventReader(call);
    await stream.until((t) => t.includes('data: \n\n'));
    const drop = async () => {
      const closed = closedResponses;
      controller.abort();
      await eventually(() => closedResponses > closed);
    };
    return { stream, primingId: stream.ids()[0], drop };
  }

  it('primes a POST stream of a 2025-11-25 client: an id, the retry hint and empty data first', async () => {
    await startTransport();
    const res = await post({ jsonrpc: '2.0', id: 7, method: 'tools/list' }, inSession);
    const text = await res.text();
    const [priming, answer] = text.split('\n\n');
    expect(priming).toMatch(new RegExp(`^id: [0-9a-f-]{36}_\\d+\\nretry: ${RETRY_MS}\\ndata: $`));
    expect(answer).toMatch(
      /^event: message\nid: [0-9a-f-]{36}_\d+\ndata: \{"jsonrpc":"2.0","id":7/,
    );
    const [primingId, answerId] = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    // Both stored on the POST's own stream, the answer after the priming event.
    expect(parseEventId(primingId)?.streamId).toBe(parseEventId(answerId)?.streamId);
    expect((await log.after('session-1', primingId))?.events.map((e) => e.id)).toEqual([answerId]);
  });

  it('does not prime for an older client, but still gives the answer an id, in one piece', async () => {
    await startTransport('2025-06-18');
    const res = await post({ jsonrpc: '2.0', id: 7, method: 'tools/list' }, inSession);
    expect(res.headers.get('content-length')).not.toBeNull();
    const text = await res.text();
    expect(text).not.toContain('retry:');
    expect(text).toMatch(/^event: message\nid: [0-9a-f-]{36}_\d+\ndata: /);
  });

  it('gives the GET stream the retry hint and a priming event, then every standalone event once', async () => {
    await startTransport();
    const { response } = get();
    const stream = new EventReader(await response);
    await stream.until((t) => t.includes('data: \n\n'));
    expect(stream.text.startsWith(`retry: ${RETRY_MS}\n\n`)).toBe(true);
    // Sent by this session's server, and appended by someone else (the subscriptions).
    await transport.send(updated(1));
    await log.append('session-1', STANDALONE_STREAM, updated(2));
    await log.append('session-2', STANDALONE_STREAM, updated(3));
    await log.append('session-1', 'some-post-stream', updated(4));
    await transport.send(updated(5));
    await stream.until((t) => t.includes('n=5'));
    expect(count(stream.text, 'n=1')).toBe(1);
    expect(count(stream.text, 'n=2')).toBe(1);
    expect(count(stream.text, 'n=3')).toBe(0);
    expect(count(stream.text, 'n=4')).toBe(0);
    expect(count(stream.text, 'n=5')).toBe(1);
    const ids = stream.ids();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => parseEventId(id)?.streamId === STANDALONE_STREAM)).toBe(true);
  });

  it('replays what a cut GET stream missed, exactly once and in order, then goes on', async () => {
    await startTransport();
    const first = get();
    const stream = new EventReader(await first.response);
    await transport.send(updated(1));
    await stream.until((t) => t.includes('n=1'));
    const lastSeen = stream.ids().at(-1)!;
    first.cut();
    // Missed while the client was away (the server may not have seen the cut yet).
    await transport.send(updated(2));
    await log.append('session-1', STANDALONE_STREAM, updated(3));

    const resumed = get({ 'last-event-id': lastSeen });
    const res = await resumed.response;
    expect(res.status).toBe(200);
    const again = new EventReader(res);
    await again.until((t) => t.includes('n=3'));
    await transport.send(updated(4));
    await again.until((t) => t.includes('n=4'));
    expect(again.text).not.toContain('n=1');
    expect(again.text.indexOf('n=2')).toBeLessThan(again.text.indexOf('n=3'));
    for (const n of [2, 3, 4]) expect(count(again.text, `n=${n}`)).toBe(1);
  });

  it('writes an event appended during the resume once, though both the replay and the follower bring it', async () => {
    await startTransport();
    const first = get();
    const stream = new EventReader(await first.response);
    await transport.send(updated(1));
    await stream.until((t) => t.includes('n=1'));
    first.cut();
    const after = log.after.bind(log);
    jest.spyOn(log, 'after').mockImplementationOnce(async (sessionId, eventId) => {
      // Lands after the resume began following, before it read the log.
      await log.append('session-1', STANDALONE_STREAM, updated(2));
      return after(sessionId, eventId);
    });
    const again = new EventReader(await get({ 'last-event-id': stream.ids().at(-1)! }).response);
    await transport.send(updated(3));
    await again.until((t) => t.includes('n=3'));
    expect(count(again.text, 'n=2')).toBe(1);
  });

  it('refuses an unknown id of a POST stream, or a forged one, as the SDK does (400)', async () => {
    await startTransport();
    const ofOther = await log.append('session-2', 'post-of-session-2', updated(1));
    await log.append('session-2', 'post-of-session-2', updated(2));
    for (const lastEventId of [ofOther, 'some-post-stream_999', 'forged', `${STANDALONE_STREAM}`]) {
      const res = await get({ 'last-event-id': lastEventId }).response;
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: -32000, message: 'Invalid event ID format' },
      });
    }
  });

  it('answers an unknown id of the GET stream with a fresh GET stream, replaying nothing (another session’s, or one never sent)', async () => {
    await startTransport();
    const ofOther = await log.append('session-2', STANDALONE_STREAM, updated(1));
    await log.append('session-2', STANDALONE_STREAM, updated(2));
    for (const lastEventId of [ofOther, `${STANDALONE_STREAM}_999`]) {
      const res = await get({ 'last-event-id': lastEventId }).response;
      expect(res.status).toBe(200);
      const stream = new EventReader(res);
      // A priming event of its own, to resume this stream from.
      await stream.until((t) => t.includes('data: \n\n'));
      expect(stream.text.startsWith(`retry: ${RETRY_MS}\n\nid: ${STANDALONE_STREAM}_`)).toBe(true);
      const [primingId] = stream.ids();
      expect(await log.after('session-1', primingId)).toBeDefined();
      await transport.send(updated(3));
      await stream.until((t) => t.includes('n=3'));
      expect(stream.text).not.toContain('n=1');
      expect(stream.text).not.toContain('n=2');
      expect(count(stream.text, 'n=3')).toBe(1);
    }
    expect(errors).toEqual([]);
  });

  it('answers an id the bounds dropped with a fresh GET stream that goes on with what comes next', async () => {
    await startTransport('2025-11-25', { maxEvents: 3, maxBytes: 100_000 });
    const first = get();
    const stream = new EventReader(await first.response);
    await transport.send(updated(1));
    await stream.until((t) => t.includes('n=1'));
    const lastSeen = stream.ids().at(-1)!;
    first.cut();
    for (let n = 2; n <= 5; n += 1) await transport.send(updated(n));
    expect(await log.after('session-1', lastSeen)).toBeUndefined();

    const res = await get({ 'last-event-id': lastSeen }).response;
    expect(res.status).toBe(200);
    const again = new EventReader(res);
    await transport.send(updated(6));
    await again.until((t) => t.includes('n=6'));
    for (const n of [1, 2, 3, 4, 5]) expect(again.text).not.toContain(`n=${n}`);
    expect(count(again.text, 'n=6')).toBe(1);
  });

  it('answers a GET stream resume whose lookup fails with a fresh GET stream, a POST stream resume with 500', async () => {
    await startTransport();
    const open = new EventReader(await get().response);
    await open.until((t) => t.includes('data: \n\n'));
    const [standaloneId] = open.ids();
    const after = jest.spyOn(log, 'after').mockRejectedValue(new Error('Redis is down'));

    const posted = await get({ 'last-event-id': 'some-post-stream_1' }).response;
    expect(posted.status).toBe(500);
    expect(await posted.json()).toMatchObject({
      error: { code: -32000, message: 'Error replaying events' },
    });

    const res = await get({ 'last-event-id': standaloneId }).response;
    expect(res.status).toBe(200);
    // It took the GET stream over, as a resume does.
    await open.until(() => false);
    expect(open.done).toBe(true);
    const fresh = new EventReader(res);
    await transport.send(updated(1));
    await fresh.until((t) => t.includes('n=1'));
    expect(count(fresh.text, 'n=1')).toBe(1);
    expect(errors.filter((e) => e.includes('Redis is down'))).toHaveLength(2);
    after.mockRestore();
  });

  it('lets a resume take the GET stream over from a response the server still holds', async () => {
    await startTransport();
    const open = new EventReader(await get().response);
    await open.until((t) => t.includes('data: \n\n'));
    const resumed = await get({ 'last-event-id': open.ids()[0] }).response;
    expect(resumed.status).toBe(200);
    await open.until(() => false);
    expect(open.done).toBe(true);
    const stream = new EventReader(resumed);
    await transport.send(updated(1));
    await stream.until((t) => t.includes('n=1'));
    // A fresh GET while one is open is still a conflict, as with the SDK.
    expect((await get().response).status).toBe(409);
  });

  it('keeps the requests of a primed POST stream the client drops, and resumes it with their answers', async () => {
    await startTransport();
    const { primingId, drop } = await heldCall(6);
    await drop();
    // Not cancelled: the client can come back for the answer.
    expect(received.some((m) => 'method' in m && m.method === 'notifications/cancelled')).toBe(
      false,
    );

    const resumed = get({ 'last-event-id': primingId });
    const res = await resumed.response;
    expect(res.status).toBe(200);
    const stream = new EventReader(res);
    await transport.send({ jsonrpc: '2.0', id: 6, result: { late: true } });
    await stream.until(() => false);
    expect(stream.done).toBe(true);
    expect(count(stream.text, '"late":true')).toBe(1);
    expect(stream.text).toContain(`retry: ${RETRY_MS}`);
  });

  it('replays the answers a dropped POST stream got meanwhile, and ends', async () => {
    await startTransport();
    const { primingId, drop } = await heldCall(8);
    await drop();
    await transport.send({ jsonrpc: '2.0', id: 8, result: { meanwhile: true } });

    const res = await get({ 'last-event-id': primingId }).response;
    const text = await res.text();
    expect(count(text, '"meanwhile":true')).toBe(1);
  });

  it('still cancels the requests of an unprimed POST stream the client drops', async () => {
    await startTransport('2025-06-18');
    const controller = new AbortController();
    const held = nextOf('hold');
    const call = post({ jsonrpc: '2.0', id: 9, method: 'hold' }, inSession, controller.signal);
    await held;
    const cancelled = nextOf('notifications/cancelled');
    controller.abort();
    await expect(call).rejects.toThrow();
    expect(await cancelled).toMatchObject({ params: { requestId: 9 } });
  });

  it('delivers an answer larger than the byte bound without an id, and keeps the stream’s earlier events', async () => {
    await startTransport('2025-11-25', { maxEvents: 100, maxBytes: 2048 });
    const { stream, primingId } = await heldCall(5);
    await transport.send({ jsonrpc: '2.0', id: 5, result: { big: 'x'.repeat(4096) } });
    const text = await stream.until(() => false);
    expect(text).toMatch(
      /\n\nevent: message\ndata: \{"jsonrpc":"2.0","id":5,"result":\{"big":"x+"\}\}\n\n$/,
    );
    expect(stream.ids()).toEqual([primingId]);
    expect(await log.after('session-1', primingId)).toEqual({
      streamId: parseEventId(primingId)!.streamId,
      events: [],
    });
    expect(errors.some((e) => e.includes('exceeds the event log'))).toBe(true);
  });

  it('delivers a server message larger than the byte bound on the GET stream without an id, and resumes past it', async () => {
    await startTransport('2025-11-25', { maxEvents: 100, maxBytes: 2048 });
    const first = get();
    const stream = new EventReader(await first.response);
    await transport.send(updated(1));
    await stream.until((t) => t.includes('n=1'));
    const big: JSONRPCMessage = {
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: 'x'.repeat(4096) },
    };
    await transport.send(big);
    await stream.until((t) => t.includes('xxxx"}}\n\n'));
    expect(stream.text).toMatch(
      /\n\nevent: message\ndata: \{"jsonrpc":"2.0","method":"notifications\/message"/,
    );
    const lastSeen = stream.ids().at(-1)!;
    first.cut();
    await transport.send(updated(2));
    // Its last event is still there (the big one did not push it out): the resume replays.
    const again = new EventReader(await get({ 'last-event-id': lastSeen }).response);
    await again.until((t) => t.includes('n=2'));
    expect(again.text).not.toContain('xxxx');
    expect(count(again.text, 'n=2')).toBe(1);
  });

  it('delivers a message it cannot store, without an id', async () => {
    await startTransport('2025-06-18');
    jest.spyOn(log, 'append').mockRejectedValue(new Error('Redis is down'));
    const text = await (await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, inSession)).text();
    expect(text).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","id":3,"result":{"echo":"ping"}}\n\n',
    );
    expect(errors.some((e) => e.includes('Redis is down'))).toBe(true);
  });
});
