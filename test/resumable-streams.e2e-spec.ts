import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import {
  SESSION_EVENT_LOG,
  STANDALONE_STREAM,
  type SessionEventLog,
} from '../src/events/session-event-log';
import {
  SUBSCRIPTION_STORE,
  type SubscriptionStore,
} from '../src/subscriptions/subscription-store';
import { SESSION_REGISTRY, type SessionRegistry } from '../src/sessions/session-registry.interface';
import { ResourcePoller } from '../src/subscriptions/resource-poller';
import { measure } from './support/live-resources';
import { scrapeMetrics } from './support/metrics';
import { eventually } from './support/eventually';
import { startReplicas } from './support/fleet';
import { type RunningApp, startApp } from './support/http-app';
import { connectClient, type ConnectedClient } from './support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { deletePrefix, requireRedis, uniquePrefix } from './support/redis';

const RETRY_MS = 50;
const ENV = { STREAM_RETRY_MS: String(RETRY_MS), AAREGURU_RETRIES: '0' };

const updated = (uri: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri },
});

/**
 * The official 2025 client, its requests sent to `target` (a test may move it to another
 * replica). Its GET streams can be cut as a gateway cuts them, and its reconnections held back
 * while a test appends what the client should then get by resuming.
 */
class CuttableClient {
  readonly client = new Client({ name: 'resume-e2e', version: '1.0.0' });
  readonly http: StreamableHTTPClientTransport;
  /** URIs of the resource updates received, in order. */
  readonly updates: string[] = [];
  /** Every GET the client made: where it went, the Last-Event-ID it sent, the answer's status. */
  readonly gets: { target: string; lastEventId: string | null; status: number }[] = [];
  private cutCurrent?: () => void;
  private held?: Promise<void>;
  private release?: () => void;

  constructor(public target: string) {
    this.http = new StreamableHTTPClientTransport(new URL('/mcp', target), {
      fetch: (input, init) => this.fetch(input, init),
    });
    this.client.setNotificationHandler('notifications/resources/updated', (notification) => {
      this.updates.push(notification.params.uri);
    });
  }

  static async connect(target: string): Promise<CuttableClient> {
    const client = new CuttableClient(target);
    await client.client.connect(client.http);
    await eventually(() => client.gets.some((get) => get.status === 200));
    return client;
  }

  get sessionId(): string {
    return this.http.sessionId!;
  }

  /** Cuts the open GET stream; its reconnection waits until `resume()`. */
  cut(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
    this.cutCurrent?.();
  }

  /** Lets the client reconnect; resolves once its new GET stream is open. */
  async resume(): Promise<void> {
    const before = this.gets.length;
    this.release?.();
    this.held = undefined;
    await eventually(() => this.gets.slice(before).some((get) => get.status === 200));
  }

  close(): Promise<void> {
    this.release?.();
    return this.client.close();
  }

  private async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const original = new URL(input instanceof Request ? input.url : input.toString());
    const url = new URL(original.pathname + original.search, this.target);
    if ((init?.method ?? 'GET') !== 'GET') return fetch(url, init);
    await this.held;
    const cutter = new AbortController();
    const signal = init?.signal ? AbortSignal.any([init.signal, cutter.signal]) : cutter.signal;
    const res = await fetch(url, { ...init, signal });
    const lastEventId = new Headers(init?.headers).get('last-event-id');
    this.gets.push({ target: this.target, lastEventId, status: res.status });
    if (res.ok) this.cutCurrent = () => cutter.abort();
    return res;
  }
}

const count = (list: string[], value: string) => list.filter((v) => v === value).length;

/** Appends a marker and waits for it: everything appended before it has been delivered. */
async function settled(log: SessionEventLog, client: CuttableClient, marker: string) {
  await log.append(client.sessionId, STANDALONE_STREAM, updated(marker));
  await eventually(() => client.updates.includes(marker));
}

/** The official legacy SSE client, with the id of its session and the updates it receives. */
async function connectSse(running: RunningApp) {
  const registry: SessionRegistry = running.app.get(SESSION_REGISTRY);
  const before = new Set(registry.list().map((s) => s.info.id));
  const connected = await connectClient('sse', { url: running.url });
  const updates = receivedUpdates(connected);
  const sessionId = registry
    .list()
    .find((s) => s.info.transport === 'sse' && !before.has(s.info.id))!.info.id;
  return { ...connected, sessionId, updates };
}

