import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { eventually } from './support/eventually';
import { RunningApp, startApp } from './support/http-app';
import { ConnectedClient, connectClient } from './support/mcp-clients';
import { scrapeMetrics } from './support/metrics';

const HALF_OPEN_MS = 300;

describe('The circuit on a quiet server', () => {
  let running: RunningApp;
  let mcp: ConnectedClient | undefined;

  beforeEach(async () => {
    running = await startApp({
      AAREGURU_RETRIES: '0',
      AAREGURU_BREAKER_FAILURES: '2',
      AAREGURU_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
    });
  });
  afterEach(async () => {
    await mcp?.close().catch(() => undefined);
    await running.close();
  });

  async function circuitGauge(): Promise<number> {
    return (await scrapeMetrics(running.url)).value('aareguru_circuit_state');
  }

  it('sends no trial while nobody has called upstream', async () => {
    // Something that must not happen has no event to wait for: three intervals of quiet.
    await new Promise((resolve) => setTimeout(resolve, 3 * HALF_OPEN_MS));
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
    await request(running.url).get('/health').expect(503);

    // Still down at the first trial: the circuit opens again (the gauge may read half-open while
    // the trial is under way) and /health stays 503.
    const failedTrialAt = running.fake.requests.length;
    await eventually(() => running.fake.requests.length > failedTrialAt);
    await eventually(async () => (await circuitGauge()) === 2);
    // The failure /health reports is the trial's own.
    const trial = await request(running.url).get('/health').expect(503);
    expect(trial.body.details.aareguru).toMatchObject({ lastFailure: 'cities: HTTP 500' });

    await faults.delete('/__fake/faults').expect(200);
    const recoveredFrom = running.fake.requests.length;
    // The next trial closes it: no client call is needed.
    await eventually(async () => (await request(running.url).get('/health')).status === 200);
    await eventually(async () => (await circuitGauge()) === 0);

    // The trial was one polite request for the city list, which it left fresh in the cache.
    const trials = running.fake.requests.slice(recoveredFrom);
    expect(trials).toHaveLength(1);
    expect(trials[0]).toMatchObject({
      path: '/v2018/cities',
      query: { app: expect.any(String), version: expect.any(String) },
    });
    const upstream = await request(running.url).get('/health').expect(200);
    expect(upstream.body.details.aareguru).toMatchObject({
      circuit: 'closed',
      cache: { entries: 1 },
    });
    const listed = (await mcp.client.callTool({
      name: 'list_cities',
      arguments: {},
    })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    expect(running.fake.requests.slice(recoveredFrom)).toHaveLength(1);

    // Closed: no more trials (again only a bounded wait can show an absence).
    await new Promise((resolve) => setTimeout(resolve, 2 * HALF_OPEN_MS));
    expect(running.fake.requests.slice(recoveredFrom)).toHaveLength(1);
  });
});
