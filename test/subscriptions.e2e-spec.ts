import { measure, updatesOf } from './support/live-resources';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { RunningApp, startApp } from './support/http-app';
import { ClientKind, connectClient, ConnectedClient, eventually } from './support/mcp-clients';
import { scrapeMetrics } from './support/metrics';
import { SUBSCRIPTION_STORE, SubscriptionStore } from '../src/subscriptions/subscription-store';
import { ResourcePoller } from '../src/subscriptions/resource-poller';

/** Short enough for a test; the poller polls once per TTL. */
const TTL_SECONDS = 1;
/** The promise: a change is told within the TTL plus the poll interval (plus slack). */
const NOTICE_MS = 2 * TTL_SECONDS * 1000 + 1500;
const THUN = 'aareguru://current/thun';

describe('Resource subscriptions (one process)', () => {
  let running: RunningApp;
  let poller: ResourcePoller;
  let store: SubscriptionStore;
  const clients: ConnectedClient[] = [];

  async function connect(kind: ClientKind): Promise<ConnectedClient> {
    const connected = await connectClient(kind, { url: running.url });
    clients.push(connected);
    return connected;
  }

  /** Waits for the poll after the present one to finish: everything changed is told by then. */
  async function nextPolls(count = 2): Promise<void> {
    const start = (await scrapeMetrics(running.url)).value('mcp_subscription_polls_total');
    await eventually(
      async () =>
        (await scrapeMetrics(running.url)).value('mcp_subscription_polls_total') >= start + count,
      NOTICE_MS * count,
    );
  }

  beforeEach(async () => {
    running = await startApp({ CACHE_TTL_SECONDS: String(TTL_SECONDS), AAREGURU_RETRIES: '0' });
    poller = running.app.get(ResourcePoller);
    store = running.app.get(SUBSCRIPTION_STORE);
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await running.close();
  });

  it('advertises subscriptions in the handshake', async () => {
    const { client } = await connect('streamable-2025');
    expect(client.getServerCapabilities()?.resources).toEqual({
      subscribe: true,
      listChanged: true,
    });
  });

  it.each<ClientKind>(['streamable-2025', 'sse'])(
    'tells a %s subscriber when its city changes, once, and nothing after unsubscribing',
    async (kind) => {
      const { client } = await connect(kind);
      const updates = updatesOf(client);
      await client.subscribeResource({ uri: THUN });
      // Stays subscribed throughout: what it is told shows what the other could have been.
      const witness = await connect('streamable-2025');
      const witnessed = updatesOf(witness.client);
      await witness.client.subscribeResource({ uri: THUN });
      await poller.idle();

      measure(running.fake, 'thun', 21.5);
      await eventually(() => updates.length > 0, NOTICE_MS);
      expect(updates).toEqual([THUN]);
      // The notified client reads the new data, not the cache's old copy.
      const read = await client.readResource({ uri: THUN });
      const body = JSON.parse((read.contents[0] as { text: string }).text) as {
        data: { aare: { temperature: number } };
      };
      expect(body.data.aare.temperature).toBe(21.5);

      // Unchanged data: nothing; another city changing: nothing.
      measure(running.fake, 'bern', 19);
      await nextPolls();
      expect(updates).toEqual([THUN]);

      await client.unsubscribeResource({ uri: THUN });
      measure(running.fake, 'thun', 22);
      await eventually(() => witnessed.length === 2, NOTICE_MS);
      await nextPolls(1);
      expect(witnessed).toEqual([THUN, THUN]);
      expect(updates).toEqual([THUN]);
    },
  );

  it('asks upstream nothing while nobody is subscribed', async () => {
    const { client } = await connect('streamable-2025');
    await client.listResources();
    running.fake.reset();
    await nextPolls(0);
    await new Promise((resolve) => setTimeout(resolve, 3 * TTL_SECONDS * 1000));
    expect(running.fake.count('/v2018/widget')).toBe(0);
    expect(running.fake.count()).toBe(0);
  });

  it('asks upstream once per TTL for many subscribers of one resource', async () => {
    const subscribers = await Promise.all(
      Array.from({ length: 12 }, () => connect('streamable-2025')),
    );
    const updates = subscribers.map(({ client }) => updatesOf(client));
    await Promise.all(subscribers.map(({ client }) => client.subscribeResource({ uri: THUN })));
    await poller.idle();
    running.fake.reset();
    const started = Date.now();

    measure(running.fake, 'thun', 23);
    await eventually(() => updates.every((u) => u.length === 1), NOTICE_MS);
    await nextPolls(3);
    const seconds = (Date.now() - started) / 1000;
    expect(updates.every((u) => u.length === 1)).toBe(true);
    // One /widget request per TTL (and one more for a poll under way), one /current for the change.
    expect(running.fake.count('/v2018/widget')).toBeLessThanOrEqual(
      Math.ceil(seconds / TTL_SECONDS) + 1,
    );
    expect(running.fake.count('/v2018/current', 'thun')).toBe(1);
    expect(running.fake.count('/v2018/current')).toBe(1);
  });

  it('tells subscribers of the widget, today and the city list', async () => {
    const { client } = await connect('streamable-2025');
    const updates = updatesOf(client);
    for (const uri of ['aareguru://widget', 'aareguru://today/bern', 'aareguru://cities']) {
      await client.subscribeResource({ uri });
    }
    await poller.idle();
    measure(running.fake, 'bern', 24.5);
    await eventually(() => updates.length >= 3, NOTICE_MS);
    expect([...updates].sort()).toEqual([
      'aareguru://cities',
      'aareguru://today/bern',
      'aareguru://widget',
    ]);
    const today = await client.readResource({ uri: 'aareguru://today/bern' });
    expect((today.contents[0] as { text: string }).text).toContain('24.5');
  });

  it('tells a 2026-07-28 client on its listen stream', async () => {
    const { client } = await connect('streamable-2026');
    const updates = updatesOf(client);
    const subscription = await client.listen({ resourceSubscriptions: [THUN] });
    await poller.idle();
    expect(await store.subscribersOf(THUN)).toHaveLength(1);
    measure(running.fake, 'thun', 18.5);
    await eventually(() => updates.length > 0, NOTICE_MS);
    expect(updates).toEqual([THUN]);
    await subscription.close();
    await eventually(async () => (await store.count()) === 0);
  });

  it('refuses what cannot be subscribed to, with errors a person understands', async () => {
    const { client } = await connect('streamable-2025');
    await expect(client.subscribeResource({ uri: 'aareguru://current/atlantis' })).rejects.toThrow(
      /Unknown city "atlantis". Valid city ids: .*thun/,
    );
    await expect(client.subscribeResource({ uri: 'aareguru://safety-levels' })).rejects.toThrow(
      /cannot be subscribed to. Subscribable: aareguru:\/\/current\/\{city\}/,
    );
    const listener = await connect('streamable-2026');
    await expect(
      listener.client.listen({ resourceSubscriptions: ['aareguru://current/atlantis'] }),
    ).rejects.toThrow(/Unknown city/);
    expect(await store.count()).toBe(0);
  });

  it('ends a session’s subscriptions with the session', async () => {
    const { client, http } = await connect('streamable-2025');
    await client.subscribeResource({ uri: THUN });
    await client.subscribeResource({ uri: 'aareguru://widget' });
    expect(await store.count()).toBe(2);
    await http!.terminateSession();
    await eventually(async () => (await store.count()) === 0);

    const sse = await connect('sse');
    await sse.client.subscribeResource({ uri: THUN });
    expect(await store.count()).toBe(1);
    await sse.close();
    await eventually(async () => (await store.count()) === 0);
  });
});

