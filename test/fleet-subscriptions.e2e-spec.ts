import type { Client } from '@modelcontextprotocol/client';
import { measure, updatesOf } from './support/live-resources';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { connectRouted2025, connectRoutedSse, Route } from './support/fleet';
import { eventually } from './support/mcp-clients';
import { scrapeMetrics } from './support/metrics';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { spawnServer, SpawnedServer } from './support/spawn-server';

const TTL_SECONDS = 1;
const LEASE_SECONDS = 2;
/** A change is told within the TTL plus the poll interval (plus slack for a busy machine). */
const NOTICE_MS = 2 * TTL_SECONDS * 1000 + 2000;
const THUN = 'aareguru://current/thun';

async function pollerOf(server: SpawnedServer): Promise<number> {
  return (await scrapeMetrics(server.url)).value('mcp_subscription_poller');
}

/** Two replicas of the production build on one Redis, their clients subscribed on both. */
describe('Resource subscriptions across replicas (Redis)', () => {
  let fake: FakeAareguru;
  let prefix: string;
  const servers: SpawnedServer[] = [];
  const clients: Client[] = [];

  beforeAll(() => requireRedis());

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
    prefix = uniquePrefix('fleet-subscriptions');
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
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
      CACHE_TTL_SECONDS: String(TTL_SECONDS),
      POLL_LEASE_SECONDS: String(LEASE_SECONDS),
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REPLICA_ID: id,
    });
    servers.push(server);
    return server;
  }

  it('one replica polls; subscribers on every replica are told; another takes over when it dies', async () => {
    const [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);

    // A session opened (and streaming) on A, one on B whose subscribe goes through A, and a
    // legacy SSE stream on B.
    const onA = await connectRouted2025({ url: a.url });
    const routeB: Route = { url: b.url };
    const onB = await connectRouted2025(routeB);
    routeB.url = a.url;
    const sse = await connectRoutedSse({ url: b.url });
    clients.push(onA.client, onB.client, sse.client);
    const updates = [onA.client, onB.client, sse.client].map(updatesOf);
    for (const client of [onA.client, onB.client, sse.client]) {
      await client.subscribeResource({ uri: THUN });
    }
    routeB.url = b.url;

    await eventually(async () => (await pollerOf(a)) + (await pollerOf(b)) === 1, NOTICE_MS);
    const [pollerA, pollerB] = [await pollerOf(a), await pollerOf(b)];
    expect(pollerA + pollerB).toBe(1);

    fake.reset();
    const started = Date.now();
    measure(fake, 'thun', 20.5);
    await eventually(() => updates.every((u) => u.length === 1), NOTICE_MS);
    expect(updates).toEqual([[THUN], [THUN], [THUN]]);
    // One poller for the fleet: /widget once per TTL, /current once for the change.
    await new Promise((resolve) => setTimeout(resolve, 2 * TTL_SECONDS * 1000));
    const seconds = (Date.now() - started) / 1000;
    expect(fake.count('/v2018/widget')).toBeLessThanOrEqual(Math.ceil(seconds / TTL_SECONDS) + 1);
    expect(fake.count('/v2018/current', 'thun')).toBe(1);
    expect(updates).toEqual([[THUN], [THUN], [THUN]]);

    // The poller dies without a word: the other replica takes the lease over once it runs out.
    const [dead, survivor] = pollerA === 1 ? [a, b] : [b, a];
    const killedAt = Date.now();
    await new Promise<void>((resolve) => {
      dead.process.once('exit', () => resolve());
      dead.process.kill('SIGKILL');
    });
    await eventually(async () => (await pollerOf(survivor)) === 1, LEASE_SECONDS * 1000 + 3000);
    const takeoverMs = Date.now() - killedAt;
    // The lease time, and a third of it for the survivor's next try.
    expect(takeoverMs).toBeLessThan(LEASE_SECONDS * 1000 * (4 / 3) + 1500);

    // Subscribers whose stream is on the survivor hear of the next change.
    const survivorUpdates = survivor === a ? [updates[0]] : [updates[1], updates[2]];
    measure(fake, 'thun', 21);
    await eventually(() => survivorUpdates.every((u) => u.length === 2), NOTICE_MS);
    for (const u of survivorUpdates) expect(u).toEqual([THUN, THUN]);
  });
});
