import type { CallToolResult } from '@modelcontextprotocol/client';
import type Redis from 'ioredis';
import { AppStateService } from '../src/common/app-state.service';
import { RedisConnection } from '../src/redis/redis-connection';
import type { ManagedSession } from '../src/sessions/managed-session';
import { SessionLifecycleService } from '../src/sessions/session-lifecycle.service';
import { SESSION_REGISTRY, SessionRegistry } from '../src/sessions/session-registry.interface';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';
import { connectRouted2025, connectRoutedSse, Route, startReplicas } from './support/fleet';
import { eventually } from './support/mcp-clients';
import { ManualClock } from './support/manual-clock';
import {
  deletePrefix,
  PrivateRedis,
  redisClient,
  requireRedis,
  startPrivateRedis,
  uniquePrefix,
} from './support/redis';

type Replicas = Awaited<ReturnType<typeof startReplicas>>;
type App = Replicas['a'];

const TEAM_A = 'team-a-key-0123456789';
const TEAM_B = 'team-b-key-0123456789';
const TEAM_C = 'team-c-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const KEYS = {
  API_KEYS: `team-a:${TEAM_A},team-b:${TEAM_B},team-c:${TEAM_C}`,
  ADMIN_API_KEYS: `ops:${ADMIN}`,
};

const temperature = { name: 'get_current_temperature', arguments: { city: 'bern' } };
const CALL = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: temperature };

/** Polls until the condition holds, failing after 5 s. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function registryOf(app: App): SessionRegistry {
  return app.app.get(SESSION_REGISTRY);
}

/** A raw Streamable HTTP request naming a session, as any client would send it. */
function mcpRequest(
  url: string,
  sessionId: string | undefined,
  options: { apiKey?: string; method?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: ACCEPT_BOTH,
    'Content-Type': 'application/json',
    'Mcp-Protocol-Version': '2025-11-25',
  };
  if (sessionId) headers['Mcp-Session-Id'] = sessionId;
  if (options.apiKey) headers['X-API-Key'] = options.apiKey;
  const method = options.method ?? 'POST';
  return fetch(`${url}/mcp`, {
    method,
    headers,
    body: method === 'POST' ? JSON.stringify(options.body ?? CALL) : undefined,
  });
}

async function initialize(url: string, apiKey?: string): Promise<Response> {
  return mcpRequest(url, undefined, { apiKey, body: INITIALIZE });
}

