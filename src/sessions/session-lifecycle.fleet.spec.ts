import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import { AppStateService } from '../common/app-state.service';
import type { SessionConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { InMemorySessionRegistry } from './in-memory-session.registry';
import type {
  AdmissionLimits,
  AdmissionOutcome,
  FleetEvent,
  SessionDirectory,
  SessionRecord,
} from './session-directory.interface';
import { SessionLifecycleService } from './session-lifecycle.service';
import type { TransportKind } from './session-registry.interface';
import {
  SESSION_COPIES,
  SESSIONS_CLOSED,
  SESSIONS_HIBERNATED,
  SESSIONS_OPEN,
  SESSIONS_OPENED,
  SESSIONS_WOKEN,
} from './sessions.metrics';
import { eventually } from '../../test/support/eventually';

const CONFIG: SessionConfig = {
  maxSessions: 3,
  maxSessionsPerKey: 2,
  idleTimeoutSeconds: 600,
  hibernateAfterSeconds: 0,
  maxLifetimeSeconds: 3600,
  maxListenStreams: 3,
  maxListenStreamsPerKey: 2,
  listenStreamMaxSeconds: 900,
  shutdownGraceSeconds: 1,
};

/** The fleet's store as a map; `failing` makes every call reject as Redis down would. */
class FakeDirectory implements SessionDirectory {
  readonly shared = true;
  readonly replicaId = 'replica-a';
  readonly records = new Map<string, SessionRecord>();
  readonly events: FleetEvent[] = [];
  readonly renewals: string[] = [];
  /** Tombstones of sessions that ended (removed). */
  readonly ended = new Set<string>();
  failing = false;
  private handler?: (event: FleetEvent) => void;

  private check(): void {
    if (this.failing) throw new Error('Connection is closed.');
  }
  async admit(record: SessionRecord, limits: AdmissionLimits): Promise<AdmissionOutcome> {
    this.check();
    if (this.records.size >= limits.maxSessions) return 'full';
    this.records.set(record.id, record);
    return 'admitted';
  }
  async read(id: string) {
    this.check();
    return this.records.get(id);
  }
  async exists(ids: string[]) {
    this.check();
    return ids.map((id) => this.records.has(id));
  }
  async renew(id: string) {
    this.check();
    this.renewals.push(id);
    return this.records.has(id);
  }
  async restore(record: SessionRecord) {
    this.check();
    if (this.ended.has(record.id)) return false;
    this.records.set(record.id, record);
    return true;
  }
  async update() {
    this.check();
    return true;
  }
  async remove(id: string) {
    this.check();
    this.records.delete(id);
    this.ended.add(id);
  }
  async list() {
    this.check();
    return [...this.records.values()];
  }
  async count() {
    this.check();
    return this.records.size;
  }
  async announce(event: FleetEvent) {
    this.check();
    this.events.push(event);
  }
  async onEvent(handler: (event: FleetEvent) => void) {
    this.handler = handler;
  }
  /** Another replica announces something. */
  hear(event: FleetEvent): void {
    this.handler?.(event);
  }
  relay = async () => 0;
  onRelayed = async () => undefined;
  readonly alive = new Set<string>();
  isAlive = async (replica: string) => this.alive.has(replica);
}

function createLifecycle() {
  const registry = new InMemorySessionRegistry();
  const clock = new ManualClock();
  const state = new AppStateService();
  state.markServing();
  const directory = new FakeDirectory();
  const closed = new Counter({ ...SESSIONS_CLOSED, registers: [] });
  const copies = new Counter({ ...SESSION_COPIES, registers: [] });
  const fallbacks: unknown[] = [];
  const lifecycle = new SessionLifecycleService(
    registry,
    CONFIG,
    clock,
    state,
    new Gauge({ ...SESSIONS_OPEN, registers: [] }),
    new Counter({ ...SESSIONS_OPENED, registers: [] }),
    closed,
    new Counter({ ...SESSIONS_HIBERNATED, registers: [] }),
    new Counter({ ...SESSIONS_WOKEN, registers: [] }),
    new Counter({ ...HTTP_REJECTED_REQUESTS, registers: [] }),
    directory,
    copies,
    { fellBack: (_use, error) => fallbacks.push(error) },
  );
  lifecycle.onModuleInit();
  return { lifecycle, registry, clock, state, directory, copies, fallbacks };
}

type Env = ReturnType<typeof createLifecycle>;

const details = { keyLabel: 'team-a', protocolVersion: '2025-11-25' };

async function opened(env: Env, id: string, transport: TransportKind = 'streamable-http') {
  expect(await env.lifecycle.admit(id, transport as 'streamable-http', details)).toBeNull();
  const [, wire] = InMemoryTransport.createLinkedPair();
  const server = env.lifecycle.serverFor(
    wire,
    transport,
    () => new McpServer({ name: 's', version: '1' }),
  );
  await server.start();
  return env.lifecycle.open(id, transport, { transport: wire, server }, details);
}

function newServer() {
  return new McpServer({ name: 's', version: '1' });
}

/** The record of a session another replica opened (this one holds no copy). */
async function recordOfAnother(env: Env, id: string): Promise<SessionRecord> {
  const record: SessionRecord = {
    id,
    transport: 'streamable-http',
    keyLabel: 'team-a',
    protocolVersion: '2025-11-25',
    clientName: null,
    clientVersion: null,
    openedAt: env.clock.now(),
    replica: 'replica-b',
    handshake: [],
  };
  env.directory.records.set(id, record);
  return record;
}

/** Adopts a record as the transport does: the copy connected first, then registered. */
async function adopting(env: Env, record: SessionRecord) {
  const [, wire] = InMemoryTransport.createLinkedPair();
  const server = env.lifecycle.serverFor(wire, 'streamable-http', () => newServer());
  await server.start();
  return env.lifecycle.adopt(record, { transport: wire, server });
}

async function copyCount(env: Env, event: string): Promise<number> {
  const { values } = await env.copies.get();
  return values.find((v) => v.labels.event === event)?.value ?? 0;
}

describe('SessionLifecycleService with replicas', () => {
  afterEach(() => jest.restoreAllMocks());

  it('admits against the fleet and refuses with 503 when the store is unreachable', async () => {
    const env = createLifecycle();
    await opened(env, 's1');
    expect(env.directory.records.get('s1')).toMatchObject({
      keyLabel: 'team-a',
      replica: 'replica-a',
    });
    env.directory.failing = true;
    const refusal = await env.lifecycle.admit('s2', 'streamable-http', details);
    expect(refusal).toMatchObject({ reason: 'unavailable', retryAfterSeconds: 5 });
    expect(env.fallbacks).toHaveLength(1);
  });

  it('when full, frees the places of SSE streams held by dead replicas, then admits', async () => {
    const env = createLifecycle();
    const ghost = (id: string, replica: string): SessionRecord => ({
      id,
      transport: 'sse',
      keyLabel: 'team-b',
      protocolVersion: '2024-11-05',
      clientName: null,
      clientVersion: null,
      openedAt: 0,
      replica,
      handshake: [],
    });
    env.directory.alive.add('replica-b');
    env.directory.records.set('dead-1', ghost('dead-1', 'replica-dead'));
    env.directory.records.set('live-1', ghost('live-1', 'replica-b'));
    env.directory.records.set('dead-2', ghost('dead-2', 'replica-dead'));
    expect(await env.lifecycle.admit('s1', 'streamable-http', details)).toBeNull();
    expect([...env.directory.records.keys()]).toEqual(['live-1', 's1']);
    // Full again: looked for again only after 5 s.
    env.directory.records.set('dead-3', ghost('dead-3', 'replica-dead'));
    expect(await env.lifecycle.admit('s2', 'streamable-http', details)).toMatchObject({
      reason: 'capacity',
    });
    env.clock.advance(5000);
    expect(await env.lifecycle.admit('s2', 'streamable-http', details)).toBeNull();
  });

  it('when full and the search for dead streams fails on a bug, refuses for capacity, not the store', async () => {
    const env = createLifecycle();
    for (const id of ['s1', 's2', 's3']) await opened(env, id);
    jest.spyOn(env.directory, 'list').mockRejectedValue(new TypeError('a bug'));
    expect(await env.lifecycle.admit('s4', 'streamable-http', details)).toMatchObject({
      reason: 'capacity',
    });
    expect(env.fallbacks).toEqual([]);
  });

  it('renews a session in use at most once a second, and writes back a record the store lost', async () => {
    const env = createLifecycle();
    await opened(env, 's1');
    const use = () => env.lifecycle.use('s1', 'team-a', InMemoryTransport);
    use();
    use();
    env.clock.advance(999);
    use();
    expect(env.directory.renewals).toEqual(['s1']);
    env.directory.records.clear();
    env.clock.advance(1);
    use();
    await new Promise(setImmediate);
    expect(env.directory.renewals).toEqual(['s1', 's1']);
    expect(env.directory.records.get('s1')).toMatchObject({ id: 's1', keyLabel: 'team-a' });
  });

  it('closes its copy instead of writing the record back when the session ended elsewhere', async () => {
    const env = createLifecycle();
    await opened(env, 's1');
    // Deleted on another replica; its closed event has not reached this one (or never will).
    env.directory.records.delete('s1');
    env.directory.ended.add('s1');
    env.clock.advance(1000);
    env.lifecycle.use('s1', 'team-a', InMemoryTransport);
    await eventually(() => env.registry.get('s1') === undefined, 2000);
    expect(env.directory.records.has('s1')).toBe(false);
    expect(env.lifecycle.closedCounts()).toEqual({});
    expect(await copyCount(env, 'dropped')).toBe(1);
    expect(env.directory.events).toEqual([]);
  });

  it('closes a copy adopted while the session was deleted elsewhere', async () => {
    const env = createLifecycle();
    const record = await recordOfAnother(env, 's1');
    const adoption = adopting(env, record);
    // Deleted elsewhere while this replica rebuilt its copy: the event found nothing here.
    env.directory.records.delete('s1');
    env.directory.ended.add('s1');
    expect(await adoption).toBeUndefined();
    expect(env.registry.get('s1')).toBeUndefined();
    expect(env.directory.records.has('s1')).toBe(false);
    expect(await copyCount(env, 'dropped')).toBe(1);
  });

  it('applies a logging level set elsewhere while the copy was being adopted', async () => {
    const env = createLifecycle();
    const record = await recordOfAnother(env, 's1');
    const setLevel = {
      jsonrpc: '2.0' as const,
      id: 'replay:logging/setLevel',
      method: 'logging/setLevel',
      params: { level: 'error' },
    };
    // Changed on another replica after this one read the record, before its copy registered.
    env.directory.records.set('s1', { ...record, handshake: [setLevel] });
    const [, wire] = InMemoryTransport.createLinkedPair();
    const server = env.lifecycle.serverFor(wire, 'streamable-http', () => newServer());
    const kept = jest.spyOn(server, 'keepLevel');
    const session = await env.lifecycle.adopt(record, { transport: wire, server });
    expect(session).toBeDefined();
    expect(kept).toHaveBeenCalledWith(setLevel);
  });

  it('lets idle copies go without telling the fleet, even when the record is gone', async () => {
    const env = createLifecycle();
    await opened(env, 'used-elsewhere');
    await opened(env, 'record-lost');
    // Redis restarted empty: another replica using the session writes its record back.
    env.directory.records.delete('record-lost');
    env.clock.advance(601_000);
    expect(await env.lifecycle.sweep()).toBe(2);
    expect(env.registry.size()).toBe(0);
    expect(env.lifecycle.closedCounts()).toEqual({});
    expect(await copyCount(env, 'released')).toBe(2);
    expect(env.directory.events).toEqual([]);
    expect(env.directory.records.has('used-elsewhere')).toBe(true);
  });

  it('ends a session past its maximum lifetime everywhere', async () => {
    const env = createLifecycle();
    await opened(env, 's1');
    env.clock.advance(3600_000);
    expect(await env.lifecycle.sweep()).toBe(1);
    await env.lifecycle.recordRemoved('s1');
    expect(env.lifecycle.closedCounts()).toEqual({ expired: 1 });
    expect(env.directory.records.has('s1')).toBe(false);
    expect(env.directory.events).toEqual([
      { type: 'closed', id: 's1', reason: 'expired', from: 'replica-a' },
    ]);
  });

  it('keeps 2025 records at shutdown (another replica serves them) and removes SSE ones', async () => {
    const env = createLifecycle();
    await opened(env, 'modern');
    await opened(env, 'legacy', 'sse');
    await env.lifecycle.beforeApplicationShutdown();
    expect([...env.directory.records.keys()]).toEqual(['modern']);
  });

  it('removes the record and tells the other replicas when a session is deleted here', async () => {
    const env = createLifecycle();
    const session = await opened(env, 's1');
    await session.close('deleted');
    await env.lifecycle.recordRemoved('s1');
    expect(env.directory.records.has('s1')).toBe(false);
    expect(env.directory.events).toEqual([
      { type: 'closed', id: 's1', reason: 'deleted', from: 'replica-a' },
    ]);
  });

  it('closes its copy when the session ended elsewhere, without counting a second close', async () => {
    const env = createLifecycle();
    await opened(env, 's1');
    env.directory.hear({ type: 'closed', id: 's1', reason: 'admin', from: 'replica-b' });
    await new Promise(setImmediate);
    expect(env.registry.get('s1')).toBeUndefined();
    expect(env.lifecycle.closedCounts()).toEqual({});
    expect(await copyCount(env, 'dropped')).toBe(1);
    expect(env.directory.events).toEqual([]);
  });

  it('refuses a record of another key, another transport, or past the maximum lifetime', async () => {
    const env = createLifecycle();
    await opened(env, 's1');
    const record = env.directory.records.get('s1')!;
    env.registry.remove('s1');
    expect(await env.lifecycle.fleetRecord('s1', 'team-b', 'streamable-http')).toBeUndefined();
    expect(await env.lifecycle.fleetRecord('s1', 'team-a', 'sse')).toBeUndefined();
    expect(await env.lifecycle.fleetRecord('s1', 'team-a', 'streamable-http')).toBe(record);
    env.clock.advance(3600_000);
    expect(await env.lifecycle.fleetRecord('s1', 'team-a', 'streamable-http')).toBeUndefined();
    await env.lifecycle.recordRemoved('s1');
    expect(env.directory.records.has('s1')).toBe(false);
    env.directory.failing = true;
    await expect(
      env.lifecycle.fleetRecord('s2', 'team-a', 'streamable-http'),
    ).rejects.toMatchObject({
      reason: 'unavailable',
    });
  });
});
