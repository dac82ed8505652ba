import type { JSONRPCMessage, ServerEvent } from '@modelcontextprotocol/server';
import { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import type { AareguruService } from '../aareguru/aareguru.service';
import type { CacheConfig, LiveConfig } from '../config/configuration.types';
import type { SessionEventLog } from '../events/session-event-log';
import type { RedisConnection } from '../redis/redis-connection';
import { MemorySubscriptionStore } from './memory-subscription.store';
import { LocalPollLease, type PollLease } from './poll-lease';
import { ResourcePoller } from './resource-poller';
import type { SubscriptionsService } from './subscriptions.service';

const TTL_MS = 60_000;
/** A poll comes when what the last one read expires from the cache: a TTL and a hair after it. */
const PERIOD = TTL_MS + 100;
const LIMITS = { perSubscriber: 10, perKey: 100 };
const THUN = 'aareguru://current/thun';

/** An upstream whose widget the test changes; counts what the poller asks of it. */
class FakeUpstream {
  constructor(private readonly clock: ManualClock) {}

  values: Record<string, Record<string, unknown>> = {
    thun: { timestamp: 1000, temperature: 17.2, flow: 95 },
    bern: { timestamp: 1000, temperature: 18.1, flow: 120 },
  };
  cityList = [{ city: 'thun' }, { city: 'bern' }];
  widgetReads = 0;
  citiesReads = 0;
  refreshed: string[] = [];
  forgotten: string[] = [];
  failRefresh = false;

  measure(city: string, change: Record<string, unknown>): void {
    this.values = { ...this.values, [city]: { ...this.values[city], ...change } };
  }

  readonly service = {
    widget: () => {
      this.widgetReads += 1;
      return Promise.resolve({
        value: { values: this.values, cities: [] },
        fetchedAt: this.clock.now(),
        stale: false,
      });
    },
    cities: () => {
      this.citiesReads += 1;
      return Promise.resolve({ value: this.cityList, fetchedAt: this.clock.now(), stale: false });
    },
    refreshCurrent: (city: string) => {
      if (this.failRefresh) return Promise.reject(new Error('upstream down'));
      this.refreshed.push(city);
      return Promise.resolve({});
    },
    forgetToday: (city: string) => {
      this.forgotten.push(city);
      return Promise.resolve();
    },
  } as unknown as AareguruService;
}

function setUp(options: { lease?: PollLease } = {}) {
  const clock = new ManualClock();
  const store = new MemorySubscriptionStore();
  const upstream = new FakeUpstream(clock);
  const appended: { session: string; message: JSONRPCMessage }[] = [];
  const log = {
    append: (session: string, _stream: string, message: JSONRPCMessage) => {
      appended.push({ session, message });
      return Promise.resolve(String(appended.length));
    },
  } as unknown as SessionEventLog;
  const published: ServerEvent[] = [];
  let failPublish = false;
  let added: (() => void) | undefined;
  const subscriptions = {
    onAdded: (listener: () => void) => {
      added = listener;
      return () => undefined;
    },
    publishToListeners: (event: ServerEvent) => {
      if (failPublish) return Promise.reject(new Error('Redis is gone'));
      published.push(event);
      return Promise.resolve();
    },
  } as unknown as SubscriptionsService;
  const redis = { enabled: false, fellBack: () => undefined } as unknown as RedisConnection;
  const lease = options.lease ?? new LocalPollLease();
  const poller = new ResourcePoller(
    store,
    lease,
    log,
    subscriptions,
    upstream.service,
    redis,
    { ttlSeconds: TTL_MS / 1000 } as CacheConfig,
    { pollLeaseMs: 15_000 } as LiveConfig,
    clock,
    clock,
    new Counter({ name: 'u', help: 'u', labelNames: ['resource'], registers: [] }),
    new Counter({ name: 'n', help: 'n', labelNames: ['outcome'], registers: [] }),
    new Counter({ name: 'p', help: 'p', labelNames: ['outcome'], registers: [] }),
    new Gauge({ name: 'g', help: 'g', registers: [] }),
    new Gauge({ name: 's', help: 's', registers: [] }),
  );
  /** Subscribes as the service would: recorded, then the poller told. */
  const subscribe = async (subscriber: string, uri: string) => {
    await store.add(subscriber, 'team-a', [uri], LIMITS);
    added?.();
  };
  /** Lets the clock pass and every poll it started finish. */
  const pass = async (ms: number) => {
    clock.advance(ms);
    await poller.idle();
  };
  const sent = () => appended.map(({ session, message }) => ({ session, message }));
  const failPublishing = () => (failPublish = true);
  return {
    clock,
    store,
    upstream,
    appended,
    published,
    poller,
    subscribe,
    pass,
    sent,
    failPublishing,
  };
}

const updated = (uri: string) => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri },
});