describe('Sessions shared by replicas (Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let fleet: Replicas | undefined;
  let privateRedis: PrivateRedis | undefined;

  beforeAll(async () => {
    await requireRedis();
    redis = redisClient();
  });

  afterAll(() => redis.disconnect());

  async function replicas(
    env: NodeJS.ProcessEnv = {},
    url?: string,
    clockOfA?: ManualClock,
  ): Promise<Replicas> {
    prefix = uniquePrefix('fleet-sessions');
    fleet = await startReplicas(prefix, env, url, clockOfA);
    return fleet;
  }

  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    await privateRedis?.dispose();
    privateRedis = undefined;
    await deletePrefix(prefix);
  });

  describe('2025 Streamable HTTP', () => {
    it('serves on B a session initialized on A, without counting it as a new session', async () => {
      const { a, b } = await replicas();
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      const onA = (await client.callTool(temperature)) as CallToolResult;
      expect(onA.isError).toBeFalsy();
      expect(await redis.hget(`${prefix}s:${id}`, 'keyLabel')).toBe('anonymous');

      route.url = b.url;
      const onB = (await client.callTool(temperature)) as CallToolResult;
      expect(onB.isError).toBeFalsy();
      expect((onB.structuredContent as { city: string }).city).toBe('bern');
      expect(http.sessionId).toBe(id);
      expect(registryOf(b).get(id)).toBeDefined();
      expect(await redis.hget(`${prefix}s:${id}`, 'replica')).toMatch(/^replica-b#[0-9a-f]{8}$/);
      // Counted once in the fleet, and back on A it is still the same session.
      expect(await redis.zcard(`${prefix}sessions:all`)).toBe(1);
      route.url = a.url;
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();
      await client.close();
    });

    it('does not adopt a session on a replica that is shutting down: 503, the client retries elsewhere', async () => {
      const { a, b } = await replicas();
      const opened = await initialize(a.url);
      const id = opened.headers.get('mcp-session-id')!;
      await opened.text();
      b.app.get(AppStateService).beginDrain();

      const refused = await mcpRequest(b.url, id);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      await refused.text();
      expect(registryOf(b).get(id)).toBeUndefined();
      const onA = await mcpRequest(a.url, id);
      expect(onA.status).toBe(200);
      await onA.text();
    });

    it('adopts a session once when requests for it arrive together on a replica', async () => {
      const { a, b } = await replicas();
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      route.url = b.url;
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() => client.callTool(temperature) as Promise<CallToolResult>),
      );
      expect(results.every((r) => !r.isError)).toBe(true);
      expect(registryOf(b).size('streamable-http')).toBe(1);
      expect(registryOf(b).get(http.sessionId!)).toBeDefined();
      await client.close();
    });

    it('takes a logging level set on B to the copy A holds, and keeps it in the record', async () => {
      const { a, b } = await replicas();
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      await client.callTool(temperature);
      route.url = b.url;
      await client.setLoggingLevel('critical');

      const level = JSON.parse((await redis.hget(`${prefix}s:${id}`, 'h:level'))!) as {
        params: { level: string };
      };
      expect(level.params.level).toBe('critical');
      const copyOnA = registryOf(a).get(id) as ManagedSession;
      const keptLevel = () =>
        (
          copyOnA.server.keptHandshake.find(
            (m) => (m as { method?: string }).method === 'logging/setLevel',
          ) as { params: { level: string } } | undefined
        )?.params.level;
      await eventually(() => keptLevel() === 'critical');
      // The session goes on on A with its copy.
      route.url = a.url;
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();
      await client.close();
    });

    it('ends a session everywhere with DELETE on B: then 404 on A, and its record and count go', async () => {
      const { a, b } = await replicas();
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      await client.callTool(temperature);
      expect(registryOf(a).get(id)).toBeDefined();

      route.url = b.url;
      await http.terminateSession();
      expect(await redis.exists(`${prefix}s:${id}`)).toBe(0);
      expect(await redis.zcard(`${prefix}sessions:all`)).toBe(0);
      await eventually(() => registryOf(a).get(id) === undefined);
      const onA = await mcpRequest(a.url, id);
      expect(onA.status).toBe(404);
      expect(await onA.json()).toMatchObject({ error: { code: -32001 } });
      expect((await mcpRequest(b.url, id)).status).toBe(404);
    });

    it("answers another key's session with 404 on B, exactly like a missing one", async () => {
      const { a, b } = await replicas(KEYS);
      const opened = await initialize(a.url, TEAM_A);
      expect(opened.status).toBe(200);
      const id = opened.headers.get('mcp-session-id')!;
      await opened.text();

      const otherKey = await mcpRequest(b.url, id, { apiKey: TEAM_B });
      const missing = await mcpRequest(b.url, '00000000-0000-4000-8000-000000000000', {
        apiKey: TEAM_B,
      });
      expect(otherKey.status).toBe(404);
      expect(await otherKey.text()).toBe(await missing.text());
      expect(registryOf(b).get(id)).toBeUndefined();
      // The record is untouched and its key still reaches it on B.
      const own = await mcpRequest(b.url, id, { apiKey: TEAM_A });
      expect(own.status).toBe(200);
      expect(await own.text()).toContain('"result"');
    });

    it('checks the maximum lifetime from the opening time before adopting a session', async () => {
      const { a, b } = await replicas({ SESSION_MAX_LIFETIME_SECONDS: '3600' });
      const opened = await initialize(a.url);
      const id = opened.headers.get('mcp-session-id')!;
      await opened.text();
      // Opened on A longer ago than the maximum lifetime.
      await redis.hset(`${prefix}s:${id}`, 'openedAt', String(Date.now() - 3601_000));

      const onB = await mcpRequest(b.url, id);
      expect(onB.status).toBe(404);
      expect(registryOf(b).get(id)).toBeUndefined();
      await eventually(() => registryOf(b).get(id) === undefined);
      expect(await redis.exists(`${prefix}s:${id}`)).toBe(0);
    });

    it('counts MAX_SESSIONS and MAX_SESSIONS_PER_KEY across the replicas', async () => {
      const { a, b } = await replicas({ ...KEYS, MAX_SESSIONS: '3', MAX_SESSIONS_PER_KEY: '2' });
      expect((await initialize(a.url, TEAM_A)).status).toBe(200);
      expect((await initialize(b.url, TEAM_A)).status).toBe(200);
      const keyFull = await initialize(a.url, TEAM_A);
      expect(keyFull.status).toBe(503);
      expect(keyFull.headers.get('retry-after')).toBe('30');
      expect(await keyFull.json()).toMatchObject({
        error: { message: 'Service Unavailable: this API key has too many open sessions' },
      });
      expect((await initialize(b.url, TEAM_B)).status).toBe(200);
      const full = await initialize(a.url, TEAM_C);
      expect(full.status).toBe(503);
      expect(await full.json()).toMatchObject({
        error: { message: 'Service Unavailable: too many open sessions' },
      });
      // A legacy SSE stream takes a place from the same budget.
      const sse = await fetch(`${b.url}/sse`, { headers: { 'X-API-Key': TEAM_C } });
      expect(sse.status).toBe(503);
      await sse.text();
    });

    it('lets an idle copy go without ending the session, whether its record lives or Redis lost it', async () => {
      const clock = new ManualClock();
      const { a, b } = await replicas({ SESSION_IDLE_TIMEOUT_SECONDS: '60' }, undefined, clock);
      const lifecycle = a.app.get(SessionLifecycleService);
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      route.url = b.url;
      await client.callTool(temperature);

      // Idle on A past the timeout, but in use on B: only A's copy goes.
      clock.advance(61_000);
      expect(await lifecycle.sweep()).toBe(1);
      expect(registryOf(a).get(id)).toBeUndefined();
      expect(lifecycle.closedCounts()).toEqual({});
      expect(await redis.exists(`${prefix}s:${id}`)).toBe(1);
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();

      // Adopted on A again, then in use on B while Redis loses the record (restarted empty): A's
      // idle copy goes quietly, and B writes the record back on its next use.
      route.url = a.url;
      await client.callTool(temperature);
      route.url = b.url;
      await client.callTool(temperature);
      await redis.del(`${prefix}s:${id}`);
      clock.advance(61_000);
      expect(await lifecycle.sweep()).toBe(1);
      expect(lifecycle.closedCounts()).toEqual({});
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();
      expect(registryOf(b).get(id)).toBeDefined();
      await waitUntil(async () => (await redis.exists(`${prefix}s:${id}`)) === 1);
      await client.close().catch(() => undefined);
    });

    it('lets its 2025 sessions go on on B when A shuts down, and drops its SSE records', async () => {
      const { a, b } = await replicas();
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      await client.callTool(temperature);
      const sse = await connectRoutedSse({ url: a.url });
      expect(await redis.zcard(`${prefix}sessions:all`)).toBe(2);

      await a.close();
      expect(await redis.exists(`${prefix}s:${id}`)).toBe(1);
      expect(await redis.zcard(`${prefix}sessions:all`)).toBe(1);
      route.url = b.url;
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();
      expect(http.sessionId).toBe(id);
      await client.close();
      await sse.client.close().catch(() => undefined);
    });
  });

  describe('legacy SSE', () => {
    it('answers on the stream held by A the messages POSTed to B', async () => {
      const { a, b } = await replicas();
      const { client } = await connectRoutedSse({ url: a.url, messagesUrl: b.url });
      const result = (await client.callTool(temperature)) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { city: string }).city).toBe('bern');
      expect(registryOf(a).size('sse')).toBe(1);
      expect(registryOf(b).size('sse')).toBe(0);
      await client.close();
      await eventually(() => registryOf(a).size('sse') === 0);
      const deadline = Date.now() + 2000;
      while ((await redis.zcard(`${prefix}sessions:all`)) !== 0) {
        if (Date.now() > deadline) throw new Error('the SSE record outlived its stream');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });

    it("refuses on B a POST for another key's stream, and a body that is not JSON-RPC", async () => {
      const { a, b } = await replicas(KEYS);
      const stream = await fetch(`${a.url}/sse`, { headers: { 'X-API-Key': TEAM_A } });
      const reader = stream.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const id = /sessionId=([0-9a-f-]+)/.exec(first)![1];
      const post = (apiKey: string, body: unknown) =>
        fetch(`${b.url}/messages?sessionId=${id}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
          body: JSON.stringify(body),
        });
      expect((await post(TEAM_B, INITIALIZE)).status).toBe(404);
      expect((await post(TEAM_A, { hello: 'world' })).status).toBe(400);
      expect((await post(TEAM_A, { jsonrpc: '2.0', method: 'ping', id: 1 })).status).toBe(202);
      await reader.cancel();
    });

    it('answers 404 and removes the record when the replica holding the stream is gone, 503 when it does not listen', async () => {
      const { a, b } = await replicas();
      const record = (id: string, replica: string) =>
        redis
          .multi()
          .hset(`${prefix}s:${id}`, {
            id,
            transport: 'sse',
            keyLabel: 'anonymous',
            openedAt: String(Date.now()),
            replica,
          })
          .pexpire(`${prefix}s:${id}`, 60_000)
          .zadd(`${prefix}sessions:all`, Date.now() + 60_000, id)
          .pexpire(`${prefix}sessions:all`, 60_000)
          .exec();
      const post = (id: string) =>
        fetch(`${b.url}/messages?sessionId=${id}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', method: 'ping', id: 1 }),
        });
      await record('gone-1', 'replica-gone');
      const gone = await post('gone-1');
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ error: { code: -32001 } });
      expect(await redis.exists(`${prefix}s:gone-1`)).toBe(0);

      // Its heartbeat is current, but nothing listens on its channel.
      await redis.set(`${prefix}alive:replica-deaf`, '1', 'PX', 60_000);
      await record('deaf-1', 'replica-deaf');
      const deaf = await post('deaf-1');
      expect(deaf.status).toBe(503);
      expect(deaf.headers.get('retry-after')).toBe('1');
      expect(await redis.exists(`${prefix}s:deaf-1`)).toBe(1);

      // A restarted under the same REPLICA_ID: the records of its earlier boot's streams are its
      // own (404 at once on A); a message relayed to A for a stream it no longer holds removes the
      // record (the next POST on B is a 404), never silently swallowed.
      await record('earlier-boot', 'replica-a#0badf00d');
      const onA = await fetch(`${a.url}/messages?sessionId=earlier-boot`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'ping', id: 1 }),
      });
      expect(onA.status).toBe(404);
      await onA.text();
      expect(await redis.exists(`${prefix}s:earlier-boot`)).toBe(0);
      await record('not-held', a.app.get(RedisConnection).instanceId);
      const relayed = await post('not-held');
      expect(relayed.status).toBe(202);
      await relayed.text();
      await waitUntil(async () => (await redis.exists(`${prefix}s:not-held`)) === 0);
      const after = await post('not-held');
      expect(after.status).toBe(404);
      await after.text();
    });
  });

  describe('a replica that died', () => {
    it('stops counting the SSE streams it held once the fleet is full', async () => {
      const { a } = await replicas({ MAX_SESSIONS_PER_KEY: '1' });
      // Left by a replica killed while it held an SSE stream for this key.
      const ghost = 'dead0000-0000-4000-8000-000000000000';
      await redis
        .multi()
        .hset(`${prefix}s:${ghost}`, {
          id: ghost,
          transport: 'sse',
          keyLabel: 'anonymous',
          openedAt: String(Date.now()),
          replica: 'replica-killed',
        })
        .pexpire(`${prefix}s:${ghost}`, 60_000)
        .zadd(`${prefix}sessions:all`, Date.now() + 60_000, ghost)
        .zadd(`${prefix}sessions:key:anonymous`, Date.now() + 60_000, ghost)
        .pexpire(`${prefix}sessions:all`, 60_000)
        .pexpire(`${prefix}sessions:key:anonymous`, 60_000)
        .exec();
      const opened = await initialize(a.url);
      expect(opened.status).toBe(200);
      await opened.text();
      expect(await redis.exists(`${prefix}s:${ghost}`)).toBe(0);
      expect(await redis.zcard(`${prefix}sessions:key:anonymous`)).toBe(1);
    });
  });

  describe('admin', () => {
    it('lists the fleet with the replica holding each session, and closes one from any replica', async () => {
      const { a, b } = await replicas(KEYS);
      const opened = await initialize(a.url, TEAM_A);
      const id = opened.headers.get('mcp-session-id')!;
      await opened.text();
      const admin = (url: string, path: string, method = 'GET') =>
        fetch(`${url}/admin/${path}`, { method, headers: { 'X-API-Key': ADMIN } });

      const listed = (await (await admin(b.url, 'sessions')).json()) as {
        total: number;
        sessions: { id: string; replica: string; keyLabel: string; hibernating: boolean | null }[];
      };
      expect(listed.total).toBe(1);
      expect(listed.sessions[0]).toMatchObject({
        id,
        replica: 'replica-a',
        keyLabel: 'team-a',
        hibernating: null,
      });
      // One session is one record read, not the fleet listed.
      const listing = jest.spyOn(b.app.get(SessionLifecycleService), 'fleetRecords');
      expect(await (await admin(b.url, `sessions/${id}`)).json()).toMatchObject({ id });
      expect(listing).not.toHaveBeenCalled();
      // Health shows the fleet's sessions beside this replica's.
      const health = (await (await fetch(`${b.url}/health`)).json()) as {
        details: { sessions: { open: number; fleet: { open: number } } };
      };
      expect(health.details.sessions).toMatchObject({ open: 0, fleet: { open: 1 } });

      expect((await admin(b.url, `sessions/${id}`, 'DELETE')).status).toBe(204);
      await eventually(() => registryOf(a).get(id) === undefined);
      expect((await admin(a.url, `sessions/${id}`)).status).toBe(404);
      expect((await admin(a.url, `sessions/${id}`, 'DELETE')).status).toBe(404);
      expect((await mcpRequest(a.url, id, { apiKey: TEAM_A })).status).toBe(404);
    });
  });

  describe('Redis unreachable', () => {
    it('refuses session traffic with clear 503s, keeps serving sessions held here, and recovers', async () => {
      privateRedis = await startPrivateRedis();
      const { a, b } = await replicas({ ADMIN_API_KEYS: `ops:${ADMIN}` }, privateRedis.url);
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      await client.callTool(temperature);

      await privateRedis.stop('SIGKILL');
      const lifecycle = a.app.get(SessionLifecycleService);
      expect(lifecycle.shared).toBe(true);

      const refused = await initialize(a.url);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message: 'Service Unavailable: the session store cannot be reached; retry shortly',
        },
      });
      const elsewhere = await mcpRequest(b.url, id);
      expect(elsewhere.status).toBe(503);
      expect(elsewhere.headers.get('retry-after')).toBe('5');
      const sse = await fetch(`${a.url}/sse`);
      expect(sse.status).toBe(503);
      await sse.text();
      const listing = await fetch(`${b.url}/admin/sessions`, { headers: { 'X-API-Key': ADMIN } });
      expect(listing.status).toBe(503);
      expect(await listing.json()).toMatchObject({
        message: 'Service Unavailable: the session store cannot be reached; retry shortly',
      });
      // Held by A: served as before.
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();

      await privateRedis.start();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const again = await initialize(b.url);
        await again.text();
        if (again.status === 200) break;
        if (Date.now() > deadline) throw new Error('sessions did not recover with Redis');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The record lost with Redis is written back by the replica holding the session, on use.
      const probe = redisClient(privateRedis.url);
      try {
        const until = Date.now() + 5000;
        for (;;) {
          expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();
          if ((await probe.exists(`${prefix}s:${id}`)) === 1) break;
          if (Date.now() > until) throw new Error('the record was not written back');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        probe.disconnect();
      }
      route.url = b.url;
      expect(((await client.callTool(temperature)) as CallToolResult).isError).toBeFalsy();
      await client.close();
    });
  });
});