describe('Resource subscriptions over stdio', () => {
  const fake = new FakeAareguru();
  let connected: ConnectedClient | undefined;

  beforeAll(() => fake.start());
  afterAll(async () => {
    await connected?.close();
    await fake.stop();
  });

  it('tells the stdio client on stdout when its city changes', async () => {
    connected = await connectClient('stdio', {
      env: { AAREGURU_BASE_URL: fake.baseUrl, CACHE_TTL_SECONDS: String(TTL_SECONDS) },
    });
    const updates = updatesOf(connected.client);
    await connected.client.subscribeResource({ uri: 'aareguru://current/bern' });
    // The poller's baseline: it read the widget once.
    await eventually(() => fake.count('/v2018/widget') >= 1, NOTICE_MS);
    measure(fake, 'bern', 25);
    await eventually(() => updates.length > 0, NOTICE_MS);
    expect(updates).toEqual(['aareguru://current/bern']);
  });
});

describe('Resource subscription bounds', () => {
  let running: RunningApp;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    running = await startApp({
      MAX_SUBSCRIPTIONS_PER_SESSION: '2',
      MAX_SUBSCRIPTIONS_PER_KEY: '3',
    });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await running.close();
  });

  it('bounds subscriptions per session and per key', async () => {
    const first = await connectClient('streamable-2025', { url: running.url });
    const second = await connectClient('streamable-2025', { url: running.url });
    clients.push(first, second);
    await first.client.subscribeResource({ uri: 'aareguru://current/thun' });
    await first.client.subscribeResource({ uri: 'aareguru://current/bern' });
    // Subscribing again to what it holds is not a new subscription.
    await first.client.subscribeResource({ uri: 'aareguru://current/bern' });
    await expect(first.client.subscribeResource({ uri: 'aareguru://widget' })).rejects.toThrow(
      /at most 2 resources per session/,
    );
    await second.client.subscribeResource({ uri: 'aareguru://widget' });
    await expect(second.client.subscribeResource({ uri: 'aareguru://cities' })).rejects.toThrow(
      /at most 3 subscriptions per API key/,
    );
    await first.client.unsubscribeResource({ uri: 'aareguru://current/thun' });
    await second.client.subscribeResource({ uri: 'aareguru://cities' });
  });
});