function receivedUpdates({ client }: ConnectedClient): string[] {
  const updates: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (notification) => {
    updates.push(notification.params.uri);
  });
  return updates;
}

/** A raw GET naming a session, as any client would send it. */
function rawGet(url: string, sessionId: string, lastEventId?: string): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: 'text/event-stream',
    'Mcp-Session-Id': sessionId,
    'Mcp-Protocol-Version': '2025-11-25',
  };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  return fetch(`${url}/mcp`, { headers });
}

describe('Resumable Streamable HTTP streams (e2e)', () => {
  describe('one process', () => {
    let running: RunningApp;
    let log: SessionEventLog;
    const clients: CuttableClient[] = [];

    beforeEach(async () => {
      running = await startApp(ENV);
      log = running.app.get(SESSION_EVENT_LOG);
    });

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
      await running.close();
    });

    it('delivers an appended update on the GET stream, and what a cut stream missed exactly once, to that session only', async () => {
      const a = await CuttableClient.connect(running.url);
      const b = await CuttableClient.connect(running.url);
      clients.push(a, b);

      await log.append(a.sessionId, STANDALONE_STREAM, updated('aareguru://widget'));
      await eventually(() => a.updates.includes('aareguru://widget'));

      a.cut();
      await log.append(a.sessionId, STANDALONE_STREAM, updated('aareguru://current/bern'));
      await a.resume();
      await settled(log, a, 'aareguru://cities');

      expect(a.updates).toEqual([
        'aareguru://widget',
        'aareguru://current/bern',
        'aareguru://cities',
      ]);
      expect(count(a.updates, 'aareguru://current/bern')).toBe(1);
      // The client came back with the id of the last event it had.
      const resumed = a.gets.at(-1)!;
      expect(resumed.lastEventId).toMatch(/^_GET_stream_\d+$/);
      expect(resumed.status).toBe(200);
      // The other session got nothing of A's.
      await settled(log, b, 'aareguru://today/bern');
      expect(b.updates).toEqual(['aareguru://today/bern']);
    });

    it('sends what is appended for a legacy SSE session on its stream', async () => {
      const sse = await connectSse(running);
      try {
        await log.append(sse.sessionId, STANDALONE_STREAM, updated('aareguru://widget'));
        await log.append(sse.sessionId, 'a-post-stream', updated('not-standalone'));
        await log.append(sse.sessionId, STANDALONE_STREAM, updated('aareguru://cities'));
        await eventually(() => sse.updates.length === 2);
        expect(sse.updates).toEqual(['aareguru://widget', 'aareguru://cities']);
      } finally {
        await sse.close();
      }
    });

    it('does not replay an event id of session A on session B’s GET: B gets a fresh stream, and keeps its own', async () => {
      const a = await CuttableClient.connect(running.url);
      const b = await CuttableClient.connect(running.url);
      clients.push(a, b);
      const ofA = await log.append(a.sessionId, STANDALONE_STREAM, updated('aareguru://widget'));
      await log.append(a.sessionId, STANDALONE_STREAM, updated('aareguru://cities'));
      const bGets = b.gets.length;

      const res = await rawGet(running.url, b.sessionId, ofA);
      expect(res.status).toBe(200);
      // Served until B's own client, whose stream it took over, resumes and takes it back.
      const text = await res.text();
      expect(text).toMatch(
        new RegExp(`^retry: ${RETRY_MS}\\n\\nid: _GET_stream_\\d+\\ndata: \\n\\n`),
      );
      expect(text).not.toContain('aareguru://');
      expect(text).not.toContain(`id: ${ofA}\n`);
      await eventually(() => b.gets.length > bGets);
      expect(b.gets.slice(bGets)).toEqual([
        {
          target: running.url,
          lastEventId: expect.stringMatching(/^_GET_stream_\d+$/),
          status: 200,
        },
      ]);
      await settled(log, b, 'aareguru://today/bern');
      expect(b.updates).toEqual(['aareguru://today/bern']);
    });

    it('gives a client whose last event the bounds dropped a fresh GET stream, which goes on with new updates', async () => {
      const a = await CuttableClient.connect(running.url);
      clients.push(a);
      await log.append(a.sessionId, STANDALONE_STREAM, updated('aareguru://widget'));
      await eventually(() => a.updates.includes('aareguru://widget'));

      a.cut();
      // More than EVENT_LOG_MAX_EVENTS (100) while it is away: its last event is dropped.
      for (let n = 1; n <= 101; n += 1) {
        await log.append(a.sessionId, STANDALONE_STREAM, updated(`aareguru://widget?n=${n}`));
      }
      await a.resume();
      expect(a.gets.at(-1)).toMatchObject({ status: 200 });
      expect(a.gets.at(-1)!.lastEventId).toMatch(/^_GET_stream_\d+$/);
      await settled(log, a, 'aareguru://cities');
      // Nothing replayed from before the fresh stream: the updates since are lost, not the stream.
      expect(a.updates).toEqual(['aareguru://widget', 'aareguru://cities']);
    });

    it('primes POST and GET streams with an id and the retry hint, and resumes a POST stream whose answer is pending', async () => {
      const url = `${running.url}/mcp`;
      const headers = { Accept: ACCEPT_BOTH, 'Content-Type': 'application/json' };
      const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify(INITIALIZE) });
      const sessionId = init.headers.get('mcp-session-id')!;
      const initText = await init.text();
      expect(initText).toMatch(new RegExp(`^id: \\S+_\\d+\\nretry: ${RETRY_MS}\\ndata: \\n\\n`));
      expect(initText).toMatch(/event: message\nid: \S+_\d+\ndata: \{"result":.*"id":1\}\n\n$/);
      const inSession = {
        ...headers,
        'Mcp-Session-Id': sessionId,
        'Mcp-Protocol-Version': '2025-11-25',
      };
      await fetch(url, {
        method: 'POST',
        headers: inSession,
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      });

      const get = new AbortController();
      const stream = await fetch(url, {
        headers: { ...inSession, Accept: 'text/event-stream' },
        signal: get.signal,
      });
      const start = await readUntil(stream, (t) => t.includes('data: \n\n'));
      expect(start).toMatch(
        new RegExp(`^retry: ${RETRY_MS}\\n\\nid: _GET_stream_\\d+\\ndata: \\n\\n`),
      );
      get.abort();

      // A call whose answer takes a while; the client loses its stream after the priming event.
      running.fake.inject({ fault: { kind: 'slow', delayMs: 300 }, times: 1 });
      const call = new AbortController();
      const posted = await fetch(url, {
        method: 'POST',
        headers: inSession,
        signal: call.signal,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'get_current_temperature', arguments: { city: 'bern' } },
        }),
      });
      const primed = await readUntil(posted, (t) => t.includes('data: \n\n'));
      const primingId = /^id: (\S+)$/m.exec(primed)![1];
      call.abort();

      const resumed = await rawGet(running.url, sessionId, primingId);
      expect(resumed.status).toBe(200);
      const text = await resumed.text();
      expect(text.match(/"result":.*"id":7\}/g)).toHaveLength(1);
      expect(text).toContain(`retry: ${RETRY_MS}`);
    });
  });

  describe('two replicas on Redis', () => {
    let prefix: string;
    let replicas: Awaited<ReturnType<typeof startReplicas>>;
    const clients: CuttableClient[] = [];

    beforeAll(() => requireRedis());

    beforeEach(async () => {
      prefix = uniquePrefix('resumable-streams');
      replicas = await startReplicas(prefix, ENV);
    });

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
      await replicas.close();
      await deletePrefix(prefix);
    });

    it('resumes a cut GET stream on the other replica, which then follows what is appended anywhere', async () => {
      const { a, b } = replicas;
      const logOfA: SessionEventLog = a.app.get(SESSION_EVENT_LOG);
      const logOfB: SessionEventLog = b.app.get(SESSION_EVENT_LOG);
      const client = await CuttableClient.connect(a.url);
      const other = await CuttableClient.connect(a.url);
      clients.push(client, other);

      // Appended on B (say, by the poller there), delivered by A, which holds the stream.
      await logOfB.append(client.sessionId, STANDALONE_STREAM, updated('aareguru://widget'));
      await eventually(() => client.updates.includes('aareguru://widget'));

      client.cut();
      client.target = b.url;
      await logOfA.append(client.sessionId, STANDALONE_STREAM, updated('aareguru://current/bern'));
      await client.resume();
      expect(client.gets.at(-1)).toMatchObject({ target: b.url, status: 200 });
      expect(client.gets.at(-1)!.lastEventId).toMatch(/^_GET_stream_\d+-\d+$/);

      // Now held by B, fed by an append on A.
      await settled(logOfA, client, 'aareguru://cities');
      expect(client.updates).toEqual([
        'aareguru://widget',
        'aareguru://current/bern',
        'aareguru://cities',
      ]);
      await settled(logOfB, other, 'aareguru://today/bern');
      expect(other.updates).toEqual(['aareguru://today/bern']);
    });

    it('sends what another replica appends for a legacy SSE session on the stream this one holds', async () => {
      const { a, b } = replicas;
      const sse = await connectSse(a);
      try {
        const logOfB: SessionEventLog = b.app.get(SESSION_EVENT_LOG);
        await logOfB.append(sse.sessionId, STANDALONE_STREAM, updated('aareguru://widget'));
        await eventually(() => sse.updates.includes('aareguru://widget'));
        expect(sse.updates).toEqual(['aareguru://widget']);
      } finally {
        await sse.close();
      }
    });

    it('tells a stdio process sharing the Redis of its own subscriptions, through the log', async () => {
      const stdio = await connectClient('stdio', {
        env: {
          AAREGURU_BASE_URL: replicas.fake.baseUrl,
          REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
          REDIS_KEY_PREFIX: prefix,
          CACHE_TTL_SECONDS: '1',
        },
      });
      const updates = receivedUpdates(stdio);
      try {
        await stdio.client.subscribeResource({ uri: 'aareguru://current/bern' });
        // The process polls for its own client (it never takes the fleet's lease): a change
        // upstream reaches its stdout through its event log in Redis.
        await eventually(() => replicas.fake.count('/v2018/widget') > 0, 5000);
        await eventually(async () => {
          measure(replicas.fake, 'bern', 26 + Math.random());
          await new Promise((resolve) => setTimeout(resolve, 300));
          return updates.includes('aareguru://current/bern');
        }, 8000);
        const store: SubscriptionStore = replicas.a.app.get(SUBSCRIPTION_STORE);
        expect((await store.subscribers()).filter((s) => s.startsWith('stdio:'))).toEqual([]);
      } finally {
        await stdio.close();
      }
    });
  });
});

