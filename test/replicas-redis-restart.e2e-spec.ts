import type { CallToolResult } from '@modelcontextprotocol/client';
import { connectClient, type ConnectedClient } from './support/mcp-clients';
import {
  keysUnder,
  redisClient,
  requireRedis,
  startPrivateRedis,
  type PrivateRedis,
} from './support/redis';
import { ReplicaSet, type RoundRobinProxy } from './support/replicas';

const API_KEY = 'replicas-e2e-key-0123456789';

interface HealthBody {
  details?: {
    redis?: { status: string; connected?: boolean; replicaId?: string };
  };
}

async function health(url: string): Promise<{ status: number; redis?: HealthBody['details'] }> {
  const response = await fetch(`${url}/health`);
  const body = (await response.json()) as HealthBody;
  return { status: response.status, redis: body.details };
}

async function redisConnectedMetric(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => /^redis_connected[{ ]/.test(l));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/** Polls until `check` holds, failing with the last value seen after the deadline. */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const temperatureIn = (client: ConnectedClient, city: string) =>
  client.client.callTool({
    name: 'get_current_temperature',
    arguments: { city },
  }) as Promise<CallToolResult>;

/**
 * Two replicas of the production build on a Redis of the test's own, behind a round-robin proxy.
 * Redis goes away and comes back while traffic flows: the replicas keep serving 2026-07-28 calls
 * and cached data, stay live and ready, report Redis down, and reconnect without a restart.
 */
describe('Two replicas while their Redis stops and starts again', () => {
  let redis: PrivateRedis;
  let set: ReplicaSet;
  let proxy: RoundRobinProxy;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    await requireRedis(redis.url);
    set = await ReplicaSet.start({
      count: 2,
      redisUrl: redis.url,
      env: { API_KEYS: `e2e:${API_KEY}`, LOG_LEVEL: 'warn' },
    });
    proxy = await set.proxy();
    // Two cold starts take about 2 s; a machine busy with other work can take much longer.
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await set?.stop();
    await redis?.dispose();
  });

  const connect = async (url: string) => {
    const client = await connectClient('streamable-2026', { url, apiKey: API_KEY });
    clients.push(client);
    return client;
  };

  it('serves throughout, reports Redis down, and shares state again once Redis is back', async () => {
    const [a, b] = set.replicas;
    const aliveKeys = async () => {
      const client = redisClient(redis.url);
      try {
        // One per replica's boot: REPLICA_ID and a per-boot suffix.
        const keys = await keysUnder(client, `${set.keyPrefix}alive:`);
        return keys.map((key) => key.replace(/#[0-9a-f]{8}$/, '')).sort();
      } finally {
        client.disconnect();
      }
    };
    const expectedAlive = [`${set.keyPrefix}alive:${a.id}`, `${set.keyPrefix}alive:${b.id}`];

    // Both replicas on Redis: connected, each one's heartbeat visible to the other in Redis.
    for (const replica of [a, b]) {
      expect(await health(replica.url)).toMatchObject({
        status: 200,
        redis: { redis: { status: 'up', connected: true, replicaId: replica.id } },
      });
      expect(await redisConnectedMetric(replica.url)).toBe(1);
    }
    expect(await aliveKeys()).toEqual(expectedAlive);

    // Bern's data cached on both replicas, then traffic through the proxy.
    for (const replica of [a, b]) {
      expect((await temperatureIn(await connect(replica.url), 'bern')).isError).toBeFalsy();
    }
    const viaProxy = await connect(proxy.url);
    for (let i = 0; i < 4; i += 1) {
      expect((await temperatureIn(viaProxy, 'bern')).isError).toBeFalsy();
    }

    await redis.stop('SIGKILL');
    for (const replica of [a, b]) {
      await until(
        `${replica.id} reports Redis down`,
        () => health(replica.url),
        (h) => h.status === 503 && h.redis?.redis?.status === 'down',
      );
      expect((await fetch(`${replica.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${replica.url}/health/ready`)).status).toBe(200);
      expect(await redisConnectedMetric(replica.url)).toBe(0);
    }
    // Upstream down too: only what the replicas cached can answer, and it does, on both.
    set.fake.inject({ fault: { kind: 'status', status: 500 } });
    const servedBefore = set.urls().map((url) => proxy.stats.get(url)?.forwarded ?? 0);
    for (let i = 0; i < 6; i += 1) {
      const result = await temperatureIn(viaProxy, 'bern');
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ city: 'bern' });
    }
    const servedDuring = set
      .urls()
      .map((url, i) => (proxy.stats.get(url)?.forwarded ?? 0) - servedBefore[i]);
    expect(servedDuring.every((n) => n > 0)).toBe(true);
    expect(proxy.totals().badGateway).toBe(0);
    set.fake.clearFaults();

    // Redis back (empty): both replicas reconnect by themselves and renew their heartbeats.
    await redis.start();
    for (const replica of [a, b]) {
      await until(
        `${replica.id} reports Redis up again`,
        () => health(replica.url),
        (h) => h.status === 200 && h.redis?.redis?.connected === true,
      );
      expect(await redisConnectedMetric(replica.url)).toBe(1);
    }
    await until('both heartbeats back in Redis', aliveKeys, (keys) => keys.length === 2);
    expect(await aliveKeys()).toEqual(expectedAlive);
    expect((await temperatureIn(viaProxy, 'thun')).isError).toBeFalsy();
  }, 30_000);
});
