import type { CallToolResult } from '@modelcontextprotocol/client';
import { spawn } from 'node:child_process';
import http from 'node:http';
import request from 'supertest';
import { SessionLifecycleService } from '../src/sessions/session-lifecycle.service';
import { SESSION_REGISTRY, SessionRegistry } from '../src/sessions/session-registry.interface';
import { ACCEPT_BOTH, INITIALIZE, LIST_TOOLS } from './support/mcp-messages';
import { RunningApp, startApp } from './support/http-app';
import { connectClient, eventually } from './support/mcp-clients';
import { MAIN_JS } from './support/spawn-server';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { ManualClock } from './support/manual-clock';

/** A request with a Host header of our choosing (fetch and supertest set their own). */
function rawRequest(
  url: string,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; contentType?: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
          // An accepted SSE stream never ends by itself: the status is all we need.
          if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
        });
        res.on('close', () =>
          resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'] }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('MCP transports and sessions', () => {
  let running: RunningApp;
  let registry: SessionRegistry;

  beforeEach(async () => {
    running = await startApp({ AAREGURU_RETRIES: '0', SSE_HEARTBEAT_SECONDS: '1' });
    registry = running.app.get(SESSION_REGISTRY);
  });

  afterEach(async () => {
    await running.close();
  });

  describe('Streamable HTTP sessions (2025 era)', () => {
    it('keeps several sessions apart and forgets a closed one', async () => {
      const clients = await Promise.all(
        [1, 2, 3].map(() => connectClient('streamable-2025', { url: running.url })),
      );
      const ids = clients.map((c) => c.http!.sessionId);
      expect(new Set(ids).size).toBe(3);
      expect(registry.size('streamable-http')).toBe(3);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);

      const results = await Promise.all(
        clients.map((c, i) =>
          c.client.callTool({
            name: 'get_current_temperature',
            arguments: { city: ['bern', 'thun', 'brugg'][i] },
          }),
        ),
      );
      expect(results.map((r) => (r.structuredContent as { city: string }).city)).toEqual([
        'bern',
        'thun',
        'brugg',
      ]);

      const info = registry.get(ids[0]!)!.info;
      expect(info).toMatchObject({
        transport: 'streamable-http',
        protocolVersion: '2025-11-25',
        clientName: 'aareguru-e2e',
      });

      await clients[0].http!.terminateSession();
      expect(registry.get(ids[0]!)).toBeUndefined();
      expect(running.app.get(SessionLifecycleService).closedCounts()).toEqual({ deleted: 1 });
      expect(registry.size()).toBe(2);
      await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Mcp-Session-Id', ids[0]!)
        .send(LIST_TOOLS)
        .expect(404)
        .expect({
          jsonrpc: '2.0',
          error: { code: -32001, message: 'Session not found' },
          id: null,
        });

      // The other sessions still work.
      const still = await clients[1].client.listTools();
      expect(still.tools).toHaveLength(7);
      await Promise.all(clients.slice(1).map((c) => c.close()));
    });

    it('answers initialize with a session id, then serves that session', async () => {
      const init = await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .send(INITIALIZE)
        .expect(200);
      const sessionId = init.headers['mcp-session-id'];
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Mcp-Session-Id', sessionId)
        .send({ jsonrpc: '2.0', method: 'notifications/initialized' })
        .expect(202);
      const list = await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Mcp-Session-Id', sessionId)
        .set('Mcp-Protocol-Version', '2025-11-25')
        .send(LIST_TOOLS)
        .expect(200);
      expect(list.text).toContain('get_current_temperature');
      await request(running.url).delete('/mcp').set('Mcp-Session-Id', sessionId).expect(200);
      expect(registry.size()).toBe(0);
    });

    it('rejects a request without a session id (400) and an unknown one (404) in JSON', async () => {
      const missing = await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .send(LIST_TOOLS)
        .expect(400);
      expect(missing.body).toEqual({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Bad Request: Mcp-Session-Id header is required' },
        id: null,
      });
      await request(running.url).get('/mcp').set('Accept', 'text/event-stream').expect(400);
      await request(running.url)
        .delete('/mcp')
        .set('Mcp-Session-Id', 'no-such-session')
        .expect(404);
      await request(running.url)
        .get('/mcp')
        .set('Accept', 'text/event-stream')
        .set('Mcp-Session-Id', 'no-such-session')
        .expect(404);
    });

    it('answers malformed JSON with a JSON-RPC parse error and other methods with 405', async () => {
      const parse = await request(running.url)
        .post('/mcp')
        .set('Content-Type', 'application/json')
        .set('Accept', ACCEPT_BOTH)
        .send('{"jsonrpc": "2.0", "method": ')
        .expect(400);
      expect(parse.body).toEqual({
        jsonrpc: '2.0',
        error: { code: -32700, message: 'Parse error: the body is not valid JSON' },
        id: null,
      });
      const put = await request(running.url).put('/mcp').expect(405);
      expect(put.headers.allow).toBe('GET, POST, DELETE');
      expect(put.body.jsonrpc).toBe('2.0');
    });
  });

  it('closes every session, of every transport, when the app shuts down', async () => {
    const lifecycle = running.app.get(SessionLifecycleService);
    const streamable = await connectClient('streamable-2025', { url: running.url });
    const sse = await connectClient('sse', { url: running.url });
    expect(registry.size()).toBe(2);
    await running.close();
    expect(registry.size()).toBe(0);
    expect(lifecycle.closedCounts()).toEqual({ shutdown: 2 });
    await Promise.allSettled([streamable.close(), sse.close()]);
  });

  describe('legacy HTTP+SSE', () => {
    it('announces the messages endpoint first and forgets the session when the client leaves', async () => {
      const client = await connectClient('sse', { url: running.url });
      expect(registry.size('sse')).toBe(1);
      const [session] = registry.list();
      expect(session.info.transport).toBe('sse');
      await client.close();
      await eventually(() => registry.size() === 0);
      expect(running.app.get(SessionLifecycleService).closedCounts()).toEqual({ client: 1 });
    });

    it('sends keep-alive comments and the endpoint under the public base path', async () => {
      const prefixed = await startApp({
        PUBLIC_BASE_URL: 'https://gw.example.com/aare',
        SSE_HEARTBEAT_SECONDS: '1',
      });
      try {
        const received = await new Promise<{ text: string; headers: http.IncomingHttpHeaders }>(
          (resolve, reject) => {
            const req = http.get(`${prefixed.url}/sse`, (res) => {
              let text = '';
              res.on('data', (chunk: Buffer) => {
                text += chunk.toString('utf8');
                if (text.includes(': keep-alive')) {
                  resolve({ text, headers: res.headers });
                  req.destroy();
                }
              });
            });
            req.on('error', reject);
          },
        );
        expect(received.headers['content-type']).toBe('text/event-stream');
        expect(received.headers['x-accel-buffering']).toBe('no');
        expect(received.headers['content-encoding']).toBeUndefined();
        expect(received.text).toMatch(
          /^event: endpoint\ndata: \/aare\/messages\?sessionId=[0-9a-f-]{36}\n\n/,
        );
      } finally {
        await prefixed.close();
      }
    });

    it('answers a message for an unknown session with 404 JSON', async () => {
      const response = await request(running.url)
        .post('/messages?sessionId=nope')
        .send({ jsonrpc: '2.0', id: 1, method: 'ping' })
        .expect(404);
      expect(response.body.error.code).toBe(-32001);
    });
  });

  describe('Host and Origin checks', () => {
    const cases: [string, string, Record<string, string>][] = [
      ['POST', '/mcp', { 'content-type': 'application/json', accept: ACCEPT_BOTH }],
      ['GET', '/mcp', { accept: 'text/event-stream' }],
      ['DELETE', '/mcp', {}],
      ['GET', '/sse', { accept: 'text/event-stream' }],
      ['POST', '/messages?sessionId=x', { 'content-type': 'application/json' }],
    ];

    it.each(cases)(
      '%s %s: a foreign Host is refused with 403 JSON',
      async (method, path, headers) => {
        const response = await rawRequest(running.url, {
          method,
          path,
          headers: { ...headers, host: 'evil.example.com' },
          body: method === 'POST' ? JSON.stringify(INITIALIZE) : undefined,
        });
        expect(response.status).toBe(403);
        expect(JSON.parse(response.body)).toMatchObject({
          jsonrpc: '2.0',
          error: { code: -32000 },
        });
      },
    );

    it.each(cases)(
      '%s %s: a foreign Origin is refused with 403 JSON',
      async (method, path, headers) => {
        const response = await rawRequest(running.url, {
          method,
          path,
          headers: {
            ...headers,
            host: new URL(running.url).host,
            origin: 'https://evil.example.com',
          },
          body: method === 'POST' ? JSON.stringify(INITIALIZE) : undefined,
        });
        expect(response.status).toBe(403);
        expect(JSON.parse(response.body).error.message).toMatch(/Origin/);
      },
    );

    it('lets a local Origin and a localhost Host through', async () => {
      const response = await rawRequest(running.url, {
        method: 'POST',
        path: '/mcp',
        headers: {
          'content-type': 'application/json',
          accept: ACCEPT_BOTH,
          host: `localhost:${new URL(running.url).port}`,
          origin: 'http://localhost:6274',
        },
        body: JSON.stringify(INITIALIZE),
      });
      expect(response.status).toBe(200);
    });
  });

  describe('when upstream is down', () => {
    it('serves the cached answer marked stale, and says so plainly when nothing is cached', async () => {
      const clock = new ManualClock(Date.now());
      const fake = new FakeAareguru();
      await fake.start();
      const app = await startApp({ AAREGURU_RETRIES: '0' }, fake, clock);
      const client = await connectClient('streamable-2025', { url: app.url });
      try {
        const call = (city: string) =>
          client.client.callTool({
            name: 'get_current_temperature',
            arguments: { city },
          }) as Promise<CallToolResult>;
        expect((await call('bern')).isError).toBeFalsy();

        fake.inject({ fault: { kind: 'status', status: 503 } });
        clock.advance(10 * 60 * 1000);
        const stale = await call('bern');
        expect(stale.isError).toBeFalsy();
        expect(stale.structuredContent).toMatchObject({
          temperature: 12.5,
          source: { stale: true, ageSeconds: 600 },
        });
        expect((stale.content[0] as { text: string }).text).toMatch(/not answering.*600 s old/);

        const nothing = await call('thun');
        expect(nothing.isError).toBe(true);
        expect((nothing.content[0] as { text: string }).text).toBe(
          'The Aareguru API is unavailable right now (it answered with an error) and no earlier answer is cached. Please try again in a minute.',
        );
      } finally {
        await client.close();
        await app.close();
        await fake.stop();
      }
    });
  });
});

describe('stdio', () => {
  it('writes only MCP to stdout and exits cleanly when stdin closes', async () => {
    const fake = new FakeAareguru();
    const baseUrl = await fake.start();
    try {
      const child = spawn(process.execPath, [MAIN_JS, '--transport', 'stdio'], {
        env: { PATH: process.env.PATH, AAREGURU_BASE_URL: baseUrl, LOG_LEVEL: 'info' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );

      child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
      await eventually(() => stdout.includes('"id":1'));
      child.stdin.write(
        `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`,
      );
      child.stdin.write(
        `${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_cities', arguments: {} } })}\n`,
      );
      await eventually(() => stdout.includes('"id":2'));
      child.stdin.end();

      expect(await exited).toBe(0);
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { jsonrpc: string });
      expect(lines.every((line) => line.jsonrpc === '2.0')).toBe(true);
      expect(stderr).toContain('Serving MCP over stdio');
    } finally {
      await fake.stop();
    }
  });
});
