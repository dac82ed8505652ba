import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  isLegacyRequest,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import { toWebRequest } from '@modelcontextprotocol/node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLegacy } from './legacy-request';

const MODERN = '2026-07-28';
const envelope = {
  [PROTOCOL_VERSION_META_KEY]: MODERN,
  [CLIENT_INFO_META_KEY]: { name: 'spec', version: '1.0.0' },
  [CLIENT_CAPABILITIES_META_KEY]: {},
};
const modernCall = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'list_cities', arguments: {}, _meta: envelope },
};
const modernHeaders = {
  'mcp-protocol-version': MODERN,
  'mcp-method': 'tools/call',
  'mcp-name': 'list_cities',
};

const CASES: [string, string, Record<string, string>, unknown][] = [
  ['a 2025 initialize', 'POST', {}, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }],
  ['a request without an envelope', 'POST', {}, { jsonrpc: '2.0', id: 2, method: 'tools/list' }],
  ['a notification', 'POST', {}, { jsonrpc: '2.0', method: 'notifications/initialized' }],
  ['a posted response', 'POST', {}, { jsonrpc: '2.0', id: 3, result: {} }],
  ['a batch', 'POST', {}, [{ jsonrpc: '2.0', id: 4, method: 'ping' }]],
  ['a 2026-07-28 request', 'POST', modernHeaders, modernCall],
  ['a 2026-07-28 request without headers', 'POST', {}, modernCall],
  [
    'a 2026-07-28 request naming another method in its header',
    'POST',
    { ...modernHeaders, 'mcp-method': 'tools/list' },
    modernCall,
  ],
  [
    'a 2025 request with a 2026 version header',
    'POST',
    { 'mcp-protocol-version': MODERN },
    {
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/list',
    },
  ],
  ['something that is not JSON-RPC', 'POST', {}, { hello: 'world' }],
  ['a GET', 'GET', {}, undefined],
  ['a DELETE', 'DELETE', {}, undefined],
];

describe('isLegacy', () => {
  let server: http.Server;
  let url: string;
  let verdicts: { ours: boolean; sdk: boolean }[];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        const body: unknown = text ? JSON.parse(text) : undefined;
        void (async () => {
          const ours = await isLegacy(req, body);
          const sdk = await isLegacyRequest(await toWebRequest(req, body), body);
          verdicts.push({ ours, sdk });
          res.end();
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (verdicts = []));

  it.each(CASES)('classifies %s as the SDK does', async (_name, method, headers, body) => {
    await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0].ours).toBe(verdicts[0].sdk);
  });

  it('tells the eras apart', async () => {
    for (const [, method, headers, body] of [CASES[0], CASES[5]]) {
      await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    }
    expect(verdicts.map((v) => v.ours)).toEqual([true, false]);
  });
});
