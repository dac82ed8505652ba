import request from 'supertest';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { RunningApp, startApp } from './support/http-app';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { runServerToExit, spawnServer } from './support/spawn-server';

describe('The application', () => {
  let fake: FakeAareguru;
  let baseUrl: string;

  beforeAll(async () => {
    fake = new FakeAareguru();
    baseUrl = await fake.start();
  });

  afterAll(async () => {
    await fake.stop();
  });

  describe('in process', () => {
    let running: RunningApp;
    let app: RunningApp['app'];

    beforeAll(async () => {
      running = await startApp({}, fake);
      app = running.app;
    });

    afterAll(async () => {
      await running.close();
    });

    it('answers GET /health/live without touching upstream', async () => {
      const response = await request(app.getHttpServer()).get('/health/live').expect(200);
      expect(response.body).toMatchObject({ status: 'ok' });
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(fake.requests).toHaveLength(0);
    });

    it('echoes a sane request id and makes one otherwise', async () => {
      const kept = await request(app.getHttpServer())
        .get('/health/live')
        .set('X-Request-Id', 'gateway-123')
        .expect(200);
      expect(kept.headers['x-request-id']).toBe('gateway-123');
      const replaced = await request(app.getHttpServer())
        .get('/health/live')
        .set('X-Request-Id', 'not sane <script>')
        .expect(200);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers an unknown route with JSON, not an HTML page', async () => {
      const response = await request(app.getHttpServer()).get('/nope').expect(404);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.body).toMatchObject({ statusCode: 404 });
    });
  });

  describe('the production build (node dist/main.js)', () => {
    it('starts, answers /health/live with 200 and stops on SIGTERM', async () => {
      const server = await spawnServer({ AAREGURU_BASE_URL: baseUrl });
      try {
        const response = await request(server.url).get('/health/live').expect(200);
        expect(response.body.status).toBe('ok');
      } finally {
        const ended = await server.stop();
        expect(ended.code).toBe(0);
      }
    });

    it('writes JSON logs with request ids and never a secret', async () => {
      const server = await spawnServer({ AAREGURU_BASE_URL: baseUrl });
      await request(server.url)
        .get('/nope')
        .set('X-Request-Id', 'trace-me-1')
        .set('X-API-Key', 'super-secret-key')
        .expect(404);
      await request(server.url)
        .get('/nope?api_key=query-secret-key&token=query-secret-token')
        .set('X-Request-Id', 'trace-me-2')
        .expect(404);
      await server.stop();
      const lines = logLines(server.stdout());
      const logged = lines.find((line) => (line.req as { id?: string })?.id === 'trace-me-1');
      expect(logged).toMatchObject({
        level: 40,
        app: 'aareguru-mcp',
        req: { method: 'GET', url: '/nope' },
        res: { statusCode: 404 },
      });
      expect((logged!.req as Record<string, unknown>).headers).toBeUndefined();
      expect(server.stdout()).not.toContain('super-secret-key');
      const queried = lines.find((line) => (line.req as { id?: string })?.id === 'trace-me-2');
      expect((queried!.req as { url: string }).url).toBe(
        '/nope?api_key=[redacted]&token=[redacted]',
      );
      expect(server.stdout()).not.toContain('query-secret');
    });

    it('logs each MCP request in one line: key label, session, JSON-RPC method, tool and outcome', async () => {
      const key = 'logging-key-0123456789';
      const server = await spawnServer({
        AAREGURU_BASE_URL: baseUrl,
        API_KEYS: `team-a:${key}`,
      });
      const headers = {
        'content-type': 'application/json',
        accept: ACCEPT_BOTH,
        'x-api-key': key,
      };
      const opened = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': 'open-1' },
        body: JSON.stringify(INITIALIZE),
      });
      await opened.text();
      const sessionId = opened.headers.get('mcp-session-id')!;
      const called = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'mcp-session-id': sessionId, 'x-request-id': 'call-1' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'get_current_temperature', arguments: { city: 'bern' } },
        }),
      });
      await called.text();
      // Closed by the client: logged while its DELETE, which names the session, is served.
      const deleted = await fetch(`${server.url}/mcp`, {
        method: 'DELETE',
        headers: { ...headers, 'mcp-session-id': sessionId },
      });
      expect(deleted.status).toBe(200);
      await server.stop();
      const lines = logLines(server.stdout());
      const of = (id: string) => lines.filter((l) => (l.req as { id?: string })?.id === id);

      expect(of('open-1').find((l) => l.msg === 'request completed')).toMatchObject({
        keyLabel: 'team-a',
        sessionId,
        res: { statusCode: 200 },
      });
      const call = of('call-1');
      // The tool call's outcome is on the request's own line, not on a line of its own.
      expect(call).toHaveLength(1);
      expect(call[0]).toMatchObject({
        msg: 'request completed',
        req: { method: 'POST', url: '/mcp' },
        res: { statusCode: 200 },
        keyLabel: 'team-a',
        sessionId,
        era: '2025',
        rpcMethod: 'tools/call',
        rpcTarget: 'get_current_temperature',
        outcome: 'ok',
      });
      expect(typeof call[0].durationMs).toBe('number');
      // Each field once per line (no key is repeated in the JSON text), the session lines too.
      const rawLines = server.stdout().split('\n');
      const raw = rawLines.find(
        (line) => line.includes('"call-1"') && line.includes('request completed'),
      )!;
      expect(raw.match(/"sessionId"/g)).toHaveLength(1);
      expect(raw.match(/"keyLabel"/g)).toHaveLength(1);
      const sessionLines = rawLines.filter((line) => /"msg":"session (opened|closed)"/.test(line));
      expect(sessionLines.length).toBeGreaterThanOrEqual(2);
      for (const line of sessionLines) {
        expect(line.match(/"sessionId"/g)?.length ?? 0).toBeLessThanOrEqual(1);
        expect(line.match(/"keyLabel"/g)?.length ?? 0).toBeLessThanOrEqual(1);
      }
      expect(server.stdout()).not.toContain(key);
    });

    it('names the legacy SSE session on the log line of each message posted to it', async () => {
      const key = 'logging-key-0123456789';
      const server = await spawnServer({ AAREGURU_BASE_URL: baseUrl, API_KEYS: `team-b:${key}` });
      const stream = new AbortController();
      const events = await fetch(`${server.url}/sse`, {
        headers: { accept: 'text/event-stream', 'x-api-key': key },
        signal: stream.signal,
      });
      const reader = events.body!.getReader();
      let text = '';
      while (!/sessionId=([\w-]+)/.test(text)) {
        text += Buffer.from((await reader.read()).value!).toString('utf8');
      }
      const sessionId = /sessionId=([\w-]+)/.exec(text)![1];
      const posted = await fetch(`${server.url}/messages?sessionId=${sessionId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-request-id': 'msg-1' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      expect(posted.status).toBe(202);
      stream.abort();
      await server.stop();
      const line = logLines(server.stdout()).find(
        (l) => (l.req as { id?: string })?.id === 'msg-1' && l.msg === 'request completed',
      );
      expect(line).toMatchObject({ keyLabel: 'team-b', sessionId, res: { statusCode: 202 } });
    });

    it('can send every log line to stderr, keeping stdout clean', async () => {
      const server = await spawnServer({ AAREGURU_BASE_URL: baseUrl, LOG_DESTINATION: 'stderr' });
      await request(server.url).get('/health/live').expect(200);
      await server.stop();
      expect(server.stdout()).toBe('');
      expect(server.stderr()).toContain('"msg":"Listening on http://127.0.0.1:');
    });

    it('refuses to start with an invalid configuration, listing every problem', async () => {
      const result = await runServerToExit({
        PORT: 'eighty',
        AAREGURU_TIMEOUT_MS: '-5',
        LOG_LEVEL: 'loud',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        [
          'Invalid configuration:',
          '  - PORT: must be an integer number (got "eighty")',
          '  - AAREGURU_TIMEOUT_MS: must not be less than 1 (got "-5")',
          '  - LOG_LEVEL: must be one of the following values: fatal, error, warn, info, debug, trace, silent (got "loud")',
        ].join('\n'),
      );
      expect(result.stdout).toBe('');
    });

    it('refuses to start when a user key and an admin key share a label', async () => {
      const result = await runServerToExit({
        PORT: '0',
        API_KEYS: 'ops:user-key-0123456789',
        ADMIN_API_KEYS: 'ops:admin-key-0123456789',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        '  - ADMIN_API_KEYS: the label "ops" is also used in API_KEYS; labels must differ between the two lists',
      );
      expect(result.stderr).not.toContain('key-0123456789');
    });
  });
});

/** A server's JSON log output, one object per line. */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
