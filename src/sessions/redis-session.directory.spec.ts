import { Counter, Gauge } from 'prom-client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import {
  deletePrefix,
  keysUnder,
  redisClient,
  REDIS_URL,
  requireRedis,
  uniquePrefix,
} from '../../test/support/redis';
import { RedisConnection } from '../redis/redis-connection';
import { RedisSessionDirectory } from './redis-session.directory';
import type { FleetEvent, SessionRecord } from './session-directory.interface';

const LIMITS = { maxSessions: 3, maxSessionsPerKey: 2, ttlMs: 60_000 };

const INITIALIZE: JSONRPCMessage = {
  jsonrpc: '2.0',
  id: 'replay:initialize',
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'c', version: '1' },
  },
};
const LEVEL: JSONRPCMessage = {
  jsonrpc: '2.0',
  id: 'replay:logging/setLevel',
  method: 'logging/setLevel',
  params: { level: 'error' },
};

function record(id: string, keyLabel = 'team-a', overrides: Partial<SessionRecord> = {}) {
  return {
    id,
    transport: 'streamable-http',
    keyLabel,
    protocolVersion: '2025-11-25',
    clientName: 'client',
    clientVersion: null,
    openedAt: 1_000,
    replica: 'replica-a',
    handshake: [INITIALIZE],
    ...overrides,
  } satisfies SessionRecord;
}

function connection(prefix: string, replicaId = 'replica-a') {
  return new RedisConnection(
    { url: REDIS_URL, keyPrefix: prefix, replicaId, commandTimeoutMs: 1000 },
    new Gauge({ name: 'redis_connected_dir_spec', help: 'spec', registers: [] }),
    new Counter({
      name: 'redis_fallbacks_dir_spec',
      help: 'spec',
      labelNames: ['use'],
      registers: [],
    }),
  );
}