describe('ResourcePoller', () => {
  it('asks upstream nothing while nobody is subscribed', async () => {
    const { poller, upstream, pass } = setUp();
    await poller.onModuleInit();
    await pass(PERIOD * 5);
    expect(upstream.widgetReads).toBe(0);
    expect(upstream.citiesReads).toBe(0);
    await poller.onModuleDestroy();
  });

  it('keeps no timer while nobody is subscribed, in one process', async () => {
    const { poller, clock, subscribe, store, pass } = setUp();
    await poller.onModuleInit();
    await poller.idle();
    expect(clock.pending).toBe(0);
    await subscribe('s1', THUN);
    await poller.idle();
    expect(clock.pending).toBe(1);
    await store.removeAll('s1');
    await pass(PERIOD);
    expect(clock.pending).toBe(0);
    await poller.onModuleDestroy();
  });

  it('takes a baseline on subscribing, then tells the subscriber once per change', async () => {
    const { poller, upstream, subscribe, pass, sent } = setUp();
    await poller.onModuleInit();
    await subscribe('s1', THUN);
    await poller.idle();
    expect(upstream.widgetReads).toBe(1);
    expect(sent()).toEqual([]);

    await pass(PERIOD);
    expect(sent()).toEqual([]);

    upstream.measure('thun', { timestamp: 1600, temperature: 17.4 });
    await pass(PERIOD);
    expect(upstream.refreshed).toEqual(['thun']);
    expect(sent()).toEqual([{ session: 's1', message: updated(THUN) }]);

    // Unchanged: nothing more; Bern changing is not Thun's news.
    upstream.measure('bern', { timestamp: 1600 });
    await pass(PERIOD);
    expect(sent()).toHaveLength(1);
    expect(upstream.refreshed).toEqual(['thun']);
    await poller.onModuleDestroy();
  });

  it('reads the widget once per poll however many subscribe, and tells each of them', async () => {
    const { poller, upstream, subscribe, pass, sent } = setUp();
    await poller.onModuleInit();
    for (let i = 0; i < 50; i += 1) await subscribe(`s${i}`, THUN);
    await subscribe('w', 'aareguru://widget');
    await subscribe('t', 'aareguru://today/thun');
    await poller.idle();
    const readsAfterBaseline = upstream.widgetReads;
    upstream.measure('thun', { flow: 99 });
    await pass(PERIOD);
    expect(upstream.widgetReads).toBe(readsAfterBaseline + 1);
    expect(upstream.refreshed).toEqual(['thun']);
    expect(upstream.forgotten).toEqual(['thun']);
    const messages = sent();
    expect(messages).toHaveLength(52);
    expect(messages.filter((m) => m.session === 'w')).toEqual([
      { session: 'w', message: updated('aareguru://widget') },
    ]);
    expect(messages.filter((m) => m.session === 't')).toEqual([
      { session: 't', message: updated('aareguru://today/thun') },
    ]);
    await poller.onModuleDestroy();
  });

  it('reads once per TTL, when what it read last has expired', async () => {
    const { poller, upstream, subscribe, pass } = setUp();
    await poller.onModuleInit();
    await subscribe('s1', THUN);
    await poller.idle();
    const baseline = upstream.widgetReads;
    // In steps of a second: 2.5 TTLs, then 12.5.
    for (let i = 0; i < 150; i += 1) await pass(1000);
    expect(upstream.widgetReads - baseline).toBe(2);
    for (let i = 0; i < 600; i += 1) await pass(1000);
    expect(upstream.widgetReads - baseline).toBe(12);
    await poller.onModuleDestroy();
  });

  it('tells listen streams through the bus, not a session log', async () => {
    const { poller, upstream, subscribe, pass, sent, published } = setUp();
    await poller.onModuleInit();
    await subscribe('listen:replica#1:abc', THUN);
    await poller.idle();
    upstream.measure('thun', { timestamp: 2200 });
    await pass(PERIOD);
    expect(sent()).toEqual([]);
    expect(published).toEqual([{ kind: 'resource_updated', uri: THUN }]);
    await poller.onModuleDestroy();
  });

  it('polls /cities only for its subscribers, and tells of a changed city list', async () => {
    const { poller, upstream, subscribe, pass, sent, published } = setUp();
    await poller.onModuleInit();
    await subscribe('s1', THUN);
    await poller.idle();
    expect(upstream.citiesReads).toBe(0);
    await subscribe('s2', 'aareguru://cities');
    await poller.idle();
    expect(upstream.citiesReads).toBe(1);
    upstream.cityList = [...upstream.cityList, { city: 'brugg' }];
    upstream.values = { ...upstream.values, brugg: { timestamp: 1000 } };
    await pass(PERIOD);
    expect(sent()).toEqual(
      expect.arrayContaining([
        { session: 's2', message: updated('aareguru://cities') },
        {
          session: 's1',
          message: { jsonrpc: '2.0', method: 'notifications/resources/list_changed' },
        },
        {
          session: 's2',
          message: { jsonrpc: '2.0', method: 'notifications/resources/list_changed' },
        },
      ]),
    );
    expect(sent()).toHaveLength(3);
    expect(published).toEqual([{ kind: 'resources_list_changed' }]);
    await poller.onModuleDestroy();
  });

  it('tries again at the next poll when the changed city could not be fetched, telling once', async () => {
    const { poller, upstream, subscribe, pass, sent } = setUp();
    await poller.onModuleInit();
    await subscribe('s1', THUN);
    await subscribe('s1', 'aareguru://today/thun');
    await poller.idle();
    upstream.measure('thun', { temperature: 3 });
    upstream.failRefresh = true;
    await pass(PERIOD);
    expect(sent()).toEqual([]);
    upstream.failRefresh = false;
    await pass(PERIOD);
    expect(sent()).toEqual([
      { session: 's1', message: updated(THUN) },
      { session: 's1', message: updated('aareguru://today/thun') },
    ]);
    await pass(PERIOD);
    expect(sent()).toHaveLength(2);
    await poller.onModuleDestroy();
  });

  it('takes a fresh baseline after a spell with nobody subscribed', async () => {
    const { poller, upstream, subscribe, store, pass, sent } = setUp();
    await poller.onModuleInit();
    await subscribe('s1', THUN);
    await poller.idle();
    await store.removeAll('s1');
    await pass(PERIOD);
    // Changed while nobody watched: not news to the next subscriber.
    upstream.measure('thun', { timestamp: 9000 });
    await subscribe('s2', THUN);
    await poller.idle();
    await pass(PERIOD);
    expect(sent()).toEqual([]);
    upstream.measure('thun', { timestamp: 9600 });
    await pass(PERIOD);
    expect(sent()).toEqual([{ session: 's2', message: updated(THUN) }]);
    await poller.onModuleDestroy();
  });

  it('tells the other resources when telling one fails', async () => {
    const { poller, upstream, subscribe, pass, sent, failPublishing } = setUp();
    await poller.onModuleInit();
    await subscribe('listen:replica#1:abc', 'aareguru://widget');
    await subscribe('s1', THUN);
    await poller.idle();
    failPublishing();
    upstream.measure('thun', { flow: 101 });
    await pass(PERIOD);
    expect(sent()).toEqual([{ session: 's1', message: updated(THUN) }]);
    await poller.onModuleDestroy();
  });

  it('finds a subscription whose kick was lost when it renews its lease', async () => {
    const lease = {
      shared: true,
      hold: () => Promise.resolve(true),
      release: () => Promise.resolve(),
    };
    const { poller, upstream, store, clock } = setUp({ lease });
    await poller.onModuleInit();
    await poller.idle();
    // Recorded by another replica; its kick never arrived.
    await store.add('s1', 'team-a', [THUN], LIMITS);
    expect(upstream.widgetReads).toBe(0);
    clock.advance(5_000);
    await new Promise((resolve) => setImmediate(resolve));
    await poller.idle();
    expect(upstream.widgetReads).toBe(1);
    await poller.onModuleDestroy();
  });

  it('removes the subscriptions of sessions that are gone', async () => {
    const { poller, store, subscribe, pass } = setUp();
    await poller.onModuleInit();
    await subscribe('alive', THUN);
    await subscribe('gone', THUN);
    poller.useLiveness((ids) => Promise.resolve(ids.map((id) => id === 'alive')));
    await pass(PERIOD);
    expect(await store.subscribers()).toEqual(['alive']);
    await poller.onModuleDestroy();
  });

  it('polls only while it holds the lease, and at once when it takes it', async () => {
    let holds = false;
    const lease = {
      shared: true,
      hold: () => Promise.resolve(holds),
      release: jest.fn(() => Promise.resolve()),
    };
    const { poller, upstream, subscribe, pass, clock } = setUp({ lease });
    await poller.onModuleInit();
    await subscribe('s1', THUN);
    await pass(PERIOD * 3);
    expect(poller.polling).toBe(false);
    expect(upstream.widgetReads).toBe(0);

    holds = true;
    // The lease is tried three times per lease period: taken within 5 s, polled then.
    clock.advance(5_000);
    await new Promise((resolve) => setImmediate(resolve));
    await poller.idle();
    expect(poller.polling).toBe(true);
    expect(upstream.widgetReads).toBeGreaterThanOrEqual(1);

    await poller.onModuleDestroy();
    expect(lease.release).toHaveBeenCalled();
  });
});
