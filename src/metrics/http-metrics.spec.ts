import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge, Histogram } from 'prom-client';
import { beginExchange, classifyBody, type McpRoute } from '../common/mcp-exchange';
import { HttpMetrics, isLongLivedStream, STREAM_KINDS } from './http-metrics';

function exchange(
  method: string,
  route: McpRoute | undefined,
  status: number,
  options: { body?: unknown; contentType?: string } = {},
): [IncomingMessage, ServerResponse] {
  const req = { method, headers: {} } as IncomingMessage;
  if (route) beginExchange(req, route);
  if (options.body !== undefined) classifyBody(req, options.body);
  const res = {
    statusCode: status,
    getHeader: (name: string) =>
      name.toLowerCase() === 'content-type' ? options.contentType : undefined,
  } as unknown as ServerResponse;
  return [req, res];
}

const LISTEN = { jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: {} };
const CALL = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } };

describe('isLongLivedStream', () => {
  it('is the GET stream of /mcp and of /sse, once it was granted', () => {
    expect(isLongLivedStream(...exchange('GET', '/mcp', 200))).toBe(true);
    expect(isLongLivedStream(...exchange('GET', '/sse', 200))).toBe(true);
  });

  it('is a 2026 listen stream answered as an event stream', () => {
    const sse = { body: LISTEN, contentType: 'text/event-stream' };
    expect(isLongLivedStream(...exchange('POST', '/mcp', 200, sse))).toBe(true);
    const json = { body: LISTEN, contentType: 'application/json' };
    expect(isLongLivedStream(...exchange('POST', '/mcp', 200, json))).toBe(false);
  });

  it('is not a refused stream, a POST answered as a short event stream, or another route', () => {
    expect(isLongLivedStream(...exchange('GET', '/mcp', 405))).toBe(false);
    expect(isLongLivedStream(...exchange('GET', '/mcp', 409))).toBe(false);
    expect(isLongLivedStream(...exchange('GET', '/sse', 503))).toBe(false);
    const call = { body: CALL, contentType: 'text/event-stream' };
    expect(isLongLivedStream(...exchange('POST', '/mcp', 200, call))).toBe(false);
    expect(isLongLivedStream(...exchange('POST', '/messages', 200))).toBe(false);
    expect(isLongLivedStream(...exchange('GET', undefined, 200))).toBe(false);
  });
});

describe('HttpMetrics', () => {
  it('shows every kind of stream at 0 while none is open, instead of no series at all', async () => {
    const histogram = () =>
      new Histogram({
        name: 'h_spec',
        help: 'spec',
        labelNames: ['route', 'method', 'status'],
        registers: [],
      });
    const open = new Gauge({
      name: 'open_spec',
      help: 'spec',
      labelNames: ['route', 'method'],
      registers: [],
    });
    new HttpMetrics(histogram(), histogram(), open);
    const { values } = await open.get();
    expect(values.map(({ labels, value }) => ({ ...labels, value }))).toEqual(
      STREAM_KINDS.map((kind) => ({ ...kind, value: 0 })),
    );
  });
});
