import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { eventually } from './support/eventually';
import { RunningApp, startApp } from './support/http-app';
import { fakeDateOnly, ManualClock } from './support/manual-clock';
import { ConnectedClient, connectClient } from './support/mcp-clients';
import { scrapeMetrics } from './support/metrics';

const HALF_OPEN_MS = 30_000;

/**
 * The probe's timer runs on a manual clock and the breaker reads a faked `Date`: time moves only
 * when the test moves both, so every trial happens exactly when the test says, and an absence
 * (no trial scheduled) is read off the clock instead of waited for.
 */
describe('The circuit on a quiet server', () => {
  let running: RunningApp;
  let clock: ManualClock;
  let mcp: ConnectedClient | undefined;

  beforeEach(async () => {
    fakeDateOnly({ moving: true });
    clock = new ManualClock(Date.now());
    running = await startApp(
      {
        AAREGURU_RETRIES: '0',
        AAREGURU_BREAKER_FAILURES: '2',
        AAREGURU_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
      },
      undefined,
      clock,
      undefined,
      clock,
    );
  });
  afterEach(async () => {
    await mcp?.close().catch(() => undefined);
    mcp = undefined;
    await running.close();
    jest.useRealTimers();
  });

  /** The half-open interval passes for the probe's timer and for the breaker alike. */
  function halfOpenIntervalPasses(): void {
    jest.setSystemTime(Date.now() + HALF_OPEN_MS);
    clock.advance(HALF_OPEN_MS);
  }

  async function circuitGauge(): Promise<number> {
    return (await scrapeMetrics(running.url)).value('aareguru_circuit_state');
  }

  async function upstreamDetails() {
    const health = await request(running.url).get('/health');
    return { http: health.status, ...(health.body.details.aareguru as Record<string, unknown>) };
  }

  it('schedules no trial while nobody has called upstream', async () => {
    expect(clock.pending).toBe(0);
    for (let i = 0; i < 3; i += 1) halfOpenIntervalPasses();
    expect(running.fake.requests).toEqual([]);
    expect(await circuitGauge()).toBe(0);
  });

  it('closes again after an outage without any client call: /health 200, gauge 0', async () => {
    const faults = request(running.fake.baseUrl);
    await faults
      .post('/__fake/faults')
      .send({ fault: { kind: 'status', status: 500 } })
      .expect(201);
    mcp = await connectClient('streamable-2025', { url: running.url });
    for (let i = 0; i < 2; i += 1) {
      const result = (await mcp.client.callTool({
        name: 'list_cities',
        arguments: {},
      })) as CallToolResult;
      expect(result.isError).toBe(true);
    }
    expect(await circuitGauge()).toBe(2);
    expect(clock.pending).toBe(1);
    const opened = await upstreamDetails();
    expect(opened).toMatchObject({ http: 503, circuit: 'open' });

    // The probe's timer a moment before the breaker admits a trial: nothing is sent, nothing is
    // recorded as failed, and the probe tries again shortly.
    const before = running.fake.requests.length;
    clock.advance(HALF_OPEN_MS);
    await eventually(() => clock.pending === 1);
    expect(running.fake.requests).toHaveLength(before);
    expect(await upstreamDetails()).toEqual(opened);

    // Still down at the first trial: one request, the circuit opens again, /health stays 503 and
    // reports the trial's own failure.
    halfOpenIntervalPasses();
    await eventually(() => running.fake.requests.length > before && clock.pending === 1);
    expect(running.fake.requests.slice(before)).toEqual([
      expect.objectContaining({ path: '/v2018/cities' }),
    ]);
    expect(await circuitGauge()).toBe(2);
    expect(await upstreamDetails()).toMatchObject({
      http: 503,
      circuit: 'open',
      lastFailure: 'cities: HTTP 500',
    });

    // Upstream is back: the next trial closes the circuit, no client call needed.
    await faults.delete('/__fake/faults').expect(200);
    const recoveredFrom = running.fake.requests.length;
    halfOpenIntervalPasses();
    await eventually(async () => (await upstreamDetails()).http === 200);
    expect(await circuitGauge()).toBe(0);

    // The trial was one polite request for the city list, which it left fresh in the cache.
    const trials = running.fake.requests.slice(recoveredFrom);
    expect(trials).toHaveLength(1);
    expect(trials[0]).toMatchObject({
      path: '/v2018/cities',
      query: { app: expect.any(String), version: expect.any(String) },
    });
    expect(await upstreamDetails()).toMatchObject({ circuit: 'closed', cache: { entries: 1 } });
    const listed = (await mcp.client.callTool({
      name: 'list_cities',
      arguments: {},
    })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    expect(running.fake.requests.slice(recoveredFrom)).toHaveLength(1);

    // Closed: nothing is scheduled, however much time passes.
    expect(clock.pending).toBe(0);
    for (let i = 0; i < 3; i += 1) halfOpenIntervalPasses();
    expect(running.fake.requests.slice(recoveredFrom)).toHaveLength(1);
  });
});
