import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { RunningApp, startApp } from './support/http-app';
import { ConnectedClient, connectClient } from './support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { scrapeMetrics } from './support/metrics';
import {
  deletePrefix,
  PrivateRedis,
  REDIS_URL,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from './support/redis';

const KEYS = {
  'team-a': 'team-a-key-0123456789',
  'team-b': 'team-b-key-0123456789',
  'team-c': 'team-c-key-0123456789',
};
const API_KEYS = Object.entries(KEYS)
  .map(([label, key]) => `${label}:${key}`)
  .join(',');

/** A request the server answers 400 (no session id) once it has passed the rate limits. */
function ping(app: RunningApp, key: string) {
  return request(app.url).get('/mcp').set('Accept', 'text/event-stream').set('X-API-Key', key);
}

function initialize(app: RunningApp, key: string) {
  return request(app.url)
    .post('/mcp')
    .set('Accept', ACCEPT_BOTH)
    .set('X-API-Key', key)
    .send(INITIALIZE);
}

/** A 429 for the limit named, with the draft standard's headers and nothing else of the kind. */
function expectRefused(
  response: request.Response,
  limit: number,
  name: 'minute' | 'session-open' = 'minute',
): void {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(response.headers['ratelimit-policy']).toContain(`"${name}";q=${limit};w=60`);
  expect(response.headers['ratelimit']).toContain(`"${name}";r=0;t=${retryAfter}`);
  expect(
    Object.keys(response.headers).filter((h) => /^(x-ratelimit|retry-after-)/.test(h)),
  ).toEqual([]);
  expect(response.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** One day of history per call: every `day` is a distinct uncached upstream request. */
function historyCall(client: ConnectedClient, day: number) {
  const date = (offset: number) =>
    new Date(Date.UTC(2025, 4, 1) + (day + offset) * 86_400_000).toISOString().slice(0, 10);
  return client.client.callTool({
    name: 'get_historical_data',
    arguments: { city: 'bern', start: date(0), end: date(1) },
  }) as Promise<CallToolResult>;
}

describe('Rate limits across replicas sharing one Redis', () => {
  const prefixes: string[] = [];
  const fake = new FakeAareguru();
  const clients: ConnectedClient[] = [];
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    await requireRedis();
    await fake.start();
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await Promise.allSettled([a?.close(), b?.close()]);
  });
  afterAll(async () => {
    await fake.stop();
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  /** Replicas A and B of one deployment: a key prefix of their own, shared by both. */
  async function startPair(env: NodeJS.ProcessEnv): Promise<void> {
    const prefix = uniquePrefix('limits');
    prefixes.push(prefix);
    const shared = { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS, ...env };
    a = await startApp({ ...shared, REPLICA_ID: 'replica-a' }, fake);
    b = await startApp({ ...shared, REPLICA_ID: 'replica-b' }, fake);
  }

  it('lets exactly the per-minute limit through across both, then refuses on both', async () => {
    await startPair({ RATE_LIMIT_PER_MINUTE: '6' });
    for (let i = 0; i < 6; i += 1) {
      expect((await ping(i % 2 ? b : a, KEYS['team-a'])).status).toBe(400);
    }
    expectRefused(await ping(a, KEYS['team-a']), 6);
    expectRefused(await ping(b, KEYS['team-a']), 6);
    // Another key has its own budget, on both.
    expect((await ping(a, KEYS['team-b'])).status).toBe(400);
    expect((await ping(b, KEYS['team-b'])).status).toBe(400);
  });

  it('counts sessions opened on either replica against one session-open limit', async () => {
    await startPair({ SESSION_OPEN_PER_MINUTE: '3' });
    await initialize(a, KEYS['team-c']).expect(200);
    await initialize(b, KEYS['team-c']).expect(200);
    await initialize(a, KEYS['team-c']).expect(200);
    expectRefused(await initialize(b, KEYS['team-c']), 3, 'session-open');
    expectRefused(await initialize(a, KEYS['team-c']), 3, 'session-open');
    // Requests other than opening a session still pass.
    expect((await ping(b, KEYS['team-c'])).status).toBe(400);
    await initialize(b, KEYS['team-b']).expect(200);
  });

  it("shares a key's budget of uncached upstream requests", async () => {
    await startPair({ UPSTREAM_MISSES_PER_KEY_PER_MINUTE: '3' });
    const connect = async (app: RunningApp, label: keyof typeof KEYS) => {
      const client = await connectClient('streamable-2026', { url: app.url, apiKey: KEYS[label] });
      clients.push(client);
      return client;
    };
    const [onA, onB, otherOnB] = [
      await connect(a, 'team-a'),
      await connect(b, 'team-a'),
      await connect(b, 'team-b'),
    ];
    // The city list, a miss of its own, fetched by another key on each replica beforehand.
    for (const client of [await connect(a, 'team-b'), otherOnB]) {
      const cities = (await client.client.callTool({
        name: 'list_cities',
        arguments: {},
      })) as CallToolResult;
      expect(cities.isError).toBeFalsy();
    }

    expect((await historyCall(onA, 2)).isError).toBeFalsy();
    expect((await historyCall(onB, 3)).isError).toBeFalsy();
    expect((await historyCall(onA, 4)).isError).toBeFalsy();
    const upstreamCalls = fake.count('/v2018/history');
    for (const [client, day] of [
      [onB, 5],
      [onA, 6],
    ] as const) {
      const refused = await historyCall(client, day);
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/^Too many uncached requests from this key: retry in \d+ s\. /);
    }
    expect(fake.count('/v2018/history')).toBe(upstreamCalls);
    expect((await historyCall(otherOnB, 5)).isError).toBeFalsy();
  });
});

describe('Rate limits while Redis is unreachable', () => {
  let server: PrivateRedis;
  const prefix = uniquePrefix('limits-down');
  let apps: RunningApp[] = [];

  beforeAll(async () => {
    await requireRedis();
    server = await startPrivateRedis();
    await server.stop();
  });
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await server.dispose();
  });

  it('fails open: each replica enforces the limit on its own, refusing with 429, never 500', async () => {
    const fake = new FakeAareguru();
    await fake.start();
    try {
      const env = {
        REDIS_URL: server.url,
        REDIS_KEY_PREFIX: prefix,
        REDIS_COMMAND_TIMEOUT_MS: '200',
        API_KEYS,
        RATE_LIMIT_PER_MINUTE: '3',
      };
      apps = [await startApp(env, fake), await startApp(env, fake)];
      const before = await scrapeMetrics(apps[0].url);
      for (const app of apps) {
        for (let i = 0; i < 3; i += 1) expect((await ping(app, KEYS['team-a'])).status).toBe(400);
        expectRefused(await ping(app, KEYS['team-a']), 3);
      }
      const after = await scrapeMetrics(apps[0].url);
      // One per request: its minute and hour limits are counted together.
      expect(after.since(before, 'redis_fallbacks_total', { use: 'rate_limit' })).toBe(8);
    } finally {
      await Promise.allSettled(apps.map((app) => app.close()));
      await fake.stop();
    }
  });
});
