import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { CACHE_STORE, CacheStore } from '../src/aareguru/cache/cache-store.interface';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { RunningApp, startApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import { ConnectedClient, connectClient } from './support/mcp-clients';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { eventually } from './support/eventually';

const USER_KEY = 'replicas-cache-user-key-0123456789';
const ADMIN_KEY = 'replicas-cache-admin-key-0123456789';
const CITIES = ['bern', 'thun', 'interlaken', 'brienz'];

/** Upstream requests by endpoint and city, e.g. "/v2018/current?bern" → 1. */
function requestsByEndpointAndCity(fake: FakeAareguru): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { path, query } of fake.requests) {
    const key = query.city ? `${path}?${query.city}` : path;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('Upstream cache shared by two replicas on Redis', () => {
  let prefix: string;
  let fake: FakeAareguru;
  let clock: ManualClock;
  let a: RunningApp;
  let b: RunningApp;
  let onA: ConnectedClient;
  let onB: ConnectedClient;

  beforeAll(() => requireRedis());

  beforeEach(async () => {
    prefix = uniquePrefix('replicas-cache');
    fake = new FakeAareguru();
    await fake.start();
    // One clock for both: what is fresh or stale is the same on either replica.
    clock = new ManualClock(Date.now());
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      API_KEYS: `user:${USER_KEY}`,
      ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
      AAREGURU_RETRIES: '0',
      AAREGURU_TIMEOUT_MS: '1500',
    };
    a = await startApp({ ...env, REPLICA_ID: 'replica-a' }, fake, clock);
    b = await startApp({ ...env, REPLICA_ID: 'replica-b' }, fake, clock);
    onA = await connectClient('streamable-2025', { url: a.url, apiKey: USER_KEY });
    onB = await connectClient('streamable-2026', { url: b.url, apiKey: USER_KEY });
  });

  afterEach(async () => {
    await onA?.close();
    await onB?.close();
    await a?.close();
    await b?.close();
    await fake.stop();
    await deletePrefix(prefix);
  });

  const call = (on: ConnectedClient, name: string, city: string) =>
    on.client.callTool({ name, arguments: { city } }) as Promise<CallToolResult>;
  const temperature = (on: ConnectedClient, city: string) =>
    call(on, 'get_current_temperature', city);

  it('asks upstream once per endpoint and city for concurrent cold calls on both replicas', async () => {
    const calls = [onA, onB, onA, onB].flatMap((on) =>
      CITIES.flatMap((city) => [temperature(on, city), call(on, 'get_forecast', city)]),
    );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.isError)).toEqual([]);

    const counts = requestsByEndpointAndCity(fake);
    for (const city of CITIES) expect(counts[`/v2018/current?${city}`]).toBe(1);
    expect(Object.values(counts).every((n) => n === 1)).toBe(true);

    // Warm on both now, from either replica.
    await Promise.all(CITIES.map((city) => temperature(onB, city)));
    expect(requestsByEndpointAndCity(fake)).toEqual(counts);

    // Health, the admin API and the metric show the shared level, the same on both replicas.
    const viewA = await request(a.url).get('/admin/upstream').set('X-API-Key', ADMIN_KEY);
    const viewB = await request(b.url).get('/admin/upstream').set('X-API-Key', ADMIN_KEY);
    expect(viewA.body.cacheUsage).toEqual(viewB.body.cacheUsage);
    expect(viewA.body.cacheUsage.entries).toBe(Object.keys(counts).length);
    expect(viewB.body.cache.map((e: { key: string }) => e.key).sort()).toEqual(
      viewA.body.cache.map((e: { key: string }) => e.key).sort(),
    );
    const health = await request(b.url).get('/health');
    expect(health.body.details.aareguru.cache).toMatchObject({
      entries: viewA.body.cacheUsage.entries,
      bytes: viewA.body.cacheUsage.bytes,
    });
  });

  it('invalidates on every replica: after an invalidation on A, the next call on B asks upstream once', async () => {
    await temperature(onA, 'bern');
    await temperature(onB, 'bern'); // B now holds its own near copy
    await temperature(onB, 'thun');
    expect(fake.count('/v2018/current', 'bern')).toBe(1);

    const invalidated = await request(a.url)
      .post('/admin/cache/invalidate')
      .set('X-API-Key', ADMIN_KEY)
      .send({ city: 'bern' })
      .expect(200);
    expect(invalidated.body.removed).toBeGreaterThanOrEqual(1);
    // B has dropped its copy once the notice arrived (a store read: no fetch, nothing kept).
    const storeOfB = b.app.get<CacheStore>(CACHE_STORE);
    await eventually(async () => (await storeOfB.get('current?city=bern')) === undefined, 5000);

    expect((await temperature(onB, 'bern')).isError).toBeFalsy();
    expect(fake.count('/v2018/current', 'bern')).toBe(2);
    await temperature(onA, 'bern');
    await temperature(onB, 'bern');
    expect(fake.count('/v2018/current', 'bern')).toBe(2);
    // Another city was not touched.
    await temperature(onA, 'thun');
    expect(fake.count('/v2018/current', 'thun')).toBe(1);
  });

  it('serves stale on both replicas with one upstream attempt when upstream fails after expiry', async () => {
    await temperature(onA, 'bern');
    await temperature(onB, 'bern');
    expect(fake.count('/v2018/current', 'bern')).toBe(1);
    clock.advance(10 * 60 * 1000);

    // Upstream stops answering: A's attempt hangs until its timeout while B's call arrives.
    fake.inject({ fault: { kind: 'hang' }, path: '/v2018/current' });
    const fromA = temperature(onA, 'bern');
    await eventually(() => fake.count('/v2018/current', 'bern') === 2, 5000);
    const fromB = temperature(onB, 'bern');
    for (const result of await Promise.all([fromA, fromB])) {
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        temperature: 12.5,
        source: { stale: true, ageSeconds: 600 },
      });
    }
    expect(fake.count('/v2018/current', 'bern')).toBe(2);
  });
});
