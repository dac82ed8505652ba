import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import http from 'node:http';
import { ACCEPT_BOTH, INITIALIZE } from '../support/mcp-messages';
import { RunningApp, startApp } from '../support/http-app';
import { eventually } from '../support/mcp-clients';

interface RpcError {
  code: number;
  message: string;
}
interface RpcAnswer {
  id?: number | string | null;
  result?: unknown;
  error?: RpcError;
}
interface Answer {
  status: number;
  /** The JSON-RPC answer, from a JSON body or the last event of an event stream. */
  rpc?: RpcAnswer;
  sessionId?: string;
}

const MODERN = '2026-07-28';
const ENVELOPE = {
  [PROTOCOL_VERSION_META_KEY]: MODERN,
  [CLIENT_INFO_META_KEY]: { name: 'abuse-spec', version: '1.0.0' },
  [CLIENT_CAPABILITIES_META_KEY]: {},
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const answer: Answer = {
    status: response.status,
    sessionId: response.headers.get('mcp-session-id') ?? undefined,
  };
  if (text.startsWith('{')) answer.rpc = JSON.parse(text) as RpcAnswer;
  const data = [...text.matchAll(/^data: (.*)$/gm)].pop();
  if (data) answer.rpc = JSON.parse(data[1]) as RpcAnswer;
  return answer;
}

/** A 2026-07-28 request: no session, the envelope in `_meta`, the routing headers. */
function modernCall(method: string, name: string, params: Record<string, unknown>) {
  return {
    body: { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: { ...ENVELOPE } } },
    headers: { 'mcp-protocol-version': MODERN, 'mcp-method': method, 'mcp-name': name },
  };
}

/** The SDK's validation dump was a pretty-printed JSON array; a person needs one short line. */
function expectInvalidParams(answer: Answer, field: string) {
  expect(answer.rpc?.error).toMatchObject({ code: -32602 });
  const message = answer.rpc!.error!.message;
  expect(message).toMatch(/^Invalid params for [\w/]+: /);
  expect(message).toContain(field);
  expect(message).not.toContain('\n');
  expect(message.length).toBeLessThan(300);
}

describe('JSON-RPC at the edges', () => {
  let running: RunningApp;
  let mcp: string;

  beforeAll(async () => {
    running = await startApp();
    mcp = `${running.url}/mcp`;
  });
  afterAll(() => running?.close());

  /** An initialized 2025 session's headers. */
  async function session(): Promise<Record<string, string>> {
    const opened = await post(mcp, INITIALIZE);
    expect(opened.status).toBe(200);
    const headers = {
      'mcp-session-id': opened.sessionId!,
      'mcp-protocol-version': '2025-11-25',
    };
    await post(mcp, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    return headers;
  }

  describe('an empty batch', () => {
    it('is an Invalid Request on a 2025 session', async () => {
      const answer = await post(mcp, '[]', await session());
      expect(answer.status).toBe(400);
      expect(answer.rpc?.error?.code).toBe(-32600);
    });

    it('is an Invalid Request without a session', async () => {
      const answer = await post(mcp, '[]');
      expect(answer.status).toBe(400);
      expect(answer.rpc?.error?.code).toBe(-32600);
    });
  });

  describe('valid JSON that is not JSON-RPC 2.0', () => {
    const notJsonRpc: [string, unknown][] = [
      ['a 1.0 version', { jsonrpc: '1.0', id: 5, method: 'tools/list' }],
      ['params as an array', { jsonrpc: '2.0', id: 6, method: 'tools/list', params: [] }],
      ['a batch with one such message', [{ jsonrpc: '2.0', id: 7, method: 'ping', params: [1] }]],
    ];

    it.each(notJsonRpc)('with %s is an Invalid Request on a session', async (_name, body) => {
      const answer = await post(mcp, body, await session());
      expect(answer.status).toBe(400);
      expect(answer.rpc?.error?.code).toBe(-32600);
    });

    it.each(notJsonRpc)('with %s is an Invalid Request without one', async (_name, body) => {
      const answer = await post(mcp, body);
      expect(answer.status).toBe(400);
      expect(answer.rpc?.error?.code).toBe(-32600);
    });

    it('while a body that does not parse stays a Parse error', async () => {
      const answer = await post(mcp, '{"jsonrpc": "2.0", "id": 1,', await session());
      expect(answer.status).toBe(400);
      expect(answer.rpc?.error?.code).toBe(-32700);
    });
  });

  describe('invalid params', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['prompts/get', { name: 42 }, 'name'],
      ['prompts/get', { name: 'daily-swimming-report', arguments: { city: 5 } }, 'arguments.city'],
      ['completion/complete', { ref: 'x', argument: { name: 'city', value: 'b' } }, 'ref'],
      ['logging/setLevel', { level: 'loud' }, 'level'],
      ['resources/read', { uri: 5 }, 'uri'],
      ['resources/read', {}, 'uri'],
      ['tools/call', { name: 5 }, 'name'],
      ['tools/list', { cursor: 5 }, 'cursor'],
    ];

    it.each(cases)(
      'on %s %j are Invalid params in one line (%s)',
      async (method, params, field) => {
        const answer = await post(mcp, { jsonrpc: '2.0', id: 9, method, params }, await session());
        expect(answer.rpc?.id).toBe(9);
        expectInvalidParams(answer, field);
      },
    );

    it('are Invalid params on the 2026-07-28 path too', async () => {
      const { body, headers } = modernCall('prompts/get', 'daily-swimming-report', {
        name: 'daily-swimming-report',
        arguments: { city: 5 },
      });
      const answer = await post(mcp, body, headers);
      expectInvalidParams(answer, 'arguments.city');
    });

    it('leave valid requests alone', async () => {
      const headers = await session();
      const answer = await post(
        mcp,
        { jsonrpc: '2.0', id: 10, method: 'logging/setLevel', params: { level: 'error' } },
        headers,
      );
      expect(answer.rpc).toMatchObject({ id: 10, result: {} });
    });
  });

  describe('deep nesting', () => {
    it('in _meta on the 2026-07-28 path is refused with 400 before it reaches the SDK', async () => {
      const { body, headers } = modernCall('tools/call', 'list_cities', {
        name: 'list_cities',
        arguments: {},
      });
      const deep = '{"a":'.repeat(30_000) + '1' + '}'.repeat(30_000);
      const text = JSON.stringify(body).replace('"_meta":{', `"_meta":{"deep":${deep},`);
      const answer = await post(mcp, text, headers);
      expect(answer.status).toBe(400);
      expect(answer.rpc?.error?.code).toBe(-32600);
      expect(answer.rpc?.error?.message).toMatch(/nested deeper than 64/);

      // The same request without the nesting is served.
      const plain = await post(mcp, body, headers);
      expect(plain.status).toBe(200);
      expect(plain.rpc?.result).toBeDefined();
    });
  });
});

