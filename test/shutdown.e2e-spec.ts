import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { connectClient, eventually } from './support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { spawnServer } from './support/spawn-server';

describe('Graceful shutdown of the production build', () => {
  let fake: FakeAareguru;

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('on SIGTERM: not ready, no new sessions, the call in flight completes, exit code 0', async () => {
    const server = await spawnServer({
      AAREGURU_BASE_URL: fake.baseUrl,
      SHUTDOWN_GRACE_SECONDS: '10',
    });
    const sse = await connectClient('sse', { url: server.url });
    // The answer for Thun takes 1.5 s upstream: the call is in flight when SIGTERM arrives.
    fake.inject({
      fault: { kind: 'slow', delayMs: 1500 },
      path: '/v2018/current',
      city: 'thun',
      times: 1,
    });
    const call = sse.client.callTool({
      name: 'get_current_temperature',
      arguments: { city: 'thun' },
    }) as Promise<CallToolResult>;
    await eventually(() => fake.count('/v2018/current', 'thun') === 1);

    const exited = new Promise<number | null>((resolve) =>
      server.process.once('exit', (code) => resolve(code)),
    );
    server.process.kill('SIGTERM');
    await eventually(() => server.stdout().includes('SIGTERM: draining'));

    await request(server.url).get('/health/ready').expect(503);
    const refused = await request(server.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .send(INITIALIZE);
    expect(refused.status).toBe(503);

    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ city: 'thun', temperature: 17.2 });
    expect(await exited).toBe(0);
    expect(server.stdout()).toContain('"msg":"stopped"');
    await sse.close().catch(() => undefined);
  });

  it('does not let an idle SSE stream hold shutdown hostage', async () => {
    const server = await spawnServer({ AAREGURU_BASE_URL: fake.baseUrl });
    const sse = await connectClient('sse', { url: server.url });
    const started = Date.now();
    const ended = await server.stop();
    expect(ended.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    await sse.close().catch(() => undefined);
  });
});
