import { Counter, Gauge } from 'prom-client';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from '../../test/support/redis';
import { RedisConnection } from '../redis/redis-connection';
import { MemorySubscriptionStore } from './memory-subscription.store';
import { RedisSubscriptionStore } from './redis-subscription.store';
import type { SubscriptionStore } from './subscription-store';

const LIMITS = { perSubscriber: 3, perKey: 4 };
const THUN = 'aareguru://current/thun';
const BERN = 'aareguru://current/bern';
const WIDGET = 'aareguru://widget';
const CITIES = 'aareguru://cities';

function connection(prefix: string) {
  return new RedisConnection(
    { url: REDIS_URL, keyPrefix: prefix, replicaId: 'replica-a', commandTimeoutMs: 1000 },
    new Gauge({ name: 'redis_connected_sub_spec', help: 'spec', registers: [] }),
    new Counter({
      name: 'redis_fallbacks_sub_spec',
      help: 'spec',
      labelNames: ['use'],
      registers: [],
    }),
  );
}

/** The same behaviour from both stores. */
function behavesAsStore(
  make: () => Promise<{ store: SubscriptionStore; done: () => Promise<void> }>,
) {
  let store: SubscriptionStore;
  let done: () => Promise<void>;

  beforeEach(async () => ({ store, done } = await make()));
  afterEach(() => done());

  it('adds, lists and removes subscriptions', async () => {
    expect(await store.add('s1', 'team-a', [THUN], LIMITS)).toBe('added');
    expect(await store.add('s1', 'team-a', [THUN], LIMITS)).toBe('exists');
    expect(await store.add('s2', 'team-a', [THUN, WIDGET], LIMITS)).toBe('added');
    expect((await store.uris()).sort()).toEqual([THUN, WIDGET].sort());
    expect((await store.subscribersOf(THUN)).sort()).toEqual(['s1', 's2']);
    expect((await store.subscribers()).sort()).toEqual(['s1', 's2']);
    expect(await store.count()).toBe(3);

    expect(await store.remove('s1', THUN)).toBe(true);
    expect(await store.remove('s1', THUN)).toBe(false);
    expect(await store.subscribersOf(THUN)).toEqual(['s2']);
    expect((await store.subscribers()).sort()).toEqual(['s2']);
    expect(await store.removeAll('s2')).toBe(2);
    expect(await store.uris()).toEqual([]);
    expect(await store.subscribers()).toEqual([]);
    expect(await store.count()).toBe(0);
  });

  it('bounds subscriptions per subscriber, all or none', async () => {
    expect(await store.add('s1', 'team-a', [THUN, BERN], LIMITS)).toBe('added');
    expect(await store.add('s1', 'team-a', [WIDGET, CITIES], LIMITS)).toBe('subscriber-full');
    expect(await store.count()).toBe(2);
    expect(await store.add('s1', 'team-a', [THUN, WIDGET], LIMITS)).toBe('added');
    expect(await store.count()).toBe(3);
  });

  it("bounds a key's subscriptions over its subscribers, and frees them as they end", async () => {
    expect(await store.add('s1', 'team-a', [THUN, BERN, WIDGET], LIMITS)).toBe('added');
    expect(await store.add('s2', 'team-a', [THUN, BERN], LIMITS)).toBe('key-full');
    expect(await store.add('s2', 'team-b', [THUN, BERN], LIMITS)).toBe('added');
    expect(await store.add('s3', 'team-a', [CITIES], LIMITS)).toBe('added');
    expect(await store.add('s3', 'team-a', [WIDGET], LIMITS)).toBe('key-full');
    await store.removeAll('s1');
    expect(await store.add('s3', 'team-a', [WIDGET, THUN], LIMITS)).toBe('added');
  });

  it("keeps the poller's last fingerprints, replacing the earlier ones", async () => {
    expect(await store.fingerprints()).toEqual({});
    await store.saveFingerprints({ widget: 'a', 'widget:thun': 'b' });
    expect(await store.fingerprints()).toEqual({ widget: 'a', 'widget:thun': 'b' });
    await store.saveFingerprints({ widget: 'c' });
    expect(await store.fingerprints()).toEqual({ widget: 'c' });
    await store.saveFingerprints({});
    expect(await store.fingerprints()).toEqual({});
  });
}

describe('MemorySubscriptionStore', () => {
  behavesAsStore(() =>
    Promise.resolve({ store: new MemorySubscriptionStore(), done: () => Promise.resolve() }),
  );
});

describe('RedisSubscriptionStore', () => {
  beforeAll(() => requireRedis());

  behavesAsStore(async () => {
    const prefix = uniquePrefix('subscriptions');
    const redis = connection(prefix);
    await redis.onModuleInit();
    return {
      store: new RedisSubscriptionStore(redis),
      done: async () => {
        await redis.onApplicationShutdown();
        await deletePrefix(prefix);
      },
    };
  });

  it('counts one bound for the fleet: two replicas adding at once never pass it', async () => {
    const prefix = uniquePrefix('subscriptions-race');
    const [a, b] = [connection(prefix), connection(prefix)];
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    try {
      const stores = [new RedisSubscriptionStore(a), new RedisSubscriptionStore(b)];
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % 2].add(`s${i}`, 'team-a', [THUN], { perSubscriber: 5, perKey: 4 }),
        ),
      );
      expect(outcomes.filter((o) => o === 'added')).toHaveLength(4);
      expect(await stores[0].count()).toBe(4);
    } finally {
      await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
      await deletePrefix(prefix);
    }
  });
});
