import { Logger } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ManualClock } from '../../test/support/manual-clock';
import { EventEmitter } from 'node:events';
import { AppStateService } from '../common/app-state.service';
import type { SessionConfig } from '../config/configuration.types';
import { Counter, Gauge } from 'prom-client';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { InMemorySessionRegistry } from './in-memory-session.registry';
import type { ManagedSession } from './managed-session';
import { eraOf, SessionLifecycleService, sweepPeriodMs } from './session-lifecycle.service';
import type { SessionCloseReason } from './session-registry.interface';
import {
  SESSIONS_CLOSED,
  SESSIONS_HIBERNATED,
  SESSIONS_OPEN,
  SESSIONS_OPENED,
  SESSIONS_WOKEN,
} from './sessions.metrics';

const CONFIG: SessionConfig = {
  maxSessions: 3,
  maxSessionsPerKey: 2,
  idleTimeoutSeconds: 600,
  hibernateAfterSeconds: 60,
  maxLifetimeSeconds: 3600,
  maxListenStreams: 3,
  maxListenStreamsPerKey: 2,
  listenStreamMaxSeconds: 900,
  shutdownGraceSeconds: 1,
};

/**
 * The one place the service under test is built, with the real in-memory registry and a clock
 * that moves only when told to. No sweeper runs: each spec calls sweep() itself.
 */
function createLifecycle(overrides: Partial<SessionConfig> = {}) {
  const registry = new InMemorySessionRegistry();
  const clock = new ManualClock();
  const state = new AppStateService();
  state.markServing();
  const lifecycle = new SessionLifecycleService(
    registry,
    { ...CONFIG, ...overrides },
    clock,
    state,
    new Gauge({ ...SESSIONS_OPEN, registers: [] }),
    new Counter({ ...SESSIONS_OPENED, registers: [] }),
    new Counter({ ...SESSIONS_CLOSED, registers: [] }),
    new Counter({ ...SESSIONS_HIBERNATED, registers: [] }),
    new Counter({ ...SESSIONS_WOKEN, registers: [] }),
    new Counter({ ...HTTP_REJECTED_REQUESTS, registers: [] }),
  );
  return { lifecycle, registry, clock, state };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** One session wired as the transports wire it, with the official client at the other end. */
interface OpenedSession {
  session: ManagedSession<InMemoryTransport>;
  client: Client;
  /** Every McpServer built for the session: a second one means it was woken. */
  servers: McpServer[];
  /** The client saw its transport close. */
  clientClosed: () => boolean;
  /** The `wait` tool has started; it answers once `release()` is called. */
  waitStarted: Promise<void>;
  release: () => void;
}

async function openSession(
  lifecycle: SessionLifecycleService,
  id: string,
  keyLabel = 'team-a',
): Promise<OpenedSession> {
  const servers: McpServer[] = [];
  const started = deferred();
  const gate = deferred();
  const [clientSide, wire] = InMemoryTransport.createLinkedPair();
  const server = lifecycle.serverFor(wire, 'streamable-http', () => {
    const mcp = new McpServer({ name: 'spec', version: '1.0.0' });
    mcp.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    mcp.registerTool('wait', {}, async () => {
      started.resolve();
      await gate.promise;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    servers.push(mcp);
    return mcp;
  });
  await server.start();
  const session = lifecycle.open(
    id,
    'streamable-http',
    { transport: wire, server },
    { keyLabel, protocolVersion: '2025-11-25', clientName: 'spec-client', clientVersion: '1.0.0' },
  );
  // As the transports do: the wire closing from the client's side ends the session.
  server.onclose = () => void session.close('client');
  const client = new Client({ name: 'spec-client', version: '1.0.0' });
  let closed = false;
  client.onclose = () => (closed = true);
  await client.connect(clientSide);
  return {
    session,
    client,
    servers,
    clientClosed: () => closed,
    waitStarted: started.promise,
    release: gate.resolve,
  };
}

async function echo(opened: OpenedSession, text: string): Promise<unknown> {
  const result = await opened.client.callTool({ name: 'echo', arguments: { text } });
  return result.content;
}

const SECOND = 1000;
const SPEC = { name: 'spec', version: '1.0.0' };

describe('sweepPeriodMs', () => {
  it('checks at a quarter of the idle timeout and half the hibernation delay, within 1–30 s', () => {
    expect(sweepPeriodMs({ idleTimeoutSeconds: 3600, hibernateAfterSeconds: 30 })).toBe(15_000);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 3600, hibernateAfterSeconds: 5 })).toBe(2_500);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 20, hibernateAfterSeconds: 30 })).toBe(5_000);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 3600, hibernateAfterSeconds: 0 })).toBe(30_000);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 2, hibernateAfterSeconds: 1 })).toBe(1_000);
    expect(
      sweepPeriodMs({
        idleTimeoutSeconds: 3600,
        hibernateAfterSeconds: 0,
        listenStreamMaxSeconds: 8,
      }),
    ).toBe(2_000);
  });
});

