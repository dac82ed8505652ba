import net from 'node:net';
import request from 'supertest';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { RunningApp, startApp } from './support/http-app';

const KEY = 'edge-team-key-0123456789';
const ADMIN = 'edge-admin-key-0123456789';
const KEYS = { API_KEYS: `team:${KEY}`, ADMIN_API_KEYS: `ops:${ADMIN}` };

/** The path variants that reach the MCP endpoint: each must get the same guards and limits. */
const MCP_VARIANTS = ['/mcp', '/mcp/', '/mcp?x=1', '/mcp/?x=1'];

interface RawAnswer {
  status: number;
  head: string;
  /** Milliseconds from sending the request head to the server closing the socket. */
  closedAfterMs?: number;
}

/**
 * Sends a request head and, optionally, only the start of its body over a raw socket, and
 * resolves with the answer as soon as its head arrives: a server that waited for the rest of
 * the body would never answer.
 */
function rawRequest(url: string, head: string, partialBody = ''): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.destroy();
      resolve({ status: Number(received.split(' ')[1]), head: received.slice(0, end) });
    });
    socket.on('error', reject);
    socket.write(`${head.replace(/\n/g, '\r\n')}\r\n\r\n${partialBody}`);
  });
}

/** Resolves with how long the server took to close a socket on which `send` was written. */
function closedAfter(url: string, send: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(send));
    socket.on('data', () => undefined);
    socket.on('close', () => resolve(Date.now() - started));
    socket.on('error', reject);
  });
}

function head(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return [`${method} ${path} HTTP/1.1`, ...lines].join('\n');
}

