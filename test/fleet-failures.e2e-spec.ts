import type { CallToolResult } from '@modelcontextprotocol/client';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { connectRouted2025, connectRoutedSse, Route } from './support/fleet';
import { eventually } from './support/mcp-clients';
import { deletePrefix, redisClient, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { spawnServer, SpawnedServer } from './support/spawn-server';

const temperature = (city = 'bern') => ({ name: 'get_current_temperature', arguments: { city } });

/** Two replicas of the production build on one Redis: one of them is killed. */
describe('A replica killed (SIGKILL)', () => {
  let fake: FakeAareguru;
  let prefix: string;
  const servers: SpawnedServer[] = [];

  beforeAll(() => requireRedis());

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
    prefix = uniquePrefix('fleet-failures');
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      if (server.process.exitCode === null && server.process.signalCode === null) {
        await server.stop();
      }
    }
    await fake.stop();
    await deletePrefix(prefix);
  });

  async function replica(id: string): Promise<SpawnedServer> {
    const server = await spawnServer({
      AAREGURU_BASE_URL: fake.baseUrl,
      AAREGURU_RETRIES: '0',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REPLICA_ID: id,
    });
    servers.push(server);
    return server;
  }

  function killed(server: SpawnedServer): Promise<void> {
    return new Promise((resolve) => {
      server.process.once('exit', () => resolve());
      server.process.kill('SIGKILL');
    });
  }

  it('its 2025 sessions go on on B (the call in flight on A fails); its SSE clients get 404', async () => {
    const [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);
    const route: Route = { url: a.url };
    const { client, http } = await connectRouted2025(route);
    const id = http.sessionId!;
    expect(((await client.callTool(temperature())) as CallToolResult).isError).toBeFalsy();

    const sse = await connectRoutedSse({ url: a.url, messagesUrl: b.url });
    expect(((await sse.client.callTool(temperature())) as CallToolResult).isError).toBeFalsy();
    const sseId = /sessionId=([0-9a-f-]+)/.exec(
      (sse.client as unknown as { _transport: { _endpoint: URL } })._transport._endpoint.search,
    )![1];

    // A call for Thun hangs upstream: it is in flight on A when A dies.
    fake.inject({ fault: { kind: 'hang' }, path: '/v2018/current', city: 'thun', times: 1 });
    const inFlight = client.callTool(temperature('thun'), { timeout: 10_000 });
    const outcome = inFlight.then(
      () => 'answered',
      () => 'failed',
    );
    await eventually(() => fake.count('/v2018/current', 'thun') === 1);
    await killed(a);
    expect(await outcome).toBe('failed');

    // Nothing else is lost: the same session, served by B from its record.
    route.url = b.url;
    const onB = (await client.callTool(temperature())) as CallToolResult;
    expect(onB.isError).toBeFalsy();
    expect(http.sessionId).toBe(id);

    // The SSE stream died with A: POSTs for it end in 404 once A's heartbeat has expired
    // (503 with Retry-After until then).
    const post = () =>
      fetch(`${b.url}/messages?sessionId=${sseId}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'ping', id: 1 }),
      });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await post();
      await answer.text();
      if (answer.status === 404) break;
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      if (Date.now() > deadline) throw new Error('the dead replica still counted as alive');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const redis = redisClient();
    try {
      expect(await redis.exists(`${prefix}s:${sseId}`)).toBe(0);
      expect(await redis.exists(`${prefix}s:${id}`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    await client.close();
    await sse.client.close().catch(() => undefined);
  }, 60_000);

  it('restarted at once under the same REPLICA_ID, A does not swallow the POSTs of its dead SSE streams', async () => {
    const [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);
    const sse = await connectRoutedSse({ url: a.url, messagesUrl: b.url });
    expect(((await sse.client.callTool(temperature())) as CallToolResult).isError).toBeFalsy();
    const sseId = /sessionId=([0-9a-f-]+)/.exec(
      (sse.client as unknown as { _transport: { _endpoint: URL } })._transport._endpoint.search,
    )![1];
    await killed(a);
    await replica('replica-a');

    // Never accepted (202) for a stream nobody holds: 503 until the dead boot's heartbeat
    // expires, then 404.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await fetch(`${b.url}/messages?sessionId=${sseId}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'ping', id: 1 }),
      });
      await answer.text();
      if (answer.status === 404) break;
      expect(answer.status).toBe(503);
      if (Date.now() > deadline) throw new Error('the POSTs never got 404');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await sse.client.close().catch(() => undefined);
  }, 60_000);

  it('after a graceful stop of A (SIGTERM), its 2025 sessions are served by B', async () => {
    const [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);
    const route: Route = { url: a.url };
    const { client, http } = await connectRouted2025(route);
    expect(((await client.callTool(temperature())) as CallToolResult).isError).toBeFalsy();
    expect((await a.stop()).code).toBe(0);
    route.url = b.url;
    expect(((await client.callTool(temperature())) as CallToolResult).isError).toBeFalsy();
    expect(http.sessionId).toBeDefined();
    await client.close();
  }, 60_000);
});
