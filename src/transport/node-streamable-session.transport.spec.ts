import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCEPT_BOTH as ACCEPT, INITIALIZE } from '../../test/support/mcp-messages';
import { NodeStreamableSessionTransport } from './node-streamable-session.transport';

describe('NodeStreamableSessionTransport', () => {
  let server: Server;
  let url: string;
  let transport: NodeStreamableSessionTransport;
  let received: JSONRPCMessage[];
  let errors: string[];
  let closedSessions: string[];
  /** Resolves with the next message the stand-in server receives for `method`. */
  let nextOf: (method: string) => Promise<JSONRPCMessage>;

  beforeEach(async () => {
    received = [];
    errors = [];
    closedSessions = [];
    const waiting = new Map<string, (message: JSONRPCMessage) => void>();
    nextOf = (method) => new Promise((resolve) => waiting.set(method, resolve));
    transport = new NodeStreamableSessionTransport({
      sessionIdGenerator: () => 'session-1',
      keepAliveMs: 0,
      onsessioninitialized: () => undefined,
      onsessionclosed: (id) => closedSessions.push(id),
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
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
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
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      body: JSON.stringify(body),
    });
  const initialize = async () => {
    const res = await post(INITIALIZE);
    await res.text();
    return res;
  };
  const inSession = { 'mcp-session-id': 'session-1', 'mcp-protocol-version': '2025-11-25' };

  it('opens the session on initialize and answers requests as one event each', async () => {
    const opened = await initialize();
    expect(opened.status).toBe(200);
    expect(opened.headers.get('mcp-session-id')).toBe('session-1');

    const res = await post({ jsonrpc: '2.0', id: 7, method: 'tools/list' }, inSession);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"echo":"tools/list"}}\n\n',
    );
  });

  it('serves a session initialized elsewhere under its id, and refuses a second initialize', async () => {
    const adopted = new NodeStreamableSessionTransport({
      sessionIdGenerator: () => 'never-used',
      existingSessionId: 'session-1',
      keepAliveMs: 0,
      onsessioninitialized: () => undefined,
      onsessionclosed: () => undefined,
    });
    adopted.onmessage = (message) => {
      if ('id' in message && 'method' in message) {
        void adopted.send({ jsonrpc: '2.0', id: message.id, result: {} });
      }
    };
    await adopted.start();
    transport = adopted;
    const res = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, inSession);
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBe('session-1');
    expect(await res.text()).toContain('"id":3');
    const again = await post(INITIALIZE);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({
      error: { message: 'Invalid Request: Server already initialized' },
    });
  });

  it('ends a batch stream only when every request in it is answered', async () => {
    await initialize();
    const res = await post(
      [
        { jsonrpc: '2.0', id: 1, method: 'a' },
        { jsonrpc: '2.0', id: 2, method: 'b' },
      ],
      inSession,
    );
    const text = await res.text();
    expect(text.match(/event: message/g)).toHaveLength(2);
  });

  const cancel = (requestId: number) =>
    post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId } }, inSession);
  /** The server answers late, after the request's stream has gone. */
  const answerLate = async (id: number) => {
    await transport.send({ jsonrpc: '2.0', id, result: { late: true } });
    return errors;
  };

  it('ends a stream without an answer when its request is cancelled from another POST', async () => {
    await initialize();
    const held = nextOf('hold');
    const call = post({ jsonrpc: '2.0', id: 5, method: 'hold' }, inSession);
    await held;

    expect((await cancel(5)).status).toBe(202);

    const res = await call;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(received.map((m) => 'method' in m && m.method)).toContain('notifications/cancelled');
    // Forgotten: a late answer has nowhere to go.
    expect(await answerLate(5)).toEqual([
      'Response for request ID 5 is undeliverable: its stream is closed',
    ]);
  });

  it('ends a batch stream when its last open request is cancelled, after the others’ answers', async () => {
    await initialize();
    const held = nextOf('hold');
    const call = post(
      [
        { jsonrpc: '2.0', id: 1, method: 'a' },
        { jsonrpc: '2.0', id: 2, method: 'hold' },
      ],
      inSession,
    );
    await held;
    await cancel(2);
    expect(await (await call).text()).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"echo":"a"}}\n\n',
    );
  });

  it('keeps a stream open while another of its requests is unanswered', async () => {
    await initialize();
    const held = nextOf('hold');
    const call = post(
      [
        { jsonrpc: '2.0', id: 1, method: 'hold' },
        { jsonrpc: '2.0', id: 2, method: 'hold' },
      ],
      inSession,
    );
    await held;
    await cancel(1);
    await transport.send({ jsonrpc: '2.0', id: 2, result: { done: true } });
    expect(await (await call).text()).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","id":2,"result":{"done":true}}\n\n',
    );
  });

  it('cancels the open requests of a stream the client drops, and forgets them', async () => {
    await initialize();
    const held = nextOf('hold');
    const controller = new AbortController();
    const call = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...inSession },
      body: JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'hold' }),
      signal: controller.signal,
    });
    await held;
    const cancelled = nextOf('notifications/cancelled');

    controller.abort();
    await expect(call).rejects.toThrow();

    expect(await cancelled).toMatchObject({ params: { requestId: 6 } });
    expect(await answerLate(6)).toEqual([
      'Response for request ID 6 is undeliverable: its stream is closed',
    ]);
  });

  it('accepts notifications with 202 and passes them on', async () => {
    await initialize();
    const res = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, inSession);
    expect(res.status).toBe(202);
    expect(received.map((m) => 'method' in m && m.method)).toContain('notifications/initialized');
  });

  it('answers header and session mistakes as the SDK transport does', async () => {
    await initialize();
    const call = { jsonrpc: '2.0', id: 1, method: 'ping' };
    expect((await post(call, { ...inSession, accept: 'application/json' })).status).toBe(406);
    expect((await post(call, { ...inSession, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(call, { 'mcp-session-id': 'other' })).status).toBe(404);
    expect((await post(call, {})).status).toBe(400);
    expect((await post(call, { ...inSession, 'mcp-protocol-version': '1999-01-01' })).status).toBe(
      400,
    );
    expect((await post({ nonsense: true }, inSession)).status).toBe(400);
    const again = await post(INITIALIZE, inSession);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: -32600 } });
  });

  it.each([
    ['an empty batch', []],
    ['a 1.0 message', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['params as an array', { jsonrpc: '2.0', id: 1, method: 'ping', params: [] }],
    ['a batch with such a message', [{ jsonrpc: '2.0', id: 1, method: 'ping', params: [1] }]],
  ])('refuses %s as an Invalid Request, delivering nothing', async (_name, body) => {
    await initialize();
    const delivered = received.length;
    const res = await post(body, inSession);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32600 } });
    expect(received).toHaveLength(delivered);
  });

  it('allows one GET stream per session and carries server messages on it', async () => {
    await initialize();
    const controller = new AbortController();
    const stream = await fetch(url, {
      headers: { accept: 'text/event-stream', ...inSession },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const second = await fetch(url, { headers: { accept: 'text/event-stream', ...inSession } });
    expect(second.status).toBe(409);

    await transport.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    const reader = stream.body!.getReader();
    const { value } = await reader.read();
    expect(Buffer.from(value!).toString('utf8')).toContain('notifications/tools/list_changed');
    controller.abort();
  });

  it('ends the session on DELETE and refuses it afterwards', async () => {
    await initialize();
    const deleted = await fetch(url, { method: 'DELETE', headers: inSession });
    expect(deleted.status).toBe(200);
    expect(closedSessions).toEqual(['session-1']);
    const after = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, inSession);
    expect(after.status).toBe(404);
  });
});
