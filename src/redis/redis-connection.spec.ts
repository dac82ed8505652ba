import net from 'node:net';
import { Counter, Gauge } from 'prom-client';
import type { RedisConfig } from '../config/configuration.types';
import {
  deletePrefix,
  keysUnder,
  redisClient,
  REDIS_URL,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from '../../test/support/redis';
import {
  HEARTBEAT_TTL_MS,
  reconnectDelayMs,
  RedisConnection,
  replicaOf,
  shouldReconnect,
} from './redis-connection';
import { eventually } from '../../test/support/eventually';

function connection(config: Partial<RedisConfig>) {
  const connected = new Gauge({ name: 'redis_connected_spec', help: 'spec', registers: [] });
  const fallbacks = new Counter({
    name: 'redis_fallbacks_spec',
    help: 'spec',
    labelNames: ['use'],
    registers: [],
  });
  const redis = new RedisConnection(
    {
      url: REDIS_URL,
      keyPrefix: uniquePrefix('connection'),
      replicaId: 'replica-a',
      commandTimeoutMs: 500,
      ...config,
    },
    connected,
    fallbacks,
  );
  return { redis, connected, fallbacks };
}

describe('shouldReconnect', () => {
  it('reconnects on READONLY (a connection left on a demoted node), not on other errors', () => {
    expect(
      shouldReconnect(new Error("READONLY You can't write against a read only replica.")),
    ).toBe(true);
    expect(shouldReconnect(new Error('ERR unknown command'))).toBe(false);
    expect(shouldReconnect(new Error('NOSCRIPT No matching script'))).toBe(false);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from 50 ms up to 2 s, with jitter of up to half the delay', () => {
    expect(reconnectDelayMs(0, () => 1)).toBe(50);
    expect(reconnectDelayMs(0, () => 0)).toBe(25);
    expect(reconnectDelayMs(3, () => 1)).toBe(400);
    expect(reconnectDelayMs(50, () => 1)).toBe(2000);
    expect(reconnectDelayMs(50, () => 0)).toBe(1000);
  });
});

describe('RedisConnection', () => {
  beforeAll(() => requireRedis());

  it('is disabled without a URL and touches nothing', async () => {
    const { redis } = connection({ url: null });
    await redis.onModuleInit();
    expect(redis.enabled).toBe(false);
    expect(redis.connected).toBe(false);
    expect(() => redis.command).toThrow(/REDIS_URL/);
    await redis.onApplicationShutdown();
  });

  it('prefixes keys and channels, delivers published messages, and keeps a heartbeat', async () => {
    const prefix = uniquePrefix('connection');
    const { redis, connected } = connection({ keyPrefix: prefix });
    const early: string[] = [];
    // Subscribed before the connection exists, as a feature module's init may do.
    await redis.subscribe('ctl', (message) => early.push(message));
    await redis.onModuleInit();
    try {
      expect(redis.connected).toBe(true);
      expect((await connected.get()).values[0].value).toBe(1);
      expect(redis.key('s', 'abc')).toBe(`${prefix}s:abc`);

      const later: string[] = [];
      await redis.subscribe('ctl', (message) => later.push(message));
      // The early subscription may still be on its way: publish until it arrives.
      const deadline = Date.now() + 2000;
      let receivers = 0;
      while (receivers === 0 && Date.now() < deadline)
        receivers = await redis.publish('ctl', 'hello');
      expect(receivers).toBe(1);
      await eventually(() => later.length > 0, 2000);
      expect(early[0]).toBe('hello');
      expect(later[0]).toBe('hello');

      const client = redisClient();
      try {
        // The heartbeat is this boot's: REPLICA_ID and a per-boot suffix.
        expect(redis.replicaId).toBe('replica-a');
        expect(redis.instanceId).toMatch(/^replica-a#[0-9a-f]{8}$/);
        expect(await keysUnder(client, prefix)).toEqual([`${prefix}alive:${redis.instanceId}`]);
        const ttl = await client.pttl(`${prefix}alive:${redis.instanceId}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(HEARTBEAT_TTL_MS);
        expect(await redis.isAlive(redis.instanceId)).toBe(true);
        expect(await redis.isAlive('replica-b')).toBe(false);
        // Restarted under the same REPLICA_ID: another boot, not taken for this one.
        const restarted = connection({ keyPrefix: prefix }).redis;
        expect(restarted.instanceId).not.toBe(redis.instanceId);
        expect(replicaOf(restarted.instanceId)).toBe('replica-a');
        expect(await redis.ping()).toBeGreaterThanOrEqual(0);
      } finally {
        client.disconnect();
      }
    } finally {
      await redis.onApplicationShutdown();
      // A replica that stops on purpose removes its heartbeat.
      const client = redisClient();
      expect(await keysUnder(client, prefix)).toEqual([]);
      client.disconnect();
      await deletePrefix(prefix);
    }
  });

  it('has its subscriber connection up when init resolves, so a subscription made then is live at once', async () => {
    // The subscriber's connection (the second one) reaches Redis 300 ms after the command's: init
    // must wait for it, or a channel subscribed during module init misses what is published next.
    const target = new URL(REDIS_URL);
    let accepted = 0;
    const sockets: net.Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    const proxy = net.createServer((socket) => {
      const delay = accepted++ === 0 ? 0 : 300;
      sockets.push(socket);
      socket.pause();
      const timer = setTimeout(() => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        sockets.push(upstream);
        socket.pipe(upstream).pipe(socket);
        socket.resume();
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      }, delay);
      timers.push(timer);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as net.AddressInfo;
    const prefix = uniquePrefix('connection');
    const { redis } = connection({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix });
    try {
      await redis.onModuleInit();
      const received: string[] = [];
      await redis.subscribe('relay', (message) => received.push(message));
      expect(await redis.publish('relay', 'first')).toBe(1);
      await eventually(() => received.length === 1, 2000);
    } finally {
      await redis.onApplicationShutdown();
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      proxy.close();
      await deletePrefix(prefix);
    }
  });

  it('counts fallbacks by use', async () => {
    const { redis, fallbacks } = connection({ url: null });
    redis.fellBack('rate_limit', new Error('down'));
    redis.fellBack('rate_limit', new Error('down'));
    redis.fellBack('cache', new Error('down'));
    const values = (await fallbacks.get()).values;
    expect(values.find((v) => v.labels.use === 'rate_limit')?.value).toBe(2);
    expect(values.find((v) => v.labels.use === 'cache')?.value).toBe(1);
  });

  it('starts without Redis, fails commands at once while it is away, and reconnects by itself', async () => {
    const server = await startPrivateRedis();
    await server.stop();
    const prefix = uniquePrefix('connection');
    const { redis } = connection({ url: server.url, keyPrefix: prefix });
    const messages: string[] = [];
    try {
      await redis.onModuleInit(); // waits a bounded time, then goes on
      expect(redis.connected).toBe(false);
      const started = Date.now();
      await expect(redis.command.get(redis.key('x'))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(500);

      await redis.subscribe('ctl', (message) => messages.push(message));
      await server.start();
      await eventually(() => redis.connected, 5000);
      await eventually(async () => (await redis.publish('ctl', 'back')) > 0, 5000);
      await eventually(() => messages.includes('back'), 2000);
      expect(await redis.isAlive(redis.instanceId)).toBe(true);

      // Redis restarts: the same connection comes back, subscriptions included.
      await server.stop('SIGKILL');
      await eventually(() => !redis.connected, 5000);
      await server.start();
      await eventually(() => redis.connected, 5000);
      await eventually(async () => (await redis.publish('ctl', 'again')) > 0, 5000);
      await eventually(() => messages.includes('again'), 2000);
    } finally {
      await redis.onApplicationShutdown();
      await server.dispose();
    }
  }, 20000);
});
