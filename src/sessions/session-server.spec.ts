import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { CheckedMcpServer } from '../mcp/checked-mcp-server';
import { SessionServer } from './session-server';

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: { protocolVersion?: string; content?: { text: string }[]; tools?: unknown[] };
  error?: unknown;
}

/** The client side of a session: raw JSON-RPC, so the test picks the protocol version. */
class RawClient {
  readonly received: Message[] = [];
  private readonly waiting = new Map<number, (message: Message) => void>();
  private nextId = 1;

  constructor(readonly transport: InMemoryTransport) {
    transport.onmessage = (message) => {
      const m = message as Message;
      this.received.push(m);
      if (m.id !== undefined && m.method === undefined) this.waiting.get(m.id)?.(m);
    };
  }

  request(method: string, params: Record<string, unknown> = {}): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      void this.transport.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.transport.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }

  logMessages(): string[] {
    return this.received
      .filter((m) => m.method === 'notifications/message')
      .map((m) => (m as { params: { data: string } }).params.data);
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SessionServer', () => {
  let servers: McpServer[];
  let gate: ReturnType<typeof deferred>;
  let failBuilds: boolean;
  let session: SessionServer;
  let client: RawClient;
  /** The methods the servers' observer was shown (what the metrics count). */
  let observed: string[];
  const hooks = { onWake: jest.fn(), onWakeFailed: jest.fn() };

  function createServer(): McpServer {
    if (failBuilds) throw new Error('cannot build');
    const server = new CheckedMcpServer(
      { name: 'test', version: '1.0.0' },
      { capabilities: { logging: {} } },
      (method) => observed.push(method),
    );
    server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    server.registerTool('wait', {}, async () => {
      await gate.promise;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    server.registerTool('log', {}, async (ctx) => {
      await ctx.mcpReq.log('info', 'info line');
      await ctx.mcpReq.log('error', 'error line');
      return { content: [] };
    });
    servers.push(server);
    return server;
  }

  async function handshake(protocolVersion = '2025-03-26'): Promise<void> {
    const init = await client.request('initialize', {
      protocolVersion,
      capabilities: { roots: {} },
      clientInfo: { name: 'raw', version: '9.9.9' },
    });
    expect(init.result?.protocolVersion).toBe(protocolVersion);
    await client.notify('notifications/initialized');
  }

  beforeEach(async () => {
    servers = [];
    observed = [];
    gate = deferred();
    failBuilds = false;
    jest.clearAllMocks();
    const [clientSide, wire] = InMemoryTransport.createLinkedPair();
    session = new SessionServer(wire, createServer, hooks);
    await session.start();
    client = new RawClient(clientSide);
    await clientSide.start();
  });

  afterEach(() => session.close());

  it('lets its server go when idle and rebuilds it, with the handshake, on the next message', async () => {
    await handshake();
    expect(await session.hibernate()).toBe(true);
    expect(session.awake).toBe(false);
    expect(await session.hibernate()).toBe(false);

    const call = await client.request('tools/call', { name: 'echo', arguments: { text: 'hi' } });
    expect(call.result?.content).toEqual([{ type: 'text', text: 'hi' }]);
    expect(session.awake).toBe(true);
    expect(servers).toHaveLength(2);
    expect(hooks.onWake).toHaveBeenCalledTimes(1);
    // The rebuilt server knows the client as the first one did.
    const rebuilt = servers[1].server;
    expect(rebuilt.getNegotiatedProtocolVersion()).toBe('2025-03-26');
    expect(rebuilt.getClientVersion()).toEqual({ name: 'raw', version: '9.9.9' });
    expect(rebuilt.getClientCapabilities()).toEqual({ roots: {} });
    // Nothing of the replay reached the client: one initialize answer, one call answer.
    expect(client.received.filter((m) => m.method === undefined)).toHaveLength(2);
  });

  it('shows the observer what the client sent once, not the handshake replayed on each rebuild', async () => {
    await handshake();
    await client.request('logging/setLevel', { level: 'error' });
    for (let round = 0; round < 2; round++) {
      expect(await session.hibernate()).toBe(true);
      await client.request('tools/call', { name: 'echo', arguments: { text: 'hi' } });
    }
    expect(servers).toHaveLength(3);
    expect(observed).toEqual([
      'initialize',
      'notifications/initialized',
      'logging/setLevel',
      'tools/call',
      'tools/call',
    ]);
  });

  it('keeps the logging level the client chose across a rebuild', async () => {
    await handshake();
    await client.request('logging/setLevel', { level: 'debug' });
    await client.request('logging/setLevel', { level: 'error' });
    await session.hibernate();
    await client.request('tools/call', { name: 'log', arguments: {} });
    expect(client.logMessages()).toEqual(['error line']);
  });

  it('holds, awake or asleep, only what the server reads of a large initialize', async () => {
    const init = await client.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {
        roots: { listChanged: true },
        experimental: { blob: { data: 'x'.repeat(1e6) } },
      },
      clientInfo: { name: 'n'.repeat(1e6), version: '1.0.0' },
    });
    expect(init.result?.protocolVersion).toBe('2025-11-25');
    await client.notify('notifications/initialized');
    const kept = {
      capabilities: { roots: { listChanged: true } },
      client: { name: 'n'.repeat(128), version: '1.0.0' },
    };
    const live = servers[0].server;
    expect(live.getClientCapabilities()).toEqual(kept.capabilities);
    expect(live.getClientVersion()).toEqual(kept.client);

    await session.hibernate();
    await client.request('tools/list');
    const rebuilt = servers[1].server;
    expect(rebuilt.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(rebuilt.getClientCapabilities()).toEqual(kept.capabilities);
    expect(rebuilt.getClientVersion()).toEqual(kept.client);
  });

  it('keeps the last logging level the server accepted, not a refused one', async () => {
    await handshake();
    await client.request('logging/setLevel', { level: 'error' });
    const refused = await client.request('logging/setLevel', { level: 'loud' });
    expect(refused.error).toBeDefined();
    await session.hibernate();
    await client.request('tools/call', { name: 'log', arguments: {} });
    expect(client.logMessages()).toEqual(['error line']);
  });

  it('does not sleep while a request is in flight', async () => {
    await handshake();
    const waiting = client.request('tools/call', { name: 'wait', arguments: {} });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await session.hibernate()).toBe(false);
    gate.resolve();
    expect((await waiting).result?.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(await session.hibernate()).toBe(true);
  });

  it('is not kept awake by a request the client cancelled', async () => {
    await handshake();
    void client.request('tools/call', { name: 'wait', arguments: {} });
    await client.notify('notifications/cancelled', { requestId: 2, reason: 'user' });
    expect(await session.hibernate()).toBe(true);
  });

  it('builds one server for messages arriving together and delivers them in order', async () => {
    await handshake();
    await session.hibernate();
    const answers = await Promise.all([
      client.request('tools/list'),
      client.request('tools/call', { name: 'echo', arguments: { text: 'a' } }),
      client.request('tools/call', { name: 'echo', arguments: { text: 'b' } }),
    ]);
    expect(servers).toHaveLength(2);
    expect(answers[0].result?.tools).toHaveLength(3);
    expect(answers.slice(1).map((a) => a.result?.content?.[0].text)).toEqual(['a', 'b']);
    const order = client.received.filter((m) => m.method === undefined).map((m) => m.id);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('answers with an internal error, not silence, when the server cannot be rebuilt', async () => {
    await handshake();
    await session.hibernate();
    failBuilds = true;
    const answer = await client.request('tools/list');
    expect(answer.error).toEqual({ code: -32603, message: 'Internal error' });
    expect(hooks.onWakeFailed).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'cannot build' }),
    );
    failBuilds = false;
    expect((await client.request('tools/list')).result?.tools).toHaveLength(3);
  });

  describe('before initialize has been answered', () => {
    const NOT_INITIALIZED = {
      code: -32000,
      message: 'Bad Request: Server not initialized; send initialize first',
    };

    it('refuses requests other than ping, without running them', async () => {
      const call = await client.request('tools/call', { name: 'log', arguments: {} });
      expect(call.error).toEqual(NOT_INITIALIZED);
      expect((await client.request('tools/list')).error).toEqual(NOT_INITIALIZED);
      expect(client.logMessages()).toEqual([]);
      expect((await client.request('ping')).result).toEqual({});
      // Refused requests are not in flight: the session may sleep.
      expect(await session.hibernate()).toBe(true);
    });

    it('serves them once the handshake is done', async () => {
      await handshake();
      const call = await client.request('tools/call', { name: 'echo', arguments: { text: 'hi' } });
      expect(call.result?.content).toEqual([{ type: 'text', text: 'hi' }]);
    });

    it('keeps refusing after an initialize that failed', async () => {
      const failed = await client.request('initialize', { protocolVersion: 5 });
      expect(failed.error).toBeDefined();
      expect((await client.request('tools/list')).error).toEqual(NOT_INITIALIZED);
      await handshake();
      expect((await client.request('tools/list')).result?.tools).toHaveLength(3);
    });
  });

  it('answers what it leaves unanswered with the notice it is closed with, once', async () => {
    await handshake();
    const waiting = client.request('tools/call', { name: 'wait', arguments: {} });
    const done = client.request('tools/call', { name: 'echo', arguments: { text: 'hi' } });
    expect((await done).result?.content).toEqual([{ type: 'text', text: 'hi' }]);
    await session.close('going away');
    expect((await waiting).error).toEqual({ code: -32000, message: 'going away' });
    // The tool finishing later answers nothing more: its server is gone.
    gate.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.received.filter((m) => m.method === undefined).map((m) => m.id)).toEqual([
      1, 3, 2,
    ]);
  });

  it('answers nothing when closed without a notice (the client went away)', async () => {
    await handshake();
    void client.request('tools/call', { name: 'wait', arguments: {} });
    await new Promise((resolve) => setImmediate(resolve));
    await session.close();
    expect(client.received.filter((m) => m.method === undefined).map((m) => m.id)).toEqual([1]);
  });

  it('closes its server and tells the session when the client goes away', async () => {
    await handshake();
    const onclose = jest.fn();
    session.onclose = onclose;
    await client.transport.close();
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(session.awake).toBe(false);
  });

  describe('rebuilt from the handshake another replica kept', () => {
    async function copyOf(): Promise<{ copy: SessionServer; other: RawClient }> {
      const [clientSide, wire] = InMemoryTransport.createLinkedPair();
      const copy = new SessionServer(wire, createServer, {}, session.keptHandshake);
      await copy.start();
      const other = new RawClient(clientSide);
      await clientSide.start();
      return { copy, other };
    }

    it('serves requests at once, its server knowing the client as the first one did', async () => {
      await handshake();
      await client.request('logging/setLevel', { level: 'error' });
      const { copy, other } = await copyOf();
      const call = await other.request('tools/call', { name: 'log', arguments: {} });
      expect(call.error).toBeUndefined();
      expect(other.logMessages()).toEqual(['error line']);
      const rebuilt = servers[servers.length - 1].server;
      expect(rebuilt.getNegotiatedProtocolVersion()).toBe('2025-03-26');
      expect(rebuilt.getClientVersion()).toEqual({ name: 'raw', version: '9.9.9' });
      // Nothing of the replay reached the client.
      expect(other.received.filter((m) => m.method === undefined)).toHaveLength(1);
      await copy.close();
    });

    it('takes a logging level set elsewhere into its awake server and keeps it for rebuilds', async () => {
      await handshake();
      const { copy, other } = await copyOf();
      copy.keepLevel({
        jsonrpc: '2.0',
        id: 99,
        method: 'logging/setLevel',
        params: { level: 'error' },
      });
      await other.request('tools/call', { name: 'log', arguments: {} });
      expect(other.logMessages()).toEqual(['error line']);
      expect(await copy.hibernate()).toBe(true);
      await other.request('tools/call', { name: 'log', arguments: {} });
      expect(other.logMessages()).toEqual(['error line', 'error line']);
      // The answer to the level's replay never reached the client.
      expect(other.received.filter((m) => m.id === 99)).toHaveLength(0);
      // Nor was the handshake, counted where the client sent it, shown again here.
      expect(observed).toEqual([
        'initialize',
        'notifications/initialized',
        'tools/call',
        'tools/call',
      ]);
      await copy.close();
    });
  });
});
