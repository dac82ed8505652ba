import type { CallToolResult } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { SessionLifecycleService } from '../src/sessions/session-lifecycle.service';
import { connectClient, type ConnectedClient } from './support/mcp-clients';
import { eventually } from './support/eventually';
import { startApp, type RunningApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import { openListenStream } from './support/listen-stream';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { type MetricsScrape, scrapeMetrics } from './support/metrics';

/**
 * The series an operator charts, driven through the real server with the official client: tool,
 * resource and prompt outcomes by whose failure it was, messages per JSON-RPC method and key,
 * long-lived streams apart from request durations, the cache against its bounds.
 */

const KEY = 'team-a:0123456789abcdef0123456789abcdef0123';
const API_KEY = KEY.slice(KEY.indexOf(':') + 1);
const TOOL = 'get_current_temperature';

/** Every app of this file records into the one registry: they state the same bounds. */
const ENV = {
  API_KEYS: KEY,
  AAREGURU_RETRIES: '0',
  CACHE_MAX_BYTES: '5000000',
  CACHE_MAX_ENTRIES: '321',
};

describe('metrics (e2e)', () => {
  let running: RunningApp;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    running = await startApp(ENV);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    running.fake.clearFaults();
  });
  afterAll(() => running.close());

  async function connect(kind: 'streamable-2025' | 'streamable-2026' | 'sse') {
    const connected = await connectClient(kind, { url: running.url, apiKey: API_KEY });
    clients.push(connected);
    return connected;
  }

  const scrape = () => scrapeMetrics(running.url);

  async function callTool(client: ConnectedClient, args: Record<string, unknown>) {
    return (await client.client.callTool({ name: TOOL, arguments: args })) as CallToolResult;
  }

  it('splits tool outcomes into client errors and upstream errors, with the failure', async () => {
    const client = await connect('streamable-2025');
    const before = await scrape();
    expect((await callTool(client, { city: 'bern' })).isError).toBeFalsy();
    expect((await callTool(client, { city: 'atlantis' })).isError).toBe(true);
    expect((await callTool(client, { city: 5 })).isError).toBe(true);
    running.fake.inject({ fault: { kind: 'status', status: 500 }, path: '/v2018/current' });
    expect((await callTool(client, { city: 'thun' })).isError).toBe(true);
    const after = await scrape();

    const tool = { tool: TOOL };
    const grew = (labels: Record<string, string>) =>
      after.since(before, 'mcp_tool_calls_total', { ...tool, ...labels });
    expect(grew({ outcome: 'ok' })).toBe(1);
    expect(grew({ outcome: 'client_error', failure: 'unknown_city' })).toBe(1);
    expect(grew({ outcome: 'client_error', failure: 'invalid_input' })).toBe(1);
    expect(grew({ outcome: 'upstream_error', failure: 'upstream' })).toBe(1);
    expect(grew({ outcome: 'internal_error' })).toBe(0);
    // A call that succeeded carries no failure label at all.
    expect(after.text).toMatch(
      new RegExp(
        `^mcp_tool_calls_total\\{tool="${TOOL}",outcome="ok",app="aareguru-mcp"\\} \\d+$`,
        'm',
      ),
    );
  });

  it('splits resource reads and prompt gets the same way', async () => {
    const client = await connect('streamable-2025');
    const before = await scrape();
    await client.client.readResource({ uri: 'aareguru://current/bern' });
    await expect(
      client.client.readResource({ uri: 'aareguru://current/atlantis' }),
    ).rejects.toThrow();
    await expect(
      client.client.getPrompt({ name: 'daily-swimming-report', arguments: { city: 'atlantis' } }),
    ).rejects.toThrow();
    const after = await scrape();
    const reads = (labels: Record<string, string>) =>
      after.since(before, 'mcp_resource_reads_total', { resource: 'current', ...labels });
    expect(reads({ outcome: 'ok' })).toBe(1);
    expect(reads({ outcome: 'client_error', failure: 'unknown_city' })).toBe(1);
    expect(
      after.since(before, 'mcp_prompt_gets_total', {
        prompt: 'daily-swimming-report',
        outcome: 'client_error',
        failure: 'unknown_city',
      }),
    ).toBe(1);
  });

  it('counts every message by JSON-RPC method and key label, over each transport', async () => {
    const perMethod = (scrape: MetricsScrape, method: string) =>
      scrape.value('mcp_requests_total', { method, key: 'team-a' });
    const before = await scrape();
    const streamable = await connect('streamable-2025');
    await streamable.client.listTools();
    const sse = await connect('sse');
    await sse.client.listTools();
    await callTool(sse, { city: 'bern' });
    const modern = await connect('streamable-2026');
    await modern.client.listTools();
    const after = await scrape();

    expect(perMethod(after, 'initialize') - perMethod(before, 'initialize')).toBe(2);
    expect(
      perMethod(after, 'notifications/initialized') -
        perMethod(before, 'notifications/initialized'),
    ).toBe(2);
    expect(perMethod(after, 'tools/list') - perMethod(before, 'tools/list')).toBe(3);
    expect(perMethod(after, 'tools/call') - perMethod(before, 'tools/call')).toBe(1);
    // Only configured key labels and the known methods appear: the label sets stay bounded.
    const keys = new Set(
      [...after.text.matchAll(/^mcp_requests_total\{[^}]*key="([^"]*)"/gm)].map((m) => m[1]),
    );
    expect([...keys]).toEqual(['team-a']);
    expect(after.text).not.toMatch(/^mcp_requests_total\{method="(?!other)[^"]*[A-Z ]/m);
  });

  it('does not count a handshake again when a hibernated session is woken', async () => {
    const clock = new ManualClock(Date.now());
    const sleepy = await startApp({ ...ENV, SESSION_HIBERNATE_SECONDS: '30' }, undefined, clock);
    try {
      const lifecycle = sleepy.app.get(SessionLifecycleService);
      const before = await scrapeMetrics(sleepy.url);
      const connected = await connectClient('streamable-2025', {
        url: sleepy.url,
        apiKey: API_KEY,
      });
      clients.push(connected);
      await connected.client.setLoggingLevel('error');
      for (let round = 0; round < 2; round++) {
        clock.advance(31_000);
        expect(await lifecycle.hibernateIdle()).toBe(1);
        await connected.client.listTools();
      }
      const after = await scrapeMetrics(sleepy.url);
      expect(after.since(before, 'mcp_sessions_woken_total')).toBe(2);
      const grew = (method: string, key = 'team-a') =>
        after.since(before, 'mcp_requests_total', { method, key });
      expect(grew('initialize')).toBe(1);
      expect(grew('notifications/initialized')).toBe(1);
      expect(grew('logging/setLevel')).toBe(1);
      expect(grew('tools/list')).toBe(2);
      expect(after.since(before, 'mcp_requests_total', { key: 'stdio' })).toBe(0);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
      await sleepy.close();
    }
  });

  it('counts an unknown method as "other"', async () => {
    const client = await connect('streamable-2025');
    const before = await scrape();
    await expect(
      client.client.request({ method: 'tools/explode', params: {} }, z.object({})),
    ).rejects.toThrow();
    const after = await scrape();
    expect(after.since(before, 'mcp_requests_total', { method: 'other', key: 'team-a' })).toBe(1);
  });

  it('keeps the GET /mcp and GET /sse streams out of the request histogram, timed apart', async () => {
    const before = await scrape();
    const streamable = await connect('streamable-2025');
    const sse = await connect('sse');
    await streamable.client.listTools();
    await sse.client.listTools();
    const getStream = { route: '/mcp', method: 'GET' };
    const sseStream = { route: '/sse', method: 'GET' };
    await eventually(async () => {
      const open = await scrape();
      return (
        open.value('http_streams_open', getStream) >= 1 &&
        open.value('http_streams_open', sseStream) >= 1
      );
    });
    await Promise.all(clients.splice(0).map((c) => c.close()));

    await eventually(async () => {
      const closed = await scrape();
      return (
        closed.since(before, 'http_stream_duration_seconds_count', getStream) === 1 &&
        closed.since(before, 'http_stream_duration_seconds_count', sseStream) === 1
      );
    });
    const after = await scrape();
    // Present and 0, not gone: a chart shows the streams closing.
    for (const route of ['/mcp', '/sse']) {
      expect(after.text).toMatch(
        new RegExp(
          `^http_streams_open\\{route="${route}",method="GET",app="aareguru-mcp"\\} 0$`,
          'm',
        ),
      );
    }
    expect(after.since(before, 'http_request_duration_seconds_count', getStream)).toBe(0);
    expect(after.since(before, 'http_request_duration_seconds_count', sseStream)).toBe(0);
    // The requests around them still are: the POSTs to /mcp and /messages, the DELETE.
    expect(
      after.since(before, 'http_request_duration_seconds_count', { route: '/mcp', method: 'POST' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      after.since(before, 'http_request_duration_seconds_count', {
        route: '/messages',
        method: 'POST',
      }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('times a 2026 listen stream as a stream, not as a request', async () => {
    const before = await scrape();
    const listening = await openListenStream(running.url, API_KEY);
    expect(listening.status).toBe(200);
    const stream = { route: '/mcp', method: 'POST' };
    expect((await scrape()).value('http_streams_open', stream)).toBe(1);
    listening.disconnect();
    await eventually(
      async () =>
        (await scrape()).since(before, 'http_stream_duration_seconds_count', stream) === 1,
    );
    const after = await scrape();
    expect(after.value('http_streams_open', stream)).toBe(0);
    expect(after.since(before, 'http_request_duration_seconds_count', stream)).toBe(0);
    expect(
      after.since(before, 'mcp_requests_total', { method: 'subscriptions/listen', key: 'team-a' }),
    ).toBe(1);
  });

  it('shows the cache entries and bytes against their bounds', async () => {
    const client = await connect('streamable-2025');
    await callTool(client, { city: 'brienz' });
    const metrics = await scrape();
    expect(metrics.value('aareguru_cache_max_bytes')).toBe(5_000_000);
    expect(metrics.value('aareguru_cache_max_entries')).toBe(321);
    expect(metrics.value('aareguru_cache_entries')).toBeGreaterThanOrEqual(1);
    expect(metrics.value('aareguru_cache_bytes')).toBeGreaterThan(0);
    expect(metrics.value('aareguru_cache_events_total', { result: 'miss' })).toBeGreaterThan(0);
    expect(metrics.value('mcp_session_limit', { limit: 'sessions' })).toBe(10_000);
  });

  // Last: the app with Redis records into the registry the other tests read.
  it('says whether Redis is configured, so that redis_connected 0 alone means nothing', async () => {
    const alone = await scrape();
    expect(alone.value('redis_enabled')).toBe(0);
    expect(alone.value('redis_connected')).toBe(0);

    await requireRedis();
    const prefix = uniquePrefix('metrics');
    const shared = await startApp({ ...ENV, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    try {
      const metrics = await scrapeMetrics(shared.url);
      expect(metrics.value('redis_enabled')).toBe(1);
      expect(metrics.value('redis_connected')).toBe(1);
    } finally {
      await shared.close();
      await deletePrefix(prefix);
    }
  });
});