describe('RedisSessionDirectory', () => {
  const admin = redisClient();
  let prefix: string;
  let redis: RedisConnection;
  let directory: RedisSessionDirectory;

  beforeAll(() => requireRedis());
  afterAll(() => admin.disconnect());

  beforeEach(async () => {
    prefix = uniquePrefix('session-directory');
    redis = connection(prefix);
    await redis.onModuleInit();
    directory = new RedisSessionDirectory(redis);
  });

  afterEach(async () => {
    await redis.onApplicationShutdown();
    await deletePrefix(prefix);
  });

  it('admits up to the fleet limit and the per-key limit, recording each admitted session', async () => {
    expect(await directory.admit(record('s1'), LIMITS)).toBe('admitted');
    expect(await directory.admit(record('s2'), LIMITS)).toBe('admitted');
    expect(await directory.admit(record('s3'), LIMITS)).toBe('key-full');
    expect(await directory.admit(record('s3', 'team-b'), LIMITS)).toBe('admitted');
    expect(await directory.admit(record('s4', 'team-c'), LIMITS)).toBe('full');
    expect(await directory.count()).toBe(3);
    // A refused session leaves nothing behind.
    expect(await directory.read('s4')).toBeUndefined();
    const read = await directory.read('s1');
    expect(read).toMatchObject({ ...record('s1'), handshake: [INITIALIZE] });
    expect(read!.expiresAt).toBeGreaterThan(Date.now());
  });

  it('gives every key it writes a TTL', async () => {
    await directory.admit(record('s1'), LIMITS);
    for (const key of await keysUnder(admin, prefix)) {
      if (key.includes(':alive:replica-a#')) continue;
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(LIMITS.ttlMs);
    }
  });

  it('admits atomically: many replicas racing for the last places never exceed the limit', async () => {
    const others = [1, 2, 3, 4].map((n) => {
      const other = connection(prefix, `replica-${n}`);
      return { other, directory: new RedisSessionDirectory(other) };
    });
    await Promise.all(others.map(({ other }) => other.onModuleInit()));
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        others[i % 4].directory.admit(record(`race-${i}`, `key-${i % 2}`), {
          ...LIMITS,
          maxSessions: 10,
          maxSessionsPerKey: 10,
        }),
      ),
    );
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(10);
    expect(await directory.count()).toBe(10);
    await Promise.all(others.map(({ other }) => other.onApplicationShutdown()));
  });

  it('frees the place of a session whose record expired', async () => {
    await directory.admit(record('short'), { ...LIMITS, ttlMs: 50 });
    await directory.admit(record('long'), LIMITS);
    expect(await directory.admit(record('third'), LIMITS)).toBe('key-full');
    const deadline = Date.now() + 2000;
    while ((await directory.admit(record('third'), LIMITS)) !== 'admitted') {
      if (Date.now() > deadline) throw new Error('the expired session still counts');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await directory.read('short')).toBeUndefined();
  });

  it('renews a live record and says when it is gone; restore writes it back', async () => {
    await directory.admit(record('s1'), { ...LIMITS, ttlMs: 1000 });
    expect(await directory.renew('s1', 'team-a', 60_000)).toBe(true);
    expect(await admin.pttl(`${prefix}s:s1`)).toBeGreaterThan(1000);
    // Lost by the store (Redis restarted empty): written back.
    await admin.del(`${prefix}s:s1`, `${prefix}sessions:all`, `${prefix}sessions:key:team-a`);
    expect(await directory.renew('s1', 'team-a', 60_000)).toBe(false);
    expect(await directory.read('s1')).toBeUndefined();
    expect(await directory.count()).toBe(0);
    expect(await directory.restore(record('s1'), 60_000)).toBe(true);
    expect(await directory.read('s1')).toMatchObject({ id: 's1', keyLabel: 'team-a' });
    expect(await directory.count()).toBe(1);
  });

  it('leaves a tombstone when a session ends: it is neither restored nor admitted again', async () => {
    await directory.admit(record('s1'), LIMITS);
    await directory.remove('s1', 'team-a', 5000);
    expect(await directory.renew('s1', 'team-a', 60_000)).toBe(false);
    expect(await directory.restore(record('s1'), 60_000)).toBe(false);
    expect(await directory.admit(record('s1'), LIMITS)).toBe('ended');
    expect(await directory.read('s1')).toBeUndefined();
    expect(await directory.count()).toBe(0);
    const ttl = await admin.pttl(`${prefix}s:s1:ended`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
  });

  it('updates the kept logging level and the replica of a live record only', async () => {
    await directory.admit(record('s1'), LIMITS);
    expect(await directory.update('s1', { handshake: LEVEL, replica: 'replica-b' })).toBe(true);
    const read = await directory.read('s1');
    expect(read!.handshake).toEqual([INITIALIZE, LEVEL]);
    expect(read!.replica).toBe('replica-b');
    expect(await directory.update('gone', { handshake: LEVEL })).toBe(false);
    expect(await admin.exists(`${prefix}s:gone`)).toBe(0);
  });

  it('lists live records, oldest first, and tells which exist', async () => {
    await directory.admit(record('young', 'team-a', { openedAt: 2000 }), LIMITS);
    await directory.admit(record('old', 'team-b', { openedAt: 1000, transport: 'sse' }), LIMITS);
    const listed = await directory.list();
    expect(listed.map((r) => r.id)).toEqual(['old', 'young']);
    expect(listed[0].transport).toBe('sse');
    expect(await directory.exists(['young', 'missing'])).toEqual([true, false]);
  });

  it('carries session events and relayed messages between replicas', async () => {
    const other = connection(prefix, 'replica-b');
    await other.onModuleInit();
    const otherDirectory = new RedisSessionDirectory(other);
    const events: FleetEvent[] = [];
    const relayed: unknown[] = [];
    await otherDirectory.onEvent((event) => events.push(event));
    await otherDirectory.onRelayed((message) => relayed.push(message));
    await directory.announce({ type: 'closed', id: 's1', reason: 'deleted', from: 'replica-a' });
    const message = { id: 's1', keyLabel: 'team-a', message: LEVEL };
    expect(otherDirectory.replicaId).toMatch(/^replica-b#/);
    expect(await directory.relay(otherDirectory.replicaId, message)).toBe(1);
    expect(await directory.relay('replica-c', message)).toBe(0);
    const deadline = Date.now() + 2000;
    while (events.length === 0 || relayed.length === 0) {
      if (Date.now() > deadline) throw new Error('nothing arrived');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(events).toEqual([{ type: 'closed', id: 's1', reason: 'deleted', from: 'replica-a' }]);
    expect(relayed).toEqual([message]);
    expect(await directory.isAlive(otherDirectory.replicaId)).toBe(true);
    await other.onApplicationShutdown();
    expect(await directory.isAlive(otherDirectory.replicaId)).toBe(false);
  });

  it('does not hand a restarted replica (same REPLICA_ID) the messages of its earlier boot', async () => {
    const before = connection(prefix, 'replica-b');
    await before.onModuleInit();
    const earlier = new RedisSessionDirectory(before).replicaId;
    // Killed (it no longer listens; its heartbeat lasts until it expires), restarted at once
    // under the same name.
    const restarted = connection(prefix, 'replica-b');
    await restarted.onModuleInit();
    try {
      await new RedisSessionDirectory(restarted).onRelayed(() => undefined);
      const message = { id: 's1', keyLabel: 'team-a', message: LEVEL };
      expect(await directory.relay(earlier, message)).toBe(0);
    } finally {
      await Promise.all([before.onApplicationShutdown(), restarted.onApplicationShutdown()]);
    }
  });
});
