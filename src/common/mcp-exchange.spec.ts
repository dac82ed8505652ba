import type { IncomingMessage } from 'node:http';
import { beginExchange, classifyBody, exchangeLogFields, exchangeOf } from './mcp-exchange';
import { redactUrl } from './request-path';

const request = (method: string, headers: Record<string, string> = {}) =>
  ({ method, headers }) as IncomingMessage;

describe('the MCP exchange of a request', () => {
  it('exists only for requests that reached an MCP route', () => {
    const req = request('POST');
    expect(exchangeOf(req)).toBeUndefined();
    beginExchange(req, '/mcp');
    expect(exchangeOf(req)).toMatchObject({ route: '/mcp', opensSession: false });
  });

  it('opens a session for an initialize POST to /mcp without a session id, and a new SSE stream', () => {
    const init = request('POST');
    beginExchange(init, '/mcp');
    classifyBody(init, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    expect(exchangeOf(init)).toMatchObject({ opensSession: true, method: 'initialize' });

    const sse = request('GET');
    expect(beginExchange(sse, '/sse')).toMatchObject({ opensSession: true, era: '2024-11-05' });
  });

  it('does not count other requests as opening one', () => {
    const cases: [IncomingMessage, '/mcp' | '/messages', unknown][] = [
      [request('POST'), '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
      [request('POST', { 'mcp-session-id': 's' }), '/mcp', { method: 'initialize' }],
      [request('POST'), '/messages', { method: 'initialize' }],
      [request('POST'), '/mcp', [{ method: 'initialize' }]],
      [request('GET'), '/mcp', undefined],
    ];
    for (const [req, route, body] of cases) {
      beginExchange(req, route);
      classifyBody(req, body);
      expect(exchangeOf(req)?.opensSession).toBe(false);
    }
  });

  it('names the method and its target (tool, prompt, resource URI), cut to a bounded length', () => {
    const call = request('POST');
    beginExchange(call, '/mcp');
    classifyBody(call, { method: 'tools/call', params: { name: 'x'.repeat(10_000) } });
    expect(exchangeOf(call)?.target).toHaveLength(200);

    const read = request('POST');
    beginExchange(read, '/mcp');
    classifyBody(read, { method: 'resources/read', params: { uri: 'aareguru://current/bern' } });
    expect(exchangeLogFields(exchangeOf(read)!)).toEqual({
      rpcMethod: 'resources/read',
      rpcTarget: 'aareguru://current/bern',
    });

    const batch = request('POST');
    beginExchange(batch, '/mcp');
    classifyBody(batch, [{ method: 'ping' }]);
    expect(exchangeOf(batch)?.method).toBe('batch');
  });
});

describe('redactUrl', () => {
  it('hides the values of key-like query parameters and keeps the rest', () => {
    expect(redactUrl('/mcp?api_key=s1&sessionId=abc&apiKey=s2&access_token=s3')).toBe(
      '/mcp?api_key=[redacted]&sessionId=abc&apiKey=[redacted]&access_token=[redacted]',
    );
    expect(redactUrl('/sse?key=s&token=t')).toBe('/sse?key=[redacted]&token=[redacted]');
    expect(redactUrl('/messages?sessionId=abc')).toBe('/messages?sessionId=abc');
    expect(redactUrl('/health')).toBe('/health');
  });
});
