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
  let closedSessions: string[];

  beforeEach(async () => {
    received = [];
    closedSessions = [];
    transport = new NodeStreamableSessionTransport({
      sessionIdGenerator: () => 'session-1',
      keepAliveMs: 0,
      onsessioninitialized: () => undefined,
      onsessionclosed: (id) => closedSessions.push(id),
    });
    // A stand-in for the MCP server: answers every request with its method name.
    transport.onmessage = (message) => {
      received.push(message);
      if ('id' in message && 'method' in message) {
        void transport.send({ jsonrpc: '2.0', id: message.id, result: { echo: message.method } });
      }
    };
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