describe('SessionLifecycleService', () => {
  let env: ReturnType<typeof createLifecycle>;

  beforeEach(() => {
    env = createLifecycle();
  });

  // Nothing outlives a spec, whatever it left open.
  afterEach(() => env.lifecycle.beforeApplicationShutdown());

  describe('admission', () => {
    it('admits while below every limit', () => {
      expect(env.lifecycle.refusal('team-a')).toBeNull();
    });

    it('refuses once MAX_SESSIONS are open, for any key, and admits again when one closes', async () => {
      const first = await openSession(env.lifecycle, 's1', 'team-a');
      await openSession(env.lifecycle, 's2', 'team-b');
      await openSession(env.lifecycle, 's3', 'team-c');

      const refusal = env.lifecycle.refusal('team-d');
      expect(refusal).toMatchObject({
        reason: 'capacity',
        retryAfterSeconds: 30,
        message: 'Service Unavailable: too many open sessions',
      });

      await first.session.close('client');
      expect(env.lifecycle.refusal('team-d')).toBeNull();
    });

    it('refuses a key at its own limit while other keys are still admitted', async () => {
      await openSession(env.lifecycle, 's1', 'team-a');
      expect(env.lifecycle.refusal('team-a')).toBeNull();
      await openSession(env.lifecycle, 's2', 'team-a');

      expect(env.lifecycle.refusal('team-a')).toMatchObject({
        reason: 'capacity',
        retryAfterSeconds: 30,
        message: 'Service Unavailable: this API key has too many open sessions',
      });
      expect(env.lifecycle.refusal('team-b')).toBeNull();
    });

    it('refuses every new session while draining, with reason draining', () => {
      env.state.beginDrain();
      expect(env.lifecycle.refusal('team-a')).toMatchObject({
        reason: 'draining',
        retryAfterSeconds: 5,
        message: 'Service Unavailable: the server is shutting down',
      });
    });
  });

  describe('finding and using a session', () => {
    it('finds a session only for the key that opened it', async () => {
      await openSession(env.lifecycle, 's1', 'team-a');
      expect(env.lifecycle.find('s1', 'team-a')?.info.id).toBe('s1');
      expect(env.lifecycle.find('s1', 'team-b')).toBeUndefined();
      expect(env.lifecycle.use('s1', 'team-b', InMemoryTransport)).toBeUndefined();
      expect(env.lifecycle.find('nope', 'team-a')).toBeUndefined();
    });

    it('does not hand a session out on another transport', async () => {
      await openSession(env.lifecycle, 's1');
      class OtherTransport {
        close = () => Promise.resolve();
      }
      expect(env.lifecycle.use('s1', 'team-a', OtherTransport)).toBeUndefined();
      expect(env.lifecycle.use('s1', 'team-a', InMemoryTransport)?.info.id).toBe('s1');
    });

    it('records when it was opened and marks it active on use', async () => {
      const openedAt = env.clock.now();
      const { session } = await openSession(env.lifecycle, 's1');
      expect(session.info).toMatchObject({
        keyLabel: 'team-a',
        clientName: 'spec-client',
        openedAt,
        lastActiveAt: openedAt,
      });
      env.clock.advance(5 * SECOND);
      env.lifecycle.use('s1', 'team-a', InMemoryTransport);
      expect(session.info.lastActiveAt).toBe(openedAt + 5 * SECOND);
      expect(session.info.openedAt).toBe(openedAt);
    });

    it('keeps, shows and logs the client name and version cut to a bounded length', () => {
      const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      const [, wire] = InMemoryTransport.createLinkedPair();
      const server = env.lifecycle.serverFor(wire, 'streamable-http', () => new McpServer(SPEC));
      const session = env.lifecycle.open(
        's1',
        'streamable-http',
        { transport: wire, server },
        { keyLabel: 'team-a', clientName: 'n'.repeat(1e6), clientVersion: { v: 'x'.repeat(1e6) } },
      );
      expect(session.info.clientName).toBe('n'.repeat(128));
      expect(session.info.clientVersion).toBeNull();
      const line = log.mock.calls.find(([, message]) => message === 'session opened');
      expect(line?.[0]).toMatchObject({ client: 'n'.repeat(128) });
      expect(JSON.stringify(log.mock.calls).length).toBeLessThan(1000);
      log.mockRestore();
    });
  });

  describe('expiry', () => {
    it('closes a session idle for the idle timeout, and not a moment before', async () => {
      env = createLifecycle({ hibernateAfterSeconds: 0 });
      const opened = await openSession(env.lifecycle, 's1');

      env.clock.advance(CONFIG.idleTimeoutSeconds * SECOND - 1);
      expect(await env.lifecycle.sweep()).toBe(0);
      expect(env.registry.get('s1')).toBeDefined();

      env.clock.advance(1);
      expect(await env.lifecycle.sweep()).toBe(1);
      expect(env.registry.get('s1')).toBeUndefined();
      expect(opened.clientClosed()).toBe(true);
      expect(env.lifecycle.closedCounts()).toEqual({ expired: 1 });
    });

    it('keeps a session that is used, counting idleness from its last use', async () => {
      env = createLifecycle({ hibernateAfterSeconds: 0 });
      await openSession(env.lifecycle, 's1');
      const idleMs = CONFIG.idleTimeoutSeconds * SECOND;

      env.clock.advance(idleMs - SECOND);
      env.lifecycle.use('s1', 'team-a', InMemoryTransport);
      env.clock.advance(idleMs - SECOND);
      expect(await env.lifecycle.sweep()).toBe(0);
      expect(env.registry.get('s1')).toBeDefined();

      env.clock.advance(SECOND);
      expect(await env.lifecycle.sweep()).toBe(1);
      expect(env.registry.get('s1')).toBeUndefined();
    });

    it('closes a session at its maximum lifetime even while it is in use', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      const step = (CONFIG.idleTimeoutSeconds / 2) * SECOND;
      for (let t = step; t < CONFIG.maxLifetimeSeconds * SECOND; t += step) {
        env.clock.advance(step);
        env.lifecycle.use('s1', 'team-a', InMemoryTransport);
        expect(await env.lifecycle.sweep()).toBe(0);
      }
      env.clock.advance(step);
      env.lifecycle.use('s1', 'team-a', InMemoryTransport);
      expect(await env.lifecycle.sweep()).toBe(1);
      expect(env.registry.get('s1')).toBeUndefined();
      expect(opened.clientClosed()).toBe(true);
      expect(env.lifecycle.closedCounts()).toEqual({ expired: 1 });
    });

    it('sets no lifetime limit when the maximum lifetime is 0', async () => {
      env = createLifecycle({ maxLifetimeSeconds: 0 });
      await openSession(env.lifecycle, 's1');
      for (let hour = 0; hour < 48; hour += 1) {
        env.clock.advance(3600 * SECOND);
        env.lifecycle.use('s1', 'team-a', InMemoryTransport);
        await env.lifecycle.sweep();
      }
      expect(env.registry.get('s1')).toBeDefined();
    });
  });

  describe('hibernation', () => {
    const hibernateMs = CONFIG.hibernateAfterSeconds * SECOND;

    it('lets the server of a session idle for the delay go, keeping the session and its transport', async () => {
      const opened = await openSession(env.lifecycle, 's1');

      env.clock.advance(hibernateMs - 1);
      await env.lifecycle.sweep();
      expect(opened.session.awake).toBe(true);

      env.clock.advance(1);
      await env.lifecycle.sweep();
      expect(opened.session.awake).toBe(false);
      expect(opened.servers[0].isConnected()).toBe(false);
      expect(env.registry.get('s1')).toBe(opened.session);
      expect(opened.clientClosed()).toBe(false);
      expect(env.lifecycle.closedCounts()).toEqual({});
    });

    it('does not put a session to sleep while a request is in flight', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      // Settles either way, so a session wrongly closed under the call fails the spec, not the run.
      const answer = opened.client.callTool({ name: 'wait', arguments: {} }).then(
        (result) => result.content,
        (error: unknown) => error,
      );
      await opened.waitStarted;

      env.clock.advance(hibernateMs * 2);
      await env.lifecycle.sweep();
      expect(opened.session.awake).toBe(true);
      expect(opened.servers[0].isConnected()).toBe(true);

      opened.release();
      expect(await answer).toEqual([{ type: 'text', text: 'done' }]);
      await env.lifecycle.sweep();
      expect(opened.session.awake).toBe(false);
    });

    it('wakes a sleeping session with its next message, on a new server', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      env.clock.advance(hibernateMs);
      await env.lifecycle.sweep();
      expect(opened.session.awake).toBe(false);

      expect(env.lifecycle.use('s1', 'team-a', InMemoryTransport)).toBe(opened.session);
      expect(await echo(opened, 'hello')).toEqual([{ type: 'text', text: 'hello' }]);
      expect(opened.session.awake).toBe(true);
      expect(opened.servers).toHaveLength(2);
      expect(opened.servers[1].isConnected()).toBe(true);

      // Just used: not put back to sleep by the next sweep.
      await env.lifecycle.sweep();
      expect(opened.session.awake).toBe(true);
    });

    it('never hibernates when the delay is 0', async () => {
      env = createLifecycle({ hibernateAfterSeconds: 0 });
      const opened = await openSession(env.lifecycle, 's1');
      env.clock.advance(CONFIG.idleTimeoutSeconds * SECOND - 1);
      expect(await env.lifecycle.hibernateIdle()).toBe(0);
      expect(opened.session.awake).toBe(true);
    });
  });

  describe('closing', () => {
    it('removes the session and closes its transport and server', async () => {
      const opened = await openSession(env.lifecycle, 's1', 'team-a');
      await opened.session.close('admin');

      expect(env.registry.get('s1')).toBeUndefined();
      expect(env.registry.size()).toBe(0);
      expect(env.registry.sizeOfKey('team-a')).toBe(0);
      expect(env.lifecycle.find('s1', 'team-a')).toBeUndefined();
      expect(opened.session.closed).toBe(true);
      expect(opened.clientClosed()).toBe(true);
      expect(opened.servers.map((s) => s.isConnected())).toEqual([false]);
    });

    it('counts each close once, by its reason', async () => {
      const reasons: SessionCloseReason[] = [
        'client',
        'deleted',
        'expired',
        'admin',
        'shutdown',
        'error',
      ];
      for (const reason of reasons) {
        const opened = await openSession(env.lifecycle, `s-${reason}`, `key-${reason}`);
        await opened.session.close(reason);
      }
      // A reason seen twice is counted twice.
      await (await openSession(env.lifecycle, 's-admin-2')).session.close('admin');

      expect(env.lifecycle.closedCounts()).toEqual({
        client: 1,
        deleted: 1,
        expired: 1,
        admin: 2,
        shutdown: 1,
        error: 1,
      });
      expect(env.registry.size()).toBe(0);
    });

    it('closes once: a second close, or the transport closing in turn, changes nothing', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      // Closing the transport also fires the client-gone path (wire onclose → 'client'),
      // before the first close settles: neither it nor a later call may count again.
      const first = opened.session.close('deleted');
      const second = opened.session.close('admin');
      expect(second).toBe(first);
      await first;
      await opened.session.close('expired');

      expect(env.lifecycle.closedCounts()).toEqual({ deleted: 1 });
      expect(env.registry.size()).toBe(0);
    });

    it('counts a client that goes away as a client close', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      await opened.client.close();

      expect(env.registry.get('s1')).toBeUndefined();
      expect(opened.session.closed).toBe(true);
      expect(opened.servers.map((s) => s.isConnected())).toEqual([false]);
      expect(env.lifecycle.closedCounts()).toEqual({ client: 1 });
    });

    it('a sleeping session closes without building its server again', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      env.clock.advance(CONFIG.hibernateAfterSeconds * SECOND);
      await env.lifecycle.sweep();
      await opened.session.close('admin');

      expect(opened.servers).toHaveLength(1);
      expect(opened.clientClosed()).toBe(true);
      expect(env.lifecycle.closedCounts()).toEqual({ admin: 1 });
    });

    it.each([
      ['shutdown', /^Service Unavailable: the server is shutting down; retry the request$/],
      ['admin', /closed by an administrator/],
      ['expired', /expired/],
    ] as const)(
      'answers a request still running when it closes the session (%s)',
      async (reason, message) => {
        const opened = await openSession(env.lifecycle, 's1');
        const call = opened.client.callTool({ name: 'wait', arguments: {} });
        await opened.waitStarted;
        await opened.session.close(reason);
        await expect(call).rejects.toMatchObject({ code: -32000, message });
        expect(opened.clientClosed()).toBe(true);
      },
    );

    it('does not answer a request of a session its client ended', async () => {
      const opened = await openSession(env.lifecycle, 's1');
      const call = opened.client.callTool({ name: 'wait', arguments: {} });
      await opened.waitStarted;
      await opened.session.close('deleted');
      // The client's own transport closing is what ends its call.
      await expect(call).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    });

    it('closes every open session on shutdown', async () => {
      const sessions = [
        await openSession(env.lifecycle, 's1', 'team-a'),
        await openSession(env.lifecycle, 's2', 'team-b'),
      ];
      await env.lifecycle.beforeApplicationShutdown();

      expect(env.registry.size()).toBe(0);
      expect(sessions.map((s) => s.clientClosed())).toEqual([true, true]);
      expect(env.lifecycle.closedCounts()).toEqual({ shutdown: 2 });
    });
  });
});

