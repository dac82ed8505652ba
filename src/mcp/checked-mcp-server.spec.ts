import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { CheckedMcpServer, MAX_ERROR_MESSAGE_LENGTH } from './checked-mcp-server';

describe('CheckedMcpServer', () => {
  let client: InMemoryTransport;
  let answers: Map<unknown, JSONRPCMessage>;
  let served: string[];

  beforeEach(async () => {
    const server = new CheckedMcpServer(
      { name: 'test', version: '1.0.0' },
      { capabilities: { logging: {} } },
    );
    served = [];
    server.registerPrompt('greet', { argsSchema: z.object({ who: z.string() }) }, ({ who }) => {
      served.push(who);
      return { messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }] };
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = clientSide;
    answers = new Map();
    client.onmessage = (message) => answers.set((message as { id?: unknown }).id, message);
    await client.start();
    await server.connect(serverSide);
    await exchange({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'spec', version: '1.0.0' },
      },
    });
  });
  afterEach(() => client.close());

  async function exchange(message: JSONRPCMessage): Promise<JSONRPCMessage> {
    const { id } = message as { id: string | number };
    await client.send(message);
    for (let turn = 0; turn < 100 && !answers.has(id); turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return answers.get(id)!;
  }

  it('answers params that do not fit the spec with Invalid params in one line', async () => {
    const answer = await exchange({
      jsonrpc: '2.0',
      id: 1,
      method: 'prompts/get',
      params: { name: 'greet', arguments: { who: 5 } },
    });
    expect(answer).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: -32602,
        message: 'Invalid params for prompts/get: arguments.who: expected string, received number',
      },
    });
    expect(served).toEqual([]);
  });

  it('serves valid requests as before', async () => {
    const answer = await exchange({
      jsonrpc: '2.0',
      id: 2,
      method: 'prompts/get',
      params: { name: 'greet', arguments: { who: 'Aare' } },
    });
    expect(answer).toMatchObject({ id: 2, result: { messages: [{ role: 'user' }] } });
    expect(served).toEqual(['Aare']);
  });

  it('leaves errors the SDK words well to the SDK', async () => {
    const answer = await exchange({
      jsonrpc: '2.0',
      id: 3,
      method: 'prompts/get',
      params: { name: 'greet', arguments: {} },
    });
    expect(answer).toMatchObject({
      error: {
        code: -32602,
        message: expect.stringMatching(/^Invalid arguments for prompt greet/),
      },
    });
  });

  it('cuts an error message that quotes a huge name, and leaves short ones whole', async () => {
    const huge = 'x'.repeat(100_000);
    const answer = (await exchange({
      jsonrpc: '2.0',
      id: 4,
      method: 'prompts/get',
      params: { name: huge },
    })) as { error: { code: number; message: string } };
    expect(answer.error.code).toBe(-32602);
    expect(answer.error.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(answer.error.message).toMatch(/^Prompt x+…$/);

    const short = (await exchange({
      jsonrpc: '2.0',
      id: 5,
      method: 'prompts/get',
      params: { name: 'nope' },
    })) as { error: { message: string } };
    expect(short.error.message).toBe('Prompt nope not found');
  });

  it('shows every request and notification it receives to its observer, refused ones too', async () => {
    const seen: { method: string; key?: string }[] = [];
    const server = new CheckedMcpServer(
      { name: 'observed', version: '1.0.0' },
      {},
      (method, extra) => seen.push({ method, key: extra?.authInfo?.clientId }),
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const got = new Map<unknown, JSONRPCMessage>();
    clientSide.onmessage = (message) => got.set((message as { id?: unknown }).id, message);
    await clientSide.start();
    await server.connect(serverSide);
    const authInfo = { token: '', clientId: 'team-a', scopes: [] };
    await clientSide.send(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'spec', version: '1.0.0' },
        },
      },
      { authInfo },
    );
    await clientSide.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await clientSide.send({ jsonrpc: '2.0', id: 2, method: 'prompts/get', params: { name: 5 } });
    for (let turn = 0; turn < 100 && !got.has(2); turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(got.get(2)).toMatchObject({ error: { code: -32602 } });
    expect(seen).toEqual([
      { method: 'initialize', key: 'team-a' },
      { method: 'notifications/initialized', key: undefined },
      { method: 'prompts/get', key: undefined },
    ]);
    await clientSide.close();
  });
});
