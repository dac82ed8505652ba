import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import { AppStateService } from '../common/app-state.service';
import type { SessionConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { InMemorySessionRegistry } from '../sessions/in-memory-session.registry';
import { LocalSessionDirectory } from '../sessions/local-session.directory';
import { SessionLifecycleService } from '../sessions/session-lifecycle.service';
import {
  SESSION_COPIES,
  SESSIONS_CLOSED,
  SESSIONS_HIBERNATED,
  SESSIONS_OPEN,
  SESSIONS_OPENED,
  SESSIONS_WOKEN,
} from '../sessions/sessions.metrics';
import { MemorySessionEventLog } from './memory-session-event-log';
import { STANDALONE_STREAM } from './session-event-log';

const CONFIG: SessionConfig = {
  maxSessions: 10,
  maxSessionsPerKey: 10,
  idleTimeoutSeconds: 600,
  hibernateAfterSeconds: 0,
  maxLifetimeSeconds: 0,
  maxListenStreams: 3,
  maxListenStreamsPerKey: 2,
  listenStreamMaxSeconds: 900,
  shutdownGraceSeconds: 1,
};

/** When a session ends, its events go with it; when it lives on elsewhere, they stay. */
describe('SessionLifecycleService and the session event log', () => {
  const update = {
    jsonrpc: '2.0' as const,
    method: 'notifications/resources/updated',
    params: { uri: 'aareguru://widget' },
  };

  function setUp() {
    const clock = new ManualClock();
    const state = new AppStateService();
    state.markServing();
    const events = new MemorySessionEventLog({ maxEvents: 10, maxBytes: 100_000 });
    const lifecycle = new SessionLifecycleService(
      new InMemorySessionRegistry(),
      CONFIG,
      clock,
      state,
      new Gauge({ ...SESSIONS_OPEN, registers: [] }),
      new Counter({ ...SESSIONS_OPENED, registers: [] }),
      new Counter({ ...SESSIONS_CLOSED, registers: [] }),
      new Counter({ ...SESSIONS_HIBERNATED, registers: [] }),
      new Counter({ ...SESSIONS_WOKEN, registers: [] }),
      new Counter({ ...HTTP_REJECTED_REQUESTS, registers: [] }),
      new LocalSessionDirectory('replica-a'),
      new Counter({ ...SESSION_COPIES, registers: [] }),
      { fellBack: () => undefined },
      events,
    );
    const open = async (id: string) => {
      const [, wire] = InMemoryTransport.createLinkedPair();
      const server = lifecycle.serverFor(
        wire,
        'streamable-http',
        () => new McpServer({ name: 'spec', version: '1.0.0' }),
      );
      await server.start();
      const session = lifecycle.open(
        id,
        'streamable-http',
        { transport: wire, server },
        { keyLabel: 'team-a', protocolVersion: '2025-11-25' },
      );
      const eventId = await events.append(id, STANDALONE_STREAM, update);
      await events.append(id, STANDALONE_STREAM, update);
      const kept = async () => (await events.after(id, eventId)) !== undefined;
      return { session, kept };
    };
    return { lifecycle, clock, open };
  }

  it.each(['deleted', 'client', 'admin'] as const)(
    'drops the events of a session closed by %s',
    async (reason) => {
      const { open } = setUp();
      const { session, kept } = await open('s1');
      expect(await kept()).toBe(true);
      await session.close(reason);
      expect(await kept()).toBe(false);
    },
  );

  it('drops the events of a session closed by an admin through closeAnywhere', async () => {
    const { lifecycle, open } = setUp();
    const { kept } = await open('s1');
    await lifecycle.closeAnywhere('s1', 'admin');
    expect(await kept()).toBe(false);
  });

  it('drops the events of a session that expired, and only those', async () => {
    const { lifecycle, clock, open } = setUp();
    const idle = await open('s1');
    clock.advance(CONFIG.idleTimeoutSeconds * 1000 - 1);
    const busy = await open('s2');
    clock.advance(1);
    expect(await lifecycle.sweep()).toBe(1);
    expect(await idle.kept()).toBe(false);
    expect(await busy.kept()).toBe(true);
  });

  it('keeps the events of sessions closed by a shutdown (another replica may serve them on)', async () => {
    const { lifecycle, open } = setUp();
    const { kept } = await open('s1');
    await lifecycle.beforeApplicationShutdown();
    expect(await kept()).toBe(true);
  });
});