/** The part of a Node response a listen stream holds, ended by either side. */
class FakeResponse extends EventEmitter {
  writableEnded = false;
  destroyed = false;

  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }

  /** The client goes away. */
  disconnect(): void {
    this.emit('close');
  }
}

describe('SessionLifecycleService listen streams', () => {
  function listen(lifecycle: SessionLifecycleService, keyLabel = 'team-a') {
    const response = new FakeResponse();
    const stream = lifecycle.openListen(response, { keyLabel, protocolVersion: '2026-07-28' });
    return { response, stream };
  }

  it('has its own budgets, apart from the sessions', async () => {
    const { lifecycle, registry } = createLifecycle();
    await openSession(lifecycle, 's1');
    await openSession(lifecycle, 's2'); // team-a is at its session limit (2)
    listen(lifecycle);
    expect(lifecycle.listenRefusal('team-a')).toBeNull();
    listen(lifecycle);
    expect(lifecycle.listenRefusal('team-a')?.message).toBe(
      'Service Unavailable: this API key has too many open listen streams',
    );
    expect(lifecycle.listenRefusal('team-b')).toBeNull();
    listen(lifecycle, 'team-b');
    expect(lifecycle.listenRefusal('team-b')?.message).toBe(
      'Service Unavailable: too many open listen streams',
    );
    // Five entries in all, yet another key may still open a session (limit 3 sessions).
    expect(registry.size()).toBe(5);
    expect(lifecycle.refusal('team-b')).toBeNull();
    expect(lifecycle.refusal('team-a')?.message).toMatch(/this API key has too many open sessions/);
  });

  it('records only a protocol version the server speaks, never one the client made up', () => {
    const { lifecycle } = createLifecycle();
    const made = lifecycle.openListen(new FakeResponse(), {
      keyLabel: 'team-a',
      protocolVersion: '1234-evil',
    });
    expect(made.info.protocolVersion).toBeNull();
    expect(eraOf(made.info.protocolVersion)).toBe('unknown');
    expect(listen(lifecycle).stream.info.protocolVersion).toBe('2026-07-28');
  });

  it('forgets at once a stream whose client left while it was being admitted', () => {
    const { lifecycle, registry } = createLifecycle();
    const response = new FakeResponse();
    response.destroyed = true;
    const stream = lifecycle.openListen(response, { keyLabel: 'team-a' });
    expect(stream.closed).toBe(true);
    expect(registry.size('listen')).toBe(0);
  });

  it('refuses new streams while draining', () => {
    const { lifecycle, state } = createLifecycle();
    state.beginDrain();
    expect(lifecycle.listenRefusal('team-a')).toMatchObject({ reason: 'draining' });
  });

  it('forgets a stream when its response closes, and ends the response when closed', async () => {
    const { lifecycle, registry } = createLifecycle();
    const gone = listen(lifecycle);
    const kept = listen(lifecycle);
    gone.response.disconnect();
    expect(registry.size('listen')).toBe(1);

    await kept.stream.close('admin');
    expect(kept.response.writableEnded).toBe(true);
    expect(registry.size('listen')).toBe(0);
    expect(lifecycle.closedCounts()).toEqual({ client: 1, admin: 1 });
  });

  it('ends a stream open for LISTEN_STREAM_MAX_SECONDS, however quiet sessions are judged', async () => {
    const { lifecycle, clock } = createLifecycle({ listenStreamMaxSeconds: 1200 });
    const { response } = listen(lifecycle);
    clock.advance(900 * SECOND); // past the idle timeout (600 s): a listen stream is not idle
    expect(await lifecycle.sweep()).toBe(0);
    clock.advance(300 * SECOND);
    expect(await lifecycle.sweep()).toBe(1);
    expect(response.writableEnded).toBe(true);
    expect(lifecycle.closedCounts()).toEqual({ expired: 1 });
  });

  it('keeps a stream with no maximum until the session lifetime', async () => {
    const { lifecycle, clock } = createLifecycle({ listenStreamMaxSeconds: 0 });
    listen(lifecycle);
    clock.advance(3599 * SECOND);
    expect(await lifecycle.sweep()).toBe(0);
    clock.advance(SECOND);
    expect(await lifecycle.sweep()).toBe(1);
  });
});
