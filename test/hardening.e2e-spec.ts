import type { CallToolResult } from '@modelcontextprotocol/client';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import request from 'supertest';
import { sha256 } from '../src/config/api-keys.parser';
import { SessionLifecycleService } from '../src/sessions/session-lifecycle.service';
import { SESSION_REGISTRY, SessionRegistry } from '../src/sessions/session-registry.interface';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { RunningApp, startApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import { ConnectedClient, connectClient } from './support/mcp-clients';
import { scrapeMetrics } from './support/metrics';

const TEAM_A = 'team-a-key-0123456789';
const TEAM_B = 'team-b-key-0123456789';
const ADMIN = 'admin-key-0123456789ab';
const KEYS = {
  // One plain, one stored as a hash: both must work.
  API_KEYS: `team-a:${TEAM_A},team-b:sha256:${sha256(TEAM_B).toString('hex')}`,
  ADMIN_API_KEYS: `ops:${ADMIN}`,
};

/** The challenge on every 401: the key goes in X-API-Key or as a bearer token. */
const CHALLENGE = 'ApiKey header="X-API-Key", Bearer';

function initialize(url: string, key?: string) {
  const req = request(url).post('/mcp').set('Accept', ACCEPT_BOTH);
  if (key) req.set('X-API-Key', key);
  return req.send(INITIALIZE);
}

/** Clients a test opened, closed before its app so nothing reconnects into a closed port. */
const clients: ConnectedClient[] = [];
async function connect(...args: Parameters<typeof connectClient>): Promise<ConnectedClient> {
  const client = await connectClient(...args);
  clients.push(client);
  return client;
}

describe('Hardening', () => {
  let running: RunningApp;
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await running?.close();
  });

  describe('API keys', () => {
    beforeEach(async () => {
      running = await startApp(KEYS);
    });

    it.each([
      ['POST', '/mcp'],
      ['GET', '/mcp'],
      ['DELETE', '/mcp'],
      ['GET', '/sse'],
      ['POST', '/messages?sessionId=x'],
    ])('%s %s without a key (or a wrong one) is 401 JSON', async (method, path) => {
      for (const key of [undefined, 'not-a-real-key-000000']) {
        const req = request(running.url)
          [method.toLowerCase() as 'get'](path)
          .set('Accept', ACCEPT_BOTH);
        if (key) req.set('X-API-Key', key);
        const response = await (method === 'POST' ? req.send(INITIALIZE) : req);
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
        expect(JSON.stringify(response.body)).not.toMatch(/team-a|team-b|ops/);
      }
    });

    it('serves every transport with a valid key, plain or stored as a hash', async () => {
      for (const kind of ['streamable-2025', 'streamable-2026', 'sse'] as const) {
        for (const apiKey of [TEAM_A, TEAM_B]) {
          const client = await connect(kind, { url: running.url, apiKey });
          const { tools } = await client.client.listTools();
          expect(tools).toHaveLength(7);
          await client.close();
        }
      }
      await request(running.url).get('/mcp').set('Authorization', `Bearer ${TEAM_A}`).expect(400);
    });

    it('hides a session from any key but the one that opened it', async () => {
      const opened = await initialize(running.url, TEAM_A).expect(200);
      const sessionId = opened.headers['mcp-session-id'];
      const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
      await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('X-API-Key', TEAM_B)
        .set('Mcp-Session-Id', sessionId)
        .send(list)
        .expect(404);
      await request(running.url)
        .delete('/mcp')
        .set('X-API-Key', TEAM_B)
        .set('Mcp-Session-Id', sessionId)
        .expect(404);
      const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
      expect(registry.get(sessionId)?.info.keyLabel).toBe('team-a');

      const sse = await connect('sse', { url: running.url, apiKey: TEAM_A });
      const sseId = registry.list().find((s) => s.info.transport === 'sse')!.info.id;
      await request(running.url)
        .post(`/messages?sessionId=${sseId}`)
        .set('X-API-Key', TEAM_B)
        .send({ jsonrpc: '2.0', id: 3, method: 'ping' })
        .expect(404);
      await sse.close();
    });
  });

  describe('bodies', () => {
    beforeEach(async () => {
      running = await startApp();
    });

    it('refuses a 5 MiB body with 413 JSON and keeps serving', async () => {
      const huge = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
        params: { pad: 'x'.repeat(5 * 1024 * 1024) },
      });
      const response = await request(running.url)
        .post('/mcp')
        .set('Content-Type', 'application/json')
        .set('Accept', ACCEPT_BOTH)
        .send(huge);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({
        jsonrpc: '2.0',
        error: { message: 'Request body too large' },
      });
      await initialize(running.url).expect(200);
      await request(running.url).get('/health/live').expect(200);
    });
  });

  describe('rate limits', () => {
    beforeEach(async () => {
      running = await startApp({
        ...KEYS,
        RATE_LIMIT_PER_MINUTE: '5',
        SESSION_OPEN_PER_MINUTE: '2',
      });
    });

    it('answers a flood with 429, Retry-After and RateLimit headers, per key', async () => {
      const ping = () =>
        request(running.url)
          .get('/mcp')
          .set('Accept', 'text/event-stream')
          .set('X-API-Key', TEAM_A);
      for (let i = 0; i < 5; i += 1) expect((await ping()).status).toBe(400); // no session id
      const refused = await ping();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['ratelimit-policy']).toBe('"minute";q=5;w=60, "hour";q=1000;w=3600');
      expect(refused.body).toMatchObject({
        jsonrpc: '2.0',
        error: {
          message: expect.stringMatching(
            /^Too Many Requests: rate limit of 5 requests per minute exceeded; retry in \d+ s$/,
          ),
        },
      });
      // Another key has its own budget; health is never throttled.
      expect((await ping().set('X-API-Key', TEAM_B)).status).toBe(400);
      for (let i = 0; i < 20; i += 1) await request(running.url).get('/health/live').expect(200);
    });

    it('limits opening sessions more tightly than other requests', async () => {
      await initialize(running.url, TEAM_B).expect(200);
      await initialize(running.url, TEAM_B).expect(200);
      const third = await initialize(running.url, TEAM_B);
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBeDefined();
    });
  });

  it('keys a keyless caller on its client address, as the trusted proxy reports it', async () => {
    running = await startApp({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' });
    const from = (ip: string) =>
      request(running.url)
        .get('/mcp')
        .set('Accept', 'text/event-stream')
        .set('X-Forwarded-For', ip);
    expect((await from('203.0.113.1')).status).toBe(400);
    expect((await from('203.0.113.1')).status).toBe(400);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(400);
  });

  describe('session capacity and expiry', () => {
    it('answers 503 with Retry-After when full, while open sessions keep working', async () => {
      running = await startApp({ ...KEYS, MAX_SESSIONS: '3', MAX_SESSIONS_PER_KEY: '2' });
      const a = await connect('streamable-2025', { url: running.url, apiKey: TEAM_A });
      await connect('sse', { url: running.url, apiKey: TEAM_A });
      const perKey = await initialize(running.url, TEAM_A);
      expect(perKey.status).toBe(503);
      expect(perKey.headers['retry-after']).toBe('30');
      await initialize(running.url, TEAM_B).expect(200);
      const full = await initialize(running.url, TEAM_B);
      expect(full.status).toBe(503);
      expect(full.body.error.message).toMatch(/too many open sessions/);
      await request(running.url).get('/sse').set('X-API-Key', TEAM_B).expect(503);
      expect((await a.client.listTools()).tools).toHaveLength(7);
    });

    it('closes idle sessions and sessions past their lifetime, then answers 404', async () => {
      const clock = new ManualClock(Date.now());
      running = await startApp(
        { SESSION_IDLE_TIMEOUT_SECONDS: '60', SESSION_MAX_LIFETIME_SECONDS: '300' },
        undefined,
        clock,
      );
      const lifecycle = running.app.get(SessionLifecycleService);
      const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
      const idle = await initialize(running.url).expect(200);
      const busy = await connect('streamable-2025', { url: running.url });

      clock.advance(59_000);
      expect(await lifecycle.sweep()).toBe(0);
      await busy.client.listTools(); // activity keeps a session alive
      clock.advance(1_000);
      expect(await lifecycle.sweep()).toBe(1);
      expect(registry.get(idle.headers['mcp-session-id'])).toBeUndefined();
      await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Mcp-Session-Id', idle.headers['mcp-session-id'])
        .send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
        .expect(404);

      for (let t = 0; t < 5; t += 1) {
        clock.advance(55_000);
        await busy.client.listTools();
        await lifecycle.sweep();
      }
      expect(registry.size()).toBe(0); // 5 minutes of lifetime are over, however busy
      expect(lifecycle.closedCounts()).toEqual({ expired: 2 });
    });

    it('lets idle sessions hibernate and wakes them on their next request, streams left open', async () => {
      const clock = new ManualClock(Date.now());
      running = await startApp({ SESSION_HIBERNATE_SECONDS: '30' }, undefined, clock);
      const metricsBefore = await scrapeMetrics(running.url);
      const lifecycle = running.app.get(SessionLifecycleService);
      const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
      const streamable = await connect('streamable-2025', { url: running.url });
      const sse = await connect('sse', { url: running.url });
      const args = { name: 'get_current_temperature', arguments: { city: 'thun' } };
      const before = (await streamable.client.callTool(args)) as CallToolResult;
      const sessionId = streamable.http!.sessionId!;
      await sse.client.setLoggingLevel('error'); // replayed into the rebuilt server

      clock.advance(29_000);
      expect(await lifecycle.hibernateIdle()).toBe(0);
      clock.advance(1_000);
      expect(await lifecycle.hibernateIdle()).toBe(2);
      expect(registry.list().map((s) => s.awake)).toEqual([false, false]);

      // Same sessions, same answers; the client notices nothing.
      const after = (await streamable.client.callTool(args)) as CallToolResult;
      expect(after.structuredContent).toMatchObject({
        name: 'Thun',
        temperature: (before.structuredContent as { temperature: number }).temperature,
      });
      expect(streamable.http!.sessionId).toBe(sessionId);
      expect((await sse.client.listTools()).tools).toHaveLength(7);
      expect(registry.list().map((s) => s.awake)).toEqual([true, true]);
      expect(registry.size()).toBe(2);
      expect(lifecycle.closedCounts()).toEqual({});

      const metrics = await scrapeMetrics(running.url);
      for (const transport of ['streamable-http', 'sse']) {
        expect(metrics.since(metricsBefore, 'mcp_sessions_hibernated_total', { transport })).toBe(
          1,
        );
        expect(metrics.since(metricsBefore, 'mcp_sessions_woken_total', { transport })).toBe(1);
      }
    });
  });

  describe('admin API', () => {
    beforeEach(async () => {
      running = await startApp(KEYS);
    });

    it('is 401 without a key, 403 with a user key, 200 with an admin key', async () => {
      await request(running.url).get('/admin/sessions').expect(401);
      await request(running.url).get('/admin/sessions').set('X-API-Key', TEAM_A).expect(403);
      await request(running.url).get('/admin/sessions').set('X-API-Key', ADMIN).expect(200);
    });

    it('tells a caller without a valid key how to authenticate, and a user key nothing', async () => {
      for (const key of [undefined, 'not-a-real-key-000000']) {
        const req = request(running.url).get('/admin/config');
        if (key) req.set('X-API-Key', key);
        const response = await req.expect(401);
        expect(response.headers['www-authenticate']).toBe(CHALLENGE);
        expect(response.body).toMatchObject({ statusCode: 401 });
      }
      const forbidden = await request(running.url)
        .get('/admin/config')
        .set('X-API-Key', TEAM_A)
        .expect(403);
      expect(forbidden.headers['www-authenticate']).toBeUndefined();
    });

    it('lists, shows and closes sessions', async () => {
      const client = await connect('streamable-2025', { url: running.url, apiKey: TEAM_A });
      await connect('sse', { url: running.url, apiKey: TEAM_B });
      const all = await request(running.url)
        .get('/admin/sessions')
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(all.body.total).toBe(2);
      const mine = await request(running.url)
        .get('/admin/sessions?transport=streamable-http&keyLabel=team-a')
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(mine.body.sessions).toEqual([
        expect.objectContaining({
          id: client.http!.sessionId,
          transport: 'streamable-http',
          era: '2025',
          keyLabel: 'team-a',
          clientName: 'aareguru-e2e',
          hibernating: false,
        }),
      ]);
      await request(running.url)
        .get(`/admin/sessions/${client.http!.sessionId}`)
        .set('X-API-Key', ADMIN)
        .expect(200);
      await request(running.url)
        .delete(`/admin/sessions/${client.http!.sessionId}`)
        .set('X-API-Key', ADMIN)
        .expect(204);
      await request(running.url)
        .get(`/admin/sessions/${client.http!.sessionId}`)
        .set('X-API-Key', ADMIN)
        .expect(404);
      expect(running.app.get(SessionLifecycleService).closedCounts()).toEqual({ admin: 1 });
    });

    it('validates input and reports field errors', async () => {
      const bad = await request(running.url)
        .get('/admin/sessions?transport=carrier-pigeon&limit=0')
        .set('X-API-Key', ADMIN)
        .expect(400);
      expect(bad.body.message).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/transport/),
          expect.stringMatching(/limit/),
        ]),
      );
      const city = await request(running.url)
        .post('/admin/cache/invalidate')
        .set('X-API-Key', ADMIN)
        .send({ city: 'Bern!' })
        .expect(400);
      expect(city.body.message).toEqual(['city must be a lower-case city id']);
      await request(running.url)
        .post('/admin/cache/invalidate')
        .set('X-API-Key', ADMIN)
        .send({ colour: 'red' })
        .expect(400);
    });

    it('shows upstream state and cache entries, and invalidates the cache', async () => {
      const client = await connect('streamable-2025', { url: running.url, apiKey: TEAM_A });
      await client.client.callTool({
        name: 'get_current_temperature',
        arguments: { city: 'thun' },
      });
      const upstream = await request(running.url)
        .get('/admin/upstream')
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(upstream.body).toMatchObject({ circuit: 'closed', recentFailures: [] });
      expect(upstream.body.cache.map((e: { key: string }) => e.key)).toEqual(
        expect.arrayContaining(['cities', 'current?city=thun']),
      );
      const one = await request(running.url)
        .post('/admin/cache/invalidate')
        .set('X-API-Key', ADMIN)
        .send({ city: 'thun' })
        .expect(200);
      expect(one.body).toEqual({ removed: 1 });
      const rest = await request(running.url)
        .post('/admin/cache/invalidate')
        .set('X-API-Key', ADMIN)
        .send({})
        .expect(200);
      expect(rest.body.removed).toBeGreaterThanOrEqual(1);
      await client.close();
    });

    it('shows the effective configuration without secrets', async () => {
      const config = await request(running.url)
        .get('/admin/config')
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(config.body.auth).toEqual({
        mode: 'api-key',
        oauth: null,
        keyless: false,
        keys: ['team-a', 'team-b'],
        adminKeys: ['ops'],
        metricsRequireKey: false,
        identityHeader: null,
      });
      expect(config.body.sessions.maxSessions).toBe(10000);
      const text = JSON.stringify(config.body);
      for (const secret of [TEAM_A, ADMIN, sha256(TEAM_B).toString('hex')])
        expect(text).not.toContain(secret);
    });

    it('documents the admin, health and MCP endpoints in OpenAPI, not /metrics', async () => {
      const docs = await request(running.url).get('/docs-json').expect(200);
      const paths = Object.keys(docs.body.paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/admin/sessions',
          '/admin/sessions/{id}',
          '/admin/upstream',
          '/admin/cache/invalidate',
          '/admin/config',
          '/health/live',
          '/health/ready',
          '/health',
        ]),
      );
      expect(paths).toEqual(expect.arrayContaining(['/mcp', '/sse', '/messages']));
      expect(paths).not.toContain('/metrics');
      await request(running.url).get('/docs').expect(200);
    });
  });

  it('has no admin API without admin keys', async () => {
    running = await startApp({ API_KEYS: `team-a:${TEAM_A}` });
    await request(running.url).get('/admin/sessions').set('X-API-Key', TEAM_A).expect(404);
  });

  describe('health and metrics', () => {
    it('reports readiness and details', async () => {
      running = await startApp();
      await request(running.url).get('/health/ready').expect(200);
      const details = await request(running.url).get('/health').expect(200);
      expect(details.body.details).toMatchObject({
        server: { status: 'up', version: expect.any(String), uptimeSeconds: expect.any(Number) },
        aareguru: { status: 'up', circuit: 'closed' },
        sessions: { status: 'up', open: 0, streamableHttp: 0, sse: 0 },
      });
      // Upstream down does not make the server unready.
      running.fake.inject({ fault: { kind: 'status', status: 500 } });
      const client = await connect('streamable-2025', { url: running.url });
      await client.client.callTool({ name: 'list_cities', arguments: {} });
      await request(running.url).get('/health/ready').expect(200);
      await client.close();
    });

    it('counts a tool call in /metrics, with the app label and process metrics', async () => {
      running = await startApp();
      const before = await scrapeMetrics(running.url);
      const client = await connect('streamable-2025', { url: running.url });
      const result = (await client.client.callTool({
        name: 'get_current_temperature',
        arguments: { city: 'bern' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const after = await scrapeMetrics(running.url);
      const tool = { tool: 'get_current_temperature' };
      expect(after.text).toMatch(
        /^mcp_tool_calls_total\{tool="get_current_temperature",outcome="ok",app="aareguru-mcp"\} \d+$/m,
      );
      expect(after.since(before, 'mcp_tool_calls_total', { ...tool, outcome: 'ok' })).toBe(1);
      expect(after.since(before, 'mcp_tool_call_duration_seconds_count', tool)).toBe(1);
      const session = { transport: 'streamable-http', era: '2025', app: 'aareguru-mcp' };
      expect(after.since(before, 'mcp_sessions_open', session)).toBe(1);
      expect(after.since(before, 'mcp_sessions_opened_total', session)).toBe(1);
      expect(
        after.since(before, 'aareguru_upstream_requests_total', {
          endpoint: 'current',
          status: '200',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        after.since(before, 'aareguru_cache_events_total', { result: 'miss' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        after.since(before, 'http_request_duration_seconds_count', {
          route: '/mcp',
          method: 'POST',
          status: '200',
        }),
      ).toBeGreaterThanOrEqual(2); // initialize and the tool call, at least
      expect(after.value('process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(after.text).toMatch(/^nodejs_eventloop_lag_seconds\{app="aareguru-mcp"\} /m);
      await client.close();
    });

    it('states the version once, in build info, apart from the Node version', async () => {
      running = await startApp();
      const { version } = JSON.parse(
        readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
      ) as { version: string };
      const metrics = await scrapeMetrics(running.url);
      expect(metrics.text).toMatch(/^# HELP aareguru_mcp_build_info Build information: /m);
      expect(metrics.value('aareguru_mcp_build_info', { version, app: 'aareguru-mcp' })).toBe(1);
      expect(metrics.value('nodejs_version_info', { version: process.version })).toBe(1);
      // Only build info and Node's own version info carry a version label.
      const versioned = metrics.text
        .split('\n')
        .filter((line) => !line.startsWith('#') && line.includes('version='))
        .map((line) => line.split('{')[0]);
      expect(versioned).toEqual(['nodejs_version_info', 'aareguru_mcp_build_info']);
    });

    it('labels a session with the protocol version it negotiated, not the one it asked for', async () => {
      running = await startApp(KEYS);
      const before = await scrapeMetrics(running.url);
      const init = await request(running.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('X-API-Key', TEAM_A)
        .send({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '1234-evil' } })
        .expect(200);
      // What the SDK answered the client with.
      const negotiated = /"protocolVersion":"([^"]+)"/.exec(init.text)?.[1];
      expect(negotiated).toMatch(/^2025-/);
      const listed = await request(running.url)
        .get('/admin/sessions')
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(listed.body.sessions).toEqual([
        expect.objectContaining({ protocolVersion: negotiated, era: '2025' }),
      ]);
      const after = await scrapeMetrics(running.url);
      const labels = { transport: 'streamable-http', era: '2025' };
      expect(after.since(before, 'mcp_sessions_opened_total', labels)).toBe(1);
      expect(after.since(before, 'mcp_sessions_open', labels)).toBe(1);
      expect(after.text).not.toContain('era="1234"');
    });

    it('requires a key for /metrics when told to', async () => {
      running = await startApp({ ...KEYS, METRICS_REQUIRE_KEY: 'true' });
      const refused = await request(running.url).get('/metrics').expect(401);
      expect(refused.headers['www-authenticate']).toBe(CHALLENGE);
      await request(running.url).get('/metrics').set('X-API-Key', TEAM_A).expect(200);
      await request(running.url).get('/health/live').expect(200);
    });
  });

  describe('CORS and security headers', () => {
    beforeEach(async () => {
      running = await startApp({ CORS_ORIGINS: 'https://app.example.com' });
    });

    it('answers a preflight from an allowed origin and exposes the session header', async () => {
      const preflight = await request(running.url)
        .options('/mcp')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,mcp-session-id,x-api-key')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/Mcp-Protocol-Version/);
      const init = await initialize(running.url)
        .set('Origin', 'https://app.example.com')
        .expect(200);
      expect(init.headers['access-control-expose-headers']).toMatch(/Mcp-Session-Id/);
      expect(init.headers['access-control-expose-headers']).toMatch(/RateLimit-Policy,RateLimit\b/);
      await initialize(running.url).set('Origin', 'https://evil.example.com').expect(403);
    });

    it('sets security headers on ordinary routes but not on event streams', async () => {
      const health = await request(running.url).get('/health/live').expect(200);
      expect(health.headers['x-content-type-options']).toBe('nosniff');
      expect(health.headers['content-security-policy']).toMatch(/default-src 'none'/);
      const stream = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const req = http.get(`${running.url}/sse`, (res) => {
          resolve(res.headers);
          res.destroy();
        });
        req.on('error', reject);
      });
      expect(stream['content-type']).toBe('text/event-stream');
      expect(stream['content-security-policy']).toBeUndefined();
    });
  });
});