describe('A resource update told while the GET stream is cut (e2e)', () => {
  it('reaches the client once when it resumes, and no other session', async () => {
    const running = await startApp({ CACHE_TTL_SECONDS: '1', AAREGURU_RETRIES: '0' });
    const clients: CuttableClient[] = [];
    try {
      const client = await CuttableClient.connect(running.url);
      const other = await CuttableClient.connect(running.url);
      clients.push(client, other);
      await client.client.subscribeResource({ uri: 'aareguru://current/thun' });
      await other.client.subscribeResource({ uri: 'aareguru://current/bern' });
      await running.app.get(ResourcePoller).idle();
      const before = await scrapeMetrics(running.url);

      client.cut();
      measure(running.fake, 'thun', 19.5);
      // The poller found the change and queued the update in the session's log, stream cut.
      await eventually(
        async () =>
          (await scrapeMetrics(running.url)).since(
            before,
            'mcp_resource_update_notifications_total',
            {
              outcome: 'queued',
            },
          ) >= 1,
        5000,
      );
      expect(client.updates).toEqual([]);
      await client.resume();
      expect(client.gets.at(-1)?.lastEventId).toBeTruthy();
      await eventually(() => client.updates.includes('aareguru://current/thun'));
      // Everything queued before the marker has arrived by then: the update came once.
      await settled(running.app.get(SESSION_EVENT_LOG), client, 'marker://after');
      expect(count(client.updates, 'aareguru://current/thun')).toBe(1);
      expect(other.updates).toEqual([]);
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      await running.close();
    }
  });
});

/** Reads an event stream until `check(text)` holds (or it ends); the rest stays unread. */
async function readUntil(res: Response, check: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!check(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}