describe('JSON-RPC at the edges, with MAX_JSON_DEPTH set', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ MAX_JSON_DEPTH: '12' });
  });
  afterAll(() => running?.close());

  it('serves a body nested to the limit and refuses one a level deeper', async () => {
    // The message, its params and capabilities are 3 levels; `levels` more objects nest in
    // capabilities.experimental: 3 + levels in all.
    const nested = (levels: number) => ({
      ...INITIALIZE,
      params: {
        ...INITIALIZE.params,
        capabilities: {
          experimental: JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels)),
        },
      },
    });
    const atLimit = await post(`${running.url}/mcp`, nested(9));
    expect(atLimit.status).toBe(200);
    const deeper = await post(`${running.url}/mcp`, nested(10));
    expect(deeper.status).toBe(400);
    expect(deeper.rpc?.error).toMatchObject({ code: -32600 });
    expect(deeper.rpc?.error?.message).toMatch(/nested deeper than 12/);
  });
});

/** A legacy SSE session read as raw events: the stream, and the URL to POST to. */
class LegacySseSession {
  readonly messages: RpcAnswer[] = [];
  endpoint = '';
  private request?: http.ClientRequest;
  private buffer = '';

  constructor(private readonly baseUrl: string) {}

  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.request = http.get(
        `${this.baseUrl}/sse`,
        { headers: { accept: 'text/event-stream' } },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            this.buffer += chunk;
            let end: number;
            while ((end = this.buffer.indexOf('\n\n')) >= 0) {
              const frame = this.buffer.slice(0, end);
              this.buffer = this.buffer.slice(end + 2);
              const event = /^event: (.*)$/m.exec(frame)?.[1];
              const data = /^data: (.*)$/m.exec(frame)?.[1];
              if (event === 'endpoint' && data) {
                this.endpoint = data;
                resolve();
              } else if (event === 'message' && data) {
                this.messages.push(JSON.parse(data) as RpcAnswer);
              }
            }
          });
        },
      );
      this.request.on('error', reject);
    });
  }

  async send(message: unknown): Promise<number> {
    const response = await fetch(`${this.baseUrl}${this.endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    await response.text();
    return response.status;
  }

  async answerTo(id: number): Promise<RpcAnswer> {
    await eventually(() => this.messages.some((m) => m.id === id));
    return this.messages.find((m) => m.id === id)!;
  }

  close(): void {
    this.request?.destroy();
  }
}

describe('Legacy SSE before initialize', () => {
  let running: RunningApp;
  let sse: LegacySseSession;
  const callTool = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'get_current_temperature', arguments: { city: 'bern' } },
  });

  beforeEach(async () => {
    running = await startApp();
    sse = new LegacySseSession(running.url);
    await sse.open();
  });
  afterEach(async () => {
    sse.close();
    await running.close();
  });

  it('refuses a tools/call on the stream, without calling upstream', async () => {
    expect(await sse.send(callTool(1))).toBe(202);
    const answer = await sse.answerTo(1);
    expect(answer.result).toBeUndefined();
    expect(answer.error).toMatchObject({ code: -32000 });
    expect(answer.error?.message).toMatch(/not initialized/);
    expect(running.fake.count()).toBe(0);
  });

  it('answers an initialize with invalid params with Invalid params in one line', async () => {
    await sse.send({ ...INITIALIZE, params: { protocolVersion: 5 } });
    expectInvalidParams({ status: 200, rpc: await sse.answerTo(INITIALIZE.id) }, 'protocolVersion');
    // Still not initialized.
    await sse.send(callTool(2));
    expect((await sse.answerTo(2)).error).toMatchObject({ code: -32000 });
  });

  it('answers ping before initialize, and serves the call once initialized', async () => {
    await sse.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(await sse.answerTo(1)).toMatchObject({ result: {} });

    await sse.send({
      ...INITIALIZE,
      id: 2,
      params: { ...INITIALIZE.params, protocolVersion: '2024-11-05' },
    });
    expect(await sse.answerTo(2)).toMatchObject({ result: { protocolVersion: '2024-11-05' } });
    await sse.send({ jsonrpc: '2.0', method: 'notifications/initialized' });

    await sse.send(callTool(3));
    const answer = await sse.answerTo(3);
    expect(answer.error).toBeUndefined();
    expect(answer.result).toMatchObject({ structuredContent: { city: 'bern' } });
  });
});
