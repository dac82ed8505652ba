import request from 'supertest';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { connectClient, ConnectedClient } from '../support/mcp-clients';
import { RunningApp, startApp } from '../support/http-app';
import { scrapeMetrics } from '../support/metrics';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';

/** Small timings so a burst is quick: attempts time out after 1 s, upstream takes 0.6 s. */
const SLOW_UPSTREAM = {
  AAREGURU_TIMEOUT_MS: '1000',
  AAREGURU_DEADLINE_MS: '8000',
  AAREGURU_RETRY_BASE_DELAY_MS: '5',
  AAREGURU_BREAKER_FAILURES: '5',
};
const UPSTREAM_DELAY_MS = 600;
const BURST = 20;

const BUSY = 'The Aare service is busy, try again in a moment.';

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** One day of history per call, fixed dates: every `day` is a distinct uncached upstream request. */
function historyCall(client: ConnectedClient, day: number) {
  const date = (offset: number) =>
    new Date(Date.UTC(2025, 4, 1) + (day + offset) * 86_400_000).toISOString().slice(0, 10);
  return client.client.callTool({
    name: 'get_historical_data',
    arguments: { city: 'bern', start: date(0), end: date(1) },
  }) as Promise<CallToolResult>;
}

async function circuitOf(running: RunningApp): Promise<string> {
  const health = await request(running.url).get('/health');
  return (health.body as { details: { aareguru: { circuit: string } } }).details.aareguru.circuit;
}

/**
 * The queue gauge, polled until it shows `expected` while the first requests are on the wire (the
 * calls reach the server over HTTP one by one); the last value seen otherwise.
 */
async function queueWaitingReaches(running: RunningApp, expected: number): Promise<number> {
  const giveUpAt = Date.now() + UPSTREAM_DELAY_MS;
  let waiting: number;
  do {
    waiting = (await scrapeMetrics(running.url)).value('aareguru_upstream_queue_waiting');
  } while (waiting !== expected && Date.now() < giveUpAt);
  return waiting;
}

describe('upstream abuse: a slow but healthy upstream, and one key hogging uncached data', () => {
  let running: RunningApp;
  let clients: ConnectedClient[] = [];

  async function connect(apiKey?: string): Promise<ConnectedClient> {
    const client = await connectClient('streamable-2025', { url: running.url, apiKey });
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await running?.close();
  });

  /** The city list cached, then every upstream answer slowed down. */
  async function slowUpstreamAfterWarmUp(client: ConnectedClient): Promise<void> {
    const cities = (await client.client.callTool({
      name: 'list_cities',
      arguments: {},
    })) as CallToolResult;
    expect(cities.isError).toBeFalsy();
    running.fake.inject({ fault: { kind: 'slow', delayMs: UPSTREAM_DELAY_MS } });
  }

  it('answers a burst of distinct uncached calls from the queue, with the circuit closed', async () => {
    running = await startApp({ ...SLOW_UPSTREAM, AAREGURU_MAX_SOCKETS: '4' });
    const client = await connect();
    await slowUpstreamAfterWarmUp(client);

    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) => historyCall(client, i + 2)),
    );

    expect(results.filter((r) => r.isError).map(text)).toEqual([]);
    expect(await circuitOf(running)).toBe('closed');
    // Each range asked once: no attempt timed out waiting and was sent again.
    expect(running.fake.count('/v2018/history')).toBe(BURST);
  });

  it('refuses what the queue cannot hold as busy, which does not open the circuit', async () => {
    running = await startApp({
      ...SLOW_UPSTREAM,
      AAREGURU_MAX_SOCKETS: '2',
      AAREGURU_MAX_QUEUED: '4',
    });
    const client = await connect();
    await slowUpstreamAfterWarmUp(client);
    const before = await scrapeMetrics(running.url);

    const burst = Promise.all(Array.from({ length: BURST }, (_, i) => historyCall(client, i + 2)));
    // While the first two are on the wire, the queue is full and says so.
    expect(await queueWaitingReaches(running, 4)).toBe(4);
    const results = await burst;

    const failures = results.filter((r) => r.isError).map(text);
    // Two on the wire and four waiting are answered; the rest are told to come back.
    expect(results.length - failures.length).toBe(6);
    expect(failures).toEqual(Array.from({ length: BURST - 6 }, () => BUSY));
    expect(await circuitOf(running)).toBe('closed');
    const after = await scrapeMetrics(running.url);
    expect(after.since(before, 'aareguru_upstream_refused_total', { reason: 'busy' })).toBe(14);
    expect(running.fake.count('/v2018/history')).toBe(6);

    // Upstream is healthy: once the burst is over, the refused ranges are served.
    const retried = await historyCall(client, BURST + 1);
    expect(retried.isError).toBeFalsy();
  });

  it("refuses one key's uncached requests beyond its budget while another key's keep working", async () => {
    running = await startApp({
      API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`,
      UPSTREAM_MISSES_PER_KEY_PER_MINUTE: '3',
    });
    const a = await connect(KEY_A);
    const b = await connect(KEY_B);
    // The city list is one of key B's misses.
    expect(
      ((await b.client.callTool({ name: 'list_cities', arguments: {} })) as CallToolResult).isError,
    ).toBeFalsy();
    const before = await scrapeMetrics(running.url);

    for (const days of [2, 3, 4]) expect((await historyCall(a, days)).isError).toBeFalsy();
    const upstreamCalls = running.fake.count('/v2018/history');
    const refused = await historyCall(a, 5);
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^Too many uncached requests from this key: retry in \d+ s\. /);
    expect(running.fake.count('/v2018/history')).toBe(upstreamCalls);
    // Cached answers cost nothing and are still served to key A.
    expect((await historyCall(a, 2)).isError).toBeFalsy();

    // Key B's own uncached requests, the very range key A was refused among them, still work.
    expect((await historyCall(b, 5)).isError).toBeFalsy();
    expect((await historyCall(b, 6)).isError).toBeFalsy();

    const after = await scrapeMetrics(running.url);
    expect(after.since(before, 'aareguru_upstream_refused_total', { reason: 'key_budget' })).toBe(
      1,
    );
    expect(await circuitOf(running)).toBe('closed');
  });
});