describe('The HTTP edge', () => {
  let running: RunningApp;
  afterEach(async () => running?.close());

  describe('every path variant of /mcp', () => {
    beforeEach(async () => {
      running = await startApp({
        ...KEYS,
        SESSION_OPEN_PER_MINUTE: '2',
        RATE_LIMIT_PER_MINUTE: '6',
      });
    });

    it.each(MCP_VARIANTS)('%s: no key is a JSON-RPC 401 naming the schemes', async (path) => {
      const response = await request(running.url)
        .post(path)
        .set('Accept', ACCEPT_BOTH)
        .send(INITIALIZE)
        .expect(401);
      expect(response.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
      expect(response.headers['www-authenticate']).toMatch(/ApiKey header="X-API-Key"/);
      expect(response.headers['www-authenticate']).toMatch(/Bearer/);
    });

    it.each(MCP_VARIANTS)('%s: a foreign Host is 403', async (path) => {
      await request(running.url)
        .post(path)
        .set('Host', 'evil.example.com')
        .set('X-API-Key', KEY)
        .set('Accept', ACCEPT_BOTH)
        .send(INITIALIZE)
        .expect(403);
    });

    it('counts an initialize on any variant against the session-open limit', async () => {
      const open = (path: string) =>
        request(running.url)
          .post(path)
          .set('X-API-Key', KEY)
          .set('Accept', ACCEPT_BOTH)
          .send(INITIALIZE);
      await open('/mcp/').expect(200);
      await open('/mcp?x=1').expect(200);
      const refused = await open('/mcp/?x=1').expect(429);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    });

    it('counts every variant against one per-minute budget', async () => {
      const calls = [
        ...MCP_VARIANTS.map((path) => request(running.url).delete(path)),
        request(running.url).head('/sse/?x=1'),
        request(running.url).post('/messages/?sessionId=x').send({}),
      ];
      for (const call of calls) {
        expect((await call.set('X-API-Key', KEY)).status).not.toBe(429);
      }
      await request(running.url).delete('/mcp/').set('X-API-Key', KEY).expect(429);
    });

    it('labels every variant with the one route in the request metrics', async () => {
      for (const path of MCP_VARIANTS)
        await request(running.url).delete(path).set('X-API-Key', KEY);
      const metrics = await request(running.url).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/mcp"/);
      expect(metrics.text).not.toMatch(/route="\/mcp\/"|route="\/mcp\?/);
    });

    it('answers other methods with 405 and the methods that exist, HEAD included', async () => {
      const put = await request(running.url).put('/mcp/').set('X-API-Key', KEY).expect(405);
      expect(put.headers.allow).toBe('GET, POST, DELETE');
      expect(put.body).toMatchObject({ jsonrpc: '2.0', error: { message: 'Method not allowed' } });
      await request(running.url).head('/mcp').set('X-API-Key', KEY).expect(405);
      await request(running.url).head('/sse').set('X-API-Key', KEY).expect(405);
      const sessions = await request(running.url).get('/admin/sessions').set('X-API-Key', ADMIN);
      expect(sessions.body.total).toBe(0);
    });
  });

  describe('the order of work: no body is read before the caller is known and within its limits', () => {
    beforeEach(async () => {
      running = await startApp({ ...KEYS, RATE_LIMIT_PER_MINUTE: '2' });
    });

    const bigJson = (extra: Record<string, string> = {}) =>
      head('POST', '/mcp', {
        'content-type': 'application/json',
        accept: ACCEPT_BOTH,
        'content-length': 1_000_000,
        ...extra,
      });

    it('refuses a caller without a key before reading its body', async () => {
      expect((await rawRequest(running.url, bigJson(), '{"jsonrpc":')).status).toBe(401);
      const admin = head('POST', '/admin/cache/invalidate', {
        'content-type': 'application/json',
        'content-length': 1_000_000,
      });
      expect((await rawRequest(running.url, admin, '{"city":')).status).toBe(401);
    });

    it('refuses a caller over its rate limit before reading its body', async () => {
      await request(running.url).delete('/mcp').set('X-API-Key', KEY);
      await request(running.url).delete('/mcp').set('X-API-Key', KEY);
      const answer = await rawRequest(running.url, bigJson({ 'x-api-key': KEY }), '{"jsonrpc":');
      expect(answer.status).toBe(429);
    });
  });

  describe('MAX_BODY_BYTES, for every content type on every route', () => {
    beforeEach(async () => {
      running = await startApp({ ...KEYS, MAX_BODY_BYTES: '2048' });
    });

    const routes: [string, string][] = [
      ['/mcp', KEY],
      ['/messages?sessionId=x', KEY],
      ['/admin/cache/invalidate', ADMIN],
    ];

    it.each(routes)('%s: a declared length over the limit is 413 unread', async (path, key) => {
      for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
        const answer = await rawRequest(
          running.url,
          head('POST', path, {
            'content-type': type,
            'content-length': 3_900_000,
            'x-api-key': key,
          }),
          'x'.repeat(100),
        );
        expect(answer.status).toBe(413);
        expect(answer.head).toMatch(/connection: close/i);
      }
    });

    it.each(routes)('%s: a body that is not JSON is 415 unread', async (path, key) => {
      const answer = await rawRequest(
        running.url,
        head('POST', path, {
          'content-type': 'text/plain',
          'content-length': 2000,
          'x-api-key': key,
        }),
        'x'.repeat(10),
      );
      expect(answer.status).toBe(415);
    });

    it.each(routes)('%s: a chunked JSON body is cut at the limit with 413', async (path, key) => {
      const chunk = `{"padding":"${'x'.repeat(3000)}`;
      const answer = await rawRequest(
        running.url,
        head('POST', path, {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          'x-api-key': key,
        }),
        `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
      );
      expect(answer.status).toBe(413);
      expect(answer.head).toMatch(/content-type: application\/json/i);
    });
  });

  describe('HTTP server bounds', () => {
    it('closes sockets that never finish their headers, or their body', async () => {
      running = await startApp({
        ...KEYS,
        HTTP_HEADERS_TIMEOUT_SECONDS: '1',
        HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      });
      const trickle = await closedAfter(running.url, 'POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n');
      expect(trickle).toBeLessThan(4000);
      const endless = await closedAfter(
        running.url,
        `${head('POST', '/mcp', { 'content-type': 'application/json', 'content-length': 500, 'x-api-key': KEY, accept: ACCEPT_BOTH })}\r\n\r\n{"jsonrpc":`.replace(
          /\n/g,
          '\r\n',
        ),
      );
      expect(endless).toBeLessThan(5000);
    });

    it('closes idle keep-alive sockets and caps open connections', async () => {
      running = await startApp({
        ...KEYS,
        HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '1',
        HTTP_MAX_CONNECTIONS: '2',
      });
      const idle = await closedAfter(
        running.url,
        'GET /health/live HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n',
      );
      expect(idle).toBeGreaterThanOrEqual(900);
      expect(idle).toBeLessThan(4000);

      const { port } = new URL(running.url);
      const held = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<net.Socket>((resolve) => {
              const socket = net.connect(Number(port), '127.0.0.1', () => resolve(socket));
            }),
        ),
      );
      const third = await closedAfter(running.url, '');
      expect(third).toBeLessThan(1000);
      held.forEach((socket) => socket.destroy());
    });
  });

  describe('OpenAPI', () => {
    it('documents the MCP routes for a gateway: tag, security, errors, servers', async () => {
      running = await startApp({ ...KEYS, PUBLIC_BASE_URL: 'https://gw.example.com/aare' });
      const { body: doc } = await request(running.url).get('/docs-json').expect(200);
      expect(doc.servers).toEqual([{ url: 'https://gw.example.com/aare' }]);
      expect(doc.components.securitySchemes).toMatchObject({
        'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      });
      const operations = [
        doc.paths['/mcp'].post,
        doc.paths['/mcp'].get,
        doc.paths['/mcp'].delete,
        doc.paths['/sse'].get,
        doc.paths['/messages'].post,
      ];
      for (const operation of operations) {
        expect(operation.tags).toEqual(['MCP']);
        expect(operation.security).toEqual(expect.arrayContaining([{ 'api-key': [] }]));
        expect(operation.description).toMatch(/JSON-RPC 2\.0 per the MCP specification/);
        expect(operation.responses['401'].content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/JsonRpcErrorResponseDto',
        });
      }
      expect(doc.components.schemas.JsonRpcErrorResponseDto).toMatchObject({
        required: ['jsonrpc', 'error', 'id'],
      });
      expect(Object.keys(doc.paths['/mcp'].post.responses).sort()).toEqual(
        ['200', '202', '400', '401', '403', '404', '405', '413', '415', '429', '503'].sort(),
      );
      expect(doc.paths['/messages'].post.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'sessionId', in: 'query' })]),
      );
    });
  });
});
