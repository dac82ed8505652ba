import type { CallToolResult } from '@modelcontextprotocol/client';
import { Session } from 'node:inspector/promises';
import request from 'supertest';
import { RunningApp, startApp } from '../support/http-app';
import { ConnectedClient, connectClient } from '../support/mcp-clients';
import { scrapeMetrics } from '../support/metrics';

const USER_KEY = 'cache-user-key-0123456789';
const ADMIN_KEY = 'cache-admin-key-0123456789';
const KEYS = { API_KEYS: `user:${USER_KEY}`, ADMIN_API_KEYS: `ops:${ADMIN_KEY}` };
const DAY_MS = 86_400_000;

interface CacheView {
  cache: { key: string; bytes: number }[];
  cacheUsage: { entries: number; bytes: number; maxEntries: number; maxBytes: number };
}

/**
 * The i-th of many distinct year-long ranges: a year of 10-minute points from the fake upstream
 * is about 50,000 points per series, 1.8 MB of JSON, and several MB once parsed.
 */
function yearLong(i: number): { start: string; end: string } {
  const start = Date.UTC(2024, 0, 1) + i * DAY_MS;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { start: day(start), end: day(start + 365 * DAY_MS) };
}

/** The live heap of this process (where the app under test runs) after a full collection. */
async function liveHeapBytes(): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    // Twice: objects freed by the first collection's finalisers go in the second.
    await session.post('HeapProfiler.collectGarbage');
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
  return process.memoryUsage().heapUsed;
}

describe('Upstream cache under many large history answers (issue 11)', () => {
  let running: RunningApp;
  let connected: ConnectedClient;

  async function start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    running = await startApp({ ...KEYS, ...env });
    connected = await connectClient('streamable-2025', { url: running.url, apiKey: USER_KEY });
  }

  afterEach(async () => {
    await connected?.close();
    await running?.close();
  });

  async function history(range: { start: string; end: string }): Promise<CallToolResult> {
    const result = (await connected.client.callTool({
      name: 'get_historical_data',
      arguments: { city: 'bern', ...range },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ downsampled: true });
    return result;
  }

  async function cacheView(): Promise<CacheView> {
    const response = await request(running.url)
      .get('/admin/upstream')
      .set('X-API-Key', ADMIN_KEY)
      .expect(200);
    return response.body as CacheView;
  }

  const historyKeys = (view: CacheView) =>
    view.cache.map((entry) => entry.key).filter((key) => key.startsWith('history?'));

  it('stays within CACHE_MAX_BYTES by evicting the least recently used answers', async () => {
    await start({ CACHE_MAX_BYTES: '200000' });
    const before = await scrapeMetrics(running.url);
    const calls = 12;
    for (let i = 0; i < calls; i += 1) await history(yearLong(i));

    const view = await cacheView();
    expect(view.cacheUsage).toMatchObject({ maxBytes: 200_000, maxEntries: 500 });
    expect(view.cacheUsage.bytes).toBeLessThanOrEqual(200_000);
    expect(view.cacheUsage.bytes).toBe(view.cache.reduce((sum, entry) => sum + entry.bytes, 0));
    const kept = historyKeys(view);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(calls);
    // The latest answers are the ones kept.
    expect(running.fake.count('/v2018/history')).toBe(calls);
    await history(yearLong(calls - 1));
    expect(running.fake.count('/v2018/history')).toBe(calls);
    await history(yearLong(0));
    expect(running.fake.count('/v2018/history')).toBe(calls + 1);

    // Every history answer went in once (the city list stays, being used before each of them).
    const final = await cacheView();
    const after = await scrapeMetrics(running.url);
    expect(after.since(before, 'aareguru_cache_evictions_total', { reason: 'capacity' })).toBe(
      calls + 1 - historyKeys(final).length,
    );
    expect(after.value('aareguru_cache_bytes')).toBe(final.cacheUsage.bytes);
    const health = await request(running.url).get('/health').expect(200);
    expect(health.body.details.aareguru.cache).toMatchObject({
      entries: final.cacheUsage.entries,
      bytes: final.cacheUsage.bytes,
    });
  }, 60_000);

  it('serves an answer larger than the whole budget without caching it', async () => {
    await start({ CACHE_MAX_BYTES: '10000' });
    const before = await scrapeMetrics(running.url);
    const first = await history(yearLong(0));
    const second = await history(yearLong(0));
    expect(second.structuredContent).toMatchObject({
      temperature: (first.structuredContent as { temperature: unknown }).temperature,
    });
    expect(running.fake.count('/v2018/history')).toBe(2);
    expect(historyKeys(await cacheView())).toEqual([]);
    const after = await scrapeMetrics(running.url);
    expect(after.since(before, 'aareguru_cache_evictions_total', { reason: 'oversize' })).toBe(2);
  }, 60_000);

  it('keeps a year-long history to tens of KB in the cache and the live heap bounded', async () => {
    await start();
    await history(yearLong(100)); // warm every code path before the baseline
    const heapBefore = await liveHeapBytes();
    const calls = 20;
    for (let i = 0; i < calls; i += 1) await history(yearLong(i));
    const heapAfter = await liveHeapBytes();

    // Upstream's series parsed whole would hold about 5 MB per answer (over 100 MB here); the
    // digests hold well under 2 MB together. The margin leaves room for noise, not for the series.
    expect(heapAfter - heapBefore).toBeLessThan(30 * 2 ** 20);
    const view = await cacheView();
    const entries = view.cache.filter((entry) => entry.key.startsWith('history?'));
    expect(entries).toHaveLength(calls + 1);
    for (const entry of entries) expect(entry.bytes).toBeLessThan(100_000);
  }, 60_000);
});
