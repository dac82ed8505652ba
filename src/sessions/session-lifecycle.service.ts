import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import {
  type JSONRPCMessage,
  type McpServer,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
} from '@modelcontextprotocol/server';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, type Gauge } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { AppStateService } from '../common/app-state.service';
import { CLOCK, Clock } from '../common/clock';
import { SESSION_CONFIG } from '../config/app-config.module';
import type { SessionConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { RedisConnection } from '../redis/redis-connection';
import { SESSION_EVENT_LOG, type SessionEventLog } from '../events/session-event-log';
import { LocalSessionDirectory } from './local-session.directory';
import { ListenResponse, ListenStream } from './listen-stream';
import { boundedClientString } from './handshake';
import { Closable, ManagedSession } from './managed-session';
import { SessionServer } from './session-server';
import {
  FleetEvent,
  RecordedTransport,
  SESSION_DIRECTORY,
  SessionDirectory,
  SessionRecord,
} from './session-directory.interface';
import { plausibleSessionId } from './session-record';
import {
  McpSession,
  SESSION_REGISTRY,
  SessionCloseReason,
  SessionInfo,
  SessionRegistry,
  TransportKind,
} from './session-registry.interface';
import {
  SESSION_COPIES,
  SESSIONS_CLOSED,
  SESSIONS_HIBERNATED,
  SESSIONS_OPEN,
  SESSIONS_OPENED,
  SESSIONS_WOKEN,
} from './sessions.metrics';

export interface OpeningDetails {
  keyLabel: string;
  protocolVersion?: string | null;
  /** As the client sent them (any JSON value): kept, shown and logged cut to a bounded length. */
  clientName?: unknown;
  clientVersion?: unknown;
}

/** Why a new session cannot be opened right now; the transports answer 503 with Retry-After. */
export class SessionAdmissionError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly reason: 'capacity' | 'draining' | 'unavailable',
  ) {
    super(message);
  }
}

/**
 * With replicas sharing sessions: the session store (Redis) cannot be reached, so a session
 * cannot be opened, nor one held by another replica served; answered 503 with Retry-After.
 */
export class SessionStoreUnavailableError extends SessionAdmissionError {
  constructor() {
    super(
      'Service Unavailable: the session store cannot be reached; retry shortly',
      5,
      'unavailable',
    );
  }
}

/** What Redis failures are reported to (RedisConnection.fellBack). */
interface FallbackReporter {
  fellBack(use: string, error: unknown): void;
}

/** A session used on this replica renews its fleet record at most this often. */
const MAX_RENEW_INTERVAL_MS = 1000;
/** A full fleet looks for the SSE sessions of dead replicas at most this often per replica. */
const REAP_INTERVAL_MS = 5000;

/**
 * The protocol versions this server speaks: the SDK's 2025-era list and the 2026-07-28 revision.
 * A session records only one of these, never a string the client made up (it becomes a label).
 */
const KNOWN_PROTOCOL_VERSIONS: ReadonlySet<string> = new Set([
  ...SUPPORTED_PROTOCOL_VERSIONS,
  '2026-07-28',
]);

/** The version if the server speaks it, else null. */
function knownProtocolVersion(version: string | null | undefined): string | null {
  return version && KNOWN_PROTOCOL_VERSIONS.has(version) ? version : null;
}

/** "2025-11-25" → "2025": the protocol generation, a label with few values. */
export function eraOf(protocolVersion: string | null | undefined): string {
  return /^(\d{4})-/.exec(protocolVersion ?? '')?.[1] ?? 'unknown';
}

/**
 * How often sessions are checked: often enough that a session outlives its idle timeout (and a
 * listen stream its maximum) by at most a quarter of it and hibernates at most half its delay
 * late; between 1 and 30 s.
 */
export function sweepPeriodMs(
  config: Pick<SessionConfig, 'idleTimeoutSeconds' | 'hibernateAfterSeconds'> &
    Partial<Pick<SessionConfig, 'listenStreamMaxSeconds'>>,
): number {
  const limits = [config.idleTimeoutSeconds * 1000 * 0.25];
  if (config.hibernateAfterSeconds > 0) limits.push(config.hibernateAfterSeconds * 1000 * 0.5);
  if (config.listenStreamMaxSeconds) limits.push(config.listenStreamMaxSeconds * 1000 * 0.25);
  return Math.min(30_000, Math.max(1000, Math.min(...limits)));
}

/**
 * Opens, tracks and closes sessions for every transport: admission (limits, draining), idle and
 * lifetime expiry, and closing them all on shutdown. Every close is counted by reason.
 */
@Injectable()
export class SessionLifecycleService
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(SessionLifecycleService.name);
  private readonly closedByReason = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;
  /** When each session last renewed its fleet record from here. */
  private readonly renewedAt = new Map<string, number>();
  /** Copies being closed because the session ended on another replica. */
  private readonly endedElsewhere = new Set<string>();
  /** Fleet records being removed (awaited at shutdown, and by DELETE before it answers). */
  private readonly removals = new Map<string, Promise<void>>();
  private lastReapAt = -Infinity;
  /** Told when a session (or listen stream) ends for good, not when a copy of it is let go. */
  private readonly endedListeners = new Set<(info: SessionInfo) => void>();

  constructor(
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
    @Inject(SESSION_CONFIG) private readonly config: SessionConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly state: AppStateService,
    @InjectMetric(SESSIONS_OPEN.name) private readonly sessionsOpen: Gauge<'transport' | 'era'>,
    @InjectMetric(SESSIONS_OPENED.name)
    private readonly sessionsOpened: Counter<'transport' | 'era'>,
    @InjectMetric(SESSIONS_CLOSED.name)
    private readonly sessionsClosed: Counter<'transport' | 'reason'>,
    @InjectMetric(SESSIONS_HIBERNATED.name)
    private readonly sessionsHibernated: Counter<'transport'>,
    @InjectMetric(SESSIONS_WOKEN.name) private readonly sessionsWoken: Counter<'transport'>,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
    @Optional()
    @Inject(SESSION_DIRECTORY)
    private readonly directory: SessionDirectory = new LocalSessionDirectory(''),
    @Optional()
    @InjectMetric(SESSION_COPIES.name)
    private readonly copies: Counter<'event'> = new Counter({ ...SESSION_COPIES, registers: [] }),
    @Optional()
    @Inject(RedisConnection)
    private readonly fallback: FallbackReporter = { fellBack: () => undefined },
    @Optional()
    @Inject(SESSION_EVENT_LOG)
    private readonly events?: SessionEventLog,
  ) {}

  async onModuleInit(): Promise<void> {
    this.sweeper = setInterval(() => void this.sweep(), sweepPeriodMs(this.config));
    this.sweeper.unref();
    if (this.shared) {
      await this.directory
        .onEvent((event) => this.onFleetEvent(event))
        .catch((error: unknown) => this.fallback.fellBack('session', error));
    }
  }

  /** Whether sessions are shared by replicas (REDIS_URL is set). */
  get shared(): boolean {
    return this.directory.shared;
  }

  /** The fleet's record store; only when shared. */
  get fleet(): SessionDirectory {
    return this.directory;
  }

  /** Counts a Redis failure met while serving session traffic. */
  storeFailed(error: unknown): SessionStoreUnavailableError {
    this.fallback.fellBack('session', error);
    return new SessionStoreUnavailableError();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Why a session for this key may not be opened now, or null when it may. */
  refusal(keyLabel: string): SessionAdmissionError | null {
    return this.counted(this.check(keyLabel));
  }

  /**
   * Why a `subscriptions/listen` stream for this key may not be opened now, or null when it may.
   * Listen streams have their own budgets: they hold a response each but no server, so they do
   * not take room from sessions (MAX_SESSIONS), nor sessions from them.
   */
  listenRefusal(keyLabel: string): SessionAdmissionError | null {
    return this.counted(this.draining() ?? this.checkListen(keyLabel));
  }

  /**
   * Admission of a new session that will have this id: in one process, `refusal()`; with replicas,
   * the fleet-wide counts checked and the session recorded in one step (its record carries the
   * kept `initialize`, so another replica can serve the client's next request). A session that
   * then fails to open must be given back with `abandon()`.
   */
  async admit(
    id: string,
    transport: RecordedTransport,
    details: OpeningDetails,
    handshake: JSONRPCMessage[] = [],
  ): Promise<SessionAdmissionError | null> {
    if (!this.shared) return this.refusal(details.keyLabel);
    const draining = this.draining();
    if (draining) return this.counted(draining);
    const record = this.recordOf(this.describe(id, transport, details), handshake);
    const limits = {
      maxSessions: this.config.maxSessions,
      maxSessionsPerKey: this.config.maxSessionsPerKey,
      ttlMs: this.recordTtlMs(),
    };
    try {
      let outcome = await this.directory.admit(record, limits);
      if (outcome !== 'admitted' && (await this.reapedDeadStreams()) > 0) {
        outcome = await this.directory.admit(record, limits);
      }
      if (outcome === 'full') return this.counted(tooManySessions());
      if (outcome === 'key-full') return this.counted(tooManySessionsOfKey());
      // A new id that collides with a session ended moments ago: the client opens another.
      if (outcome === 'ended') return this.counted(new SessionStoreUnavailableError());
      return null;
    } catch (error) {
      return this.counted(this.storeFailed(error));
    }
  }

  /** `reapDeadStreams()`, its failure logged: it only makes room, admission decides. */
  private async reapedDeadStreams(): Promise<number> {
    try {
      return await this.reapDeadStreams();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for the SSE streams of dead replicas');
      return 0;
    }
  }

  /**
   * Removes the records of SSE sessions held by a replica that died (SIGKILL: it could not
   * remove them; its heartbeat has expired): their streams ended with it. Until then they count
   * against the limits; they are looked for only when the fleet is full, at most every
   * 5 s per replica. Returns how many went.
   */
  private async reapDeadStreams(): Promise<number> {
    const now = this.clock.now();
    if (now - this.lastReapAt < REAP_INTERVAL_MS) return 0;
    this.lastReapAt = now;
    const streams = (await this.directory.list()).filter((r) => r.transport === 'sse');
    const owners = [...new Set(streams.map((r) => r.replica))].filter((r) => r !== this.replicaId);
    const alive = new Set<string>([this.replicaId]);
    await Promise.all(
      owners.map(async (owner) => {
        if (await this.directory.isAlive(owner)) alive.add(owner);
      }),
    );
    const dead = streams.filter((r) => !alive.has(r.replica));
    await Promise.all(dead.map((r) => this.removeRecord(r.id, r.keyLabel)));
    if (dead.length > 0) {
      this.logger.log({ count: dead.length }, 'removed the records of SSE streams that ended');
    }
    return dead.length;
  }

  /** Gives back an admission whose session never opened (its handshake failed). */
  abandon(id: string, keyLabel: string): void {
    if (!this.shared) return;
    this.removeRecord(id, keyLabel).catch((error: unknown) => this.storeFailed(error));
  }

  /**
   * Removes a session's record and counts for good: for an idle timeout no replica that still
   * holds a copy can write it back. Rejects when Redis fails.
   */
  removeRecord(id: string, keyLabel: string): Promise<void> {
    return this.directory.remove(id, keyLabel, this.recordTtlMs());
  }

  private counted(refusal: SessionAdmissionError | null): SessionAdmissionError | null {
    if (refusal) this.rejected.inc({ reason: refusal.reason });
    return refusal;
  }

  private draining(): SessionAdmissionError | null {
    return this.state.draining
      ? new SessionAdmissionError('Service Unavailable: the server is shutting down', 5, 'draining')
      : null;
  }

  private checkListen(keyLabel: string): SessionAdmissionError | null {
    if (this.registry.size('listen') >= this.config.maxListenStreams) {
      return new SessionAdmissionError(
        'Service Unavailable: too many open listen streams',
        30,
        'capacity',
      );
    }
    if (this.registry.sizeOfKey(keyLabel, 'listen') >= this.config.maxListenStreamsPerKey) {
      return new SessionAdmissionError(
        'Service Unavailable: this API key has too many open listen streams',
        30,
        'capacity',
      );
    }
    return null;
  }

  private check(keyLabel: string): SessionAdmissionError | null {
    const draining = this.draining();
    if (draining) return draining;
    if (this.registry.size() - this.registry.size('listen') >= this.config.maxSessions) {
      return tooManySessions();
    }
    const ofKey = this.registry.sizeOfKey(keyLabel) - this.registry.sizeOfKey(keyLabel, 'listen');
    if (ofKey >= this.config.maxSessionsPerKey) return tooManySessionsOfKey();
    return null;
  }

  /**
   * The server side of a new session on this wire transport: built now, let go while the session
   * is idle, rebuilt when the client speaks again. `start()` it to connect the transport.
   */
  serverFor(
    wire: Transport,
    transport: TransportKind,
    create: () => McpServer,
    handshake?: JSONRPCMessage[],
  ): SessionServer {
    const recordsHandshake = this.shared && transport === 'streamable-http';
    return new SessionServer(
      wire,
      create,
      {
        onWake: () => this.sessionsWoken.inc({ transport }),
        onWakeFailed: (error) =>
          this.logger.error({ err: error, transport }, 'could not rebuild a session server'),
        onHandshake: recordsHandshake
          ? (copy) => this.handshakeChanged(wire.sessionId, copy)
          : undefined,
      },
      handshake,
    );
  }

  /**
   * A 2025 session's handshake changed on this replica: the record keeps it for rebuilds
   * elsewhere, and a new logging level reaches the copies other replicas hold.
   */
  private handshakeChanged(id: string | undefined, copy: JSONRPCMessage): void {
    const { method } = copy as { method?: string };
    // The record was written with the initialize when the session was admitted.
    if (id === undefined || method === 'initialize') return;
    const announced =
      method === 'logging/setLevel'
        ? this.directory.announce({ type: 'level', id, setLevel: copy, from: this.replicaId })
        : Promise.resolve();
    Promise.all([this.directory.update(id, { handshake: copy }), announced]).catch(
      (error: unknown) => this.storeFailed(error),
    );
  }

  private get replicaId(): string {
    return this.directory.replicaId;
  }

  /** Registers a session whose transport and server are connected and have an id. */
  open<T extends Closable>(
    id: string,
    transport: TransportKind,
    handles: { transport: T; server: SessionServer },
    details: OpeningDetails,
  ): ManagedSession<T> {
    const info = this.describe(id, transport, details);
    const session = new ManagedSession(info, handles.transport, handles.server, (closed, reason) =>
      this.forget(closed, reason),
    );
    this.register(session);
    return session;
  }

  /**
   * Registers a `subscriptions/listen` stream about to be served on this response; it is
   * forgotten when the response closes, and closing it ends the response.
   */
  openListen(response: ListenResponse, details: OpeningDetails): ListenStream {
    const stream = new ListenStream(
      this.describe(randomUUID(), 'listen', details),
      response,
      (closed, reason) => this.forget(closed, reason),
      () => (this.state.draining ? 'shutdown' : 'client'),
    );
    this.register(stream);
    // The client left while the stream was being admitted: its close event has passed.
    if (response.destroyed) void stream.close('client');
    return stream;
  }

  /**
   * Registers here a 2025 session opened on another replica, rebuilt from its record: a copy
   * (not counted as a newly opened session). Its record now names this replica. Undefined (the
   * copy closed) when the session ended while it was being rebuilt; a level set meanwhile is
   * taken from the record read again once the copy is registered (events reach it from then on).
   */
  async adopt<T extends Closable>(
    record: SessionRecord,
    handles: { transport: T; server: SessionServer },
  ): Promise<ManagedSession<T> | undefined> {
    const info: SessionInfo = {
      id: record.id,
      transport: record.transport,
      keyLabel: record.keyLabel,
      protocolVersion: record.protocolVersion,
      clientName: record.clientName,
      clientVersion: record.clientVersion,
      openedAt: record.openedAt,
      lastActiveAt: this.clock.now(),
    };
    const session = new ManagedSession(info, handles.transport, handles.server, (closed, reason) =>
      this.forget(closed, reason),
    );
    this.registry.add(session);
    this.sessionsOpen.inc({ transport: info.transport, era: eraOf(info.protocolVersion) });
    this.copies.inc({ event: 'adopted' });
    this.renewedAt.set(info.id, this.clock.now());
    this.logger.log(
      { sessionId: info.id, transport: info.transport, keyLabel: info.keyLabel },
      'session adopted from the fleet',
    );
    try {
      const [, alive, current] = await Promise.all([
        this.directory.update(info.id, { replica: this.replicaId }),
        this.directory.renew(info.id, info.keyLabel, this.recordTtlMs()),
        this.directory.read(info.id),
      ]);
      if (!alive && !(await this.restored(session))) {
        this.endedHere(session);
        return undefined;
      }
      const level = levelOf(current?.handshake);
      if (level && JSON.stringify(level) !== JSON.stringify(levelOf(record.handshake))) {
        session.server.keepLevel(level);
      }
    } catch (error) {
      // The copy serves from what was read; the record is written back on a later use.
      this.storeFailed(error);
    }
    return session;
  }

  /**
   * Why a session held by another replica may not be adopted here now, or null when it may: a
   * draining replica takes none (its copy would not get the shutdown notice); the client retries
   * elsewhere.
   */
  adoptionRefusal(): SessionAdmissionError | null {
    return this.counted(this.draining());
  }

  /** The fleet's record of a session, whoever holds it; rejects with SessionStoreUnavailableError. */
  async fleetRecordOf(id: string): Promise<SessionRecord | undefined> {
    if (!this.shared || !plausibleSessionId(id)) return undefined;
    try {
      return await this.directory.read(id);
    } catch (error) {
      throw this.storeFailed(error);
    }
  }

  /**
   * The fleet's record of a session this replica does not hold, if the caller's key opened it
   * on this transport and it has not outlived SESSION_MAX_LIFETIME_SECONDS (then it is removed).
   * Another key's session is not found. Rejects with SessionStoreUnavailableError.
   */
  async fleetRecord(
    id: string,
    keyLabel: string,
    transport: RecordedTransport,
  ): Promise<SessionRecord | undefined> {
    if (!this.shared || !plausibleSessionId(id)) return undefined;
    let record: SessionRecord | undefined;
    try {
      record = await this.directory.read(id);
    } catch (error) {
      throw this.storeFailed(error);
    }
    if (!record || record.keyLabel !== keyLabel || record.transport !== transport) return undefined;
    const lifetimeMs = this.config.maxLifetimeSeconds * 1000;
    if (lifetimeMs > 0 && this.clock.now() - record.openedAt >= lifetimeMs) {
      this.dropEvents(record.id);
      this.track(record.id, this.endRecord(record, 'expired'));
      return undefined;
    }
    return record;
  }

  private recordOf(info: SessionInfo, handshake: JSONRPCMessage[]): SessionRecord {
    return {
      id: info.id,
      transport: info.transport as RecordedTransport,
      keyLabel: info.keyLabel,
      protocolVersion: info.protocolVersion,
      clientName: info.clientName,
      clientVersion: info.clientVersion,
      openedAt: info.openedAt,
      replica: this.replicaId,
      handshake,
    };
  }

  /** How long a fleet record lives after its last use. */
  get recordIdleMs(): number {
    return this.recordTtlMs();
  }

  /** A record lives as long as a session may stay idle. */
  private recordTtlMs(): number {
    return this.config.idleTimeoutSeconds * 1000;
  }

  private describe(id: string, transport: TransportKind, details: OpeningDetails): SessionInfo {
    const now = this.clock.now();
    return {
      id,
      transport,
      keyLabel: details.keyLabel,
      protocolVersion: knownProtocolVersion(details.protocolVersion),
      clientName: boundedClientString(details.clientName),
      clientVersion: boundedClientString(details.clientVersion),
      openedAt: now,
      lastActiveAt: now,
    };
  }

  private register(session: McpSession): void {
    const { id, transport, keyLabel, protocolVersion, clientName } = session.info;
    this.registry.add(session);
    const era = eraOf(protocolVersion);
    this.sessionsOpened.inc({ transport, era });
    this.sessionsOpen.inc({ transport, era });
    this.logger.log({ sessionId: id, transport, keyLabel, client: clientName }, 'session opened');
  }

  /** The session with this id if the caller's key opened it; another key's session is not found. */
  find(id: string, keyLabel: string): McpSession | undefined {
    const session = this.registry.get(id);
    return session && session.info.keyLabel === keyLabel ? session : undefined;
  }

  /**
   * The caller's open session on this transport, marked active; undefined for an unknown or
   * ended session, another key's, or one on another transport.
   */
  use<T extends Closable>(
    id: string,
    keyLabel: string,
    transport: abstract new (...args: never[]) => T,
  ): ManagedSession<T> | undefined {
    const session = this.find(id, keyLabel);
    if (!(session instanceof ManagedSession) || !(session.transport instanceof transport)) {
      return undefined;
    }
    session.touch(this.clock.now());
    if (this.shared) this.renew(session);
    return session as ManagedSession<T>;
  }

  /**
   * Keeps the fleet record of a session in use alive, at most once a second per session: a busy
   * session is not a Redis write per request. A record the store lost (Redis restarted) is
   * written again from what this replica holds; a session that ended elsewhere (its tombstone
   * refuses the write) closes here too.
   */
  private renew(session: ManagedSession): void {
    const { id, keyLabel } = session.info;
    const now = this.clock.now();
    const interval = Math.min(MAX_RENEW_INTERVAL_MS, this.recordTtlMs() / 10);
    if (now - (this.renewedAt.get(id) ?? -Infinity) < interval) return;
    this.renewedAt.set(id, now);
    const ttlMs = this.recordTtlMs();
    this.directory
      .renew(id, keyLabel, ttlMs)
      .then(async (alive) => {
        if (alive || session.closed) return;
        if (!(await this.restored(session))) this.endedHere(session);
      })
      .catch((error: unknown) => this.storeFailed(error));
  }

  /** Writes back the record of a session held here; false when it ended (it was removed). */
  private restored(session: ManagedSession): Promise<boolean> {
    const record = this.recordOf(session.info, session.server.keptHandshake);
    return this.directory.restore(record, this.recordTtlMs());
  }

  /** Closes this replica's copy of a session that ended on another (counted there). */
  private endedHere(session: ManagedSession): void {
    if (session.closed) return;
    this.endedElsewhere.add(session.info.id);
    void session.close('deleted');
  }

  /** Ends a session wherever it is held; false when the fleet does not know it. */
  async closeAnywhere(id: string, reason: 'admin'): Promise<boolean> {
    const local = this.registry.get(id);
    if (local) {
      await local.close(reason);
      await this.recordRemoved(id);
      return true;
    }
    if (!this.shared || !plausibleSessionId(id)) return false;
    let record: SessionRecord | undefined;
    try {
      record = await this.directory.read(id);
    } catch (error) {
      throw this.storeFailed(error);
    }
    if (!record) return false;
    this.closedByReason.set(reason, (this.closedByReason.get(reason) ?? 0) + 1);
    this.sessionsClosed.inc({ transport: record.transport, reason });
    this.dropEvents(id);
    await this.endRecord(record, reason);
    return true;
  }

  /** Resolves once the fleet record of a session closed here is gone (or could not be removed). */
  recordRemoved(id: string): Promise<void> {
    return this.removals.get(id) ?? Promise.resolve();
  }

  /** Live sessions in the fleet (listen streams not included); rejects when Redis fails. */
  fleetCount(): Promise<number> {
    return this.directory.count();
  }

  /** Every live fleet record; rejects with SessionStoreUnavailableError. */
  async fleetRecords(): Promise<SessionRecord[]> {
    try {
      return await this.directory.list();
    } catch (error) {
      throw this.storeFailed(error);
    }
  }

  /**
   * Closes sessions idle for longer than the idle timeout, listen streams open for longer than
   * their maximum, and either older than the maximum lifetime.
   */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const expired = this.registry.list().filter((s) => this.expired(s.info, now));
    const reasons = this.expiryReasons(expired, now);
    await Promise.allSettled(expired.map((s, i) => s.close(reasons[i])));
    await this.hibernateIdle();
    return expired.length;
  }

  /**
   * With replicas, a 2025 session idle here may be in use on another replica (or be about to be
   * written back by it after Redis lost the record): its record's TTL is the fleet-wide idle
   * expiry, so only this copy is let go ('released'), never announced. Only the maximum
   * lifetime, which is absolute, ends it everywhere.
   */
  private expiryReasons(sessions: McpSession[], now: number): SessionCloseReason[] {
    const lifetimeMs = this.config.maxLifetimeSeconds * 1000;
    return sessions.map(({ info }): SessionCloseReason =>
      this.shared &&
      info.transport === 'streamable-http' &&
      !(lifetimeMs > 0 && now - info.openedAt >= lifetimeMs)
        ? 'released'
        : 'expired',
    );
  }

  /**
   * Lets the servers of sessions quiet for the hibernation delay go (their streams stay open);
   * returns how many went to sleep.
   */
  async hibernateIdle(): Promise<number> {
    const afterMs = this.config.hibernateAfterSeconds * 1000;
    if (afterMs <= 0) return 0;
    const now = this.clock.now();
    let count = 0;
    for (const session of this.registry.list()) {
      if (!session.awake || now - session.info.lastActiveAt < afterMs) continue;
      if (await session.hibernate()) {
        count += 1;
        this.sessionsHibernated.inc({ transport: session.info.transport });
      }
    }
    return count;
  }

  private expired({ transport, openedAt, lastActiveAt }: SessionInfo, now: number): boolean {
    const lifetimeMs = this.config.maxLifetimeSeconds * 1000;
    if (lifetimeMs > 0 && now - openedAt >= lifetimeMs) return true;
    // A listen stream is silent until the server has news: its bound is its age, not idleness.
    if (transport === 'listen') {
      const listenMs = this.config.listenStreamMaxSeconds * 1000;
      return listenMs > 0 && now - openedAt >= listenMs;
    }
    return now - lastActiveAt >= this.config.idleTimeoutSeconds * 1000;
  }

  /**
   * Calls `listener` with each session that ends for good here: closed by its client, an admin,
   * expiry or shutdown. Not for a replica's copy let go while the session lives on in the fleet
   * (released, ended elsewhere, or a 2025 session outliving this replica's shutdown).
   */
  onEnded(listener: (info: SessionInfo) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** How many sessions ended for each reason since start. */
  closedCounts(): Record<string, number> {
    return Object.fromEntries(this.closedByReason);
  }

  /**
   * Closes every session held here. With replicas, 2025 sessions live on in the fleet (their
   * records stay: clients continue on another replica); SSE records go with their streams.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const sessions = this.registry.list();
    if (sessions.length > 0) this.logger.log(`closing ${sessions.length} open sessions`);
    await Promise.allSettled(sessions.map((s) => s.close('shutdown')));
    await Promise.allSettled([...this.removals.values()]);
  }

  private forget(session: McpSession, reason: SessionCloseReason): void {
    const { id, transport, protocolVersion } = session.info;
    this.registry.remove(id);
    this.renewedAt.delete(id);
    const endedElsewhere = this.endedElsewhere.delete(id);
    if (reason === 'released' || endedElsewhere) {
      this.copies.inc({ event: endedElsewhere ? 'dropped' : 'released' });
    } else {
      this.closedByReason.set(reason, (this.closedByReason.get(reason) ?? 0) + 1);
      this.sessionsClosed.inc({ transport, reason });
    }
    this.sessionsOpen.dec({ transport, era: eraOf(protocolVersion) });
    this.logger.log({ sessionId: id, transport, reason }, 'session closed');
    const livesOn =
      reason === 'released' ||
      endedElsewhere ||
      // A 2025 session outlives the replica that stops: another one serves it from the record.
      (this.shared && transport === 'streamable-http' && reason === 'shutdown');
    if (!livesOn) {
      // Its events and subscriptions go with a session that ended for good (at shutdown the
      // process's own log goes with it; a shared one expires with the idle timeout).
      if (transport !== 'listen' && reason !== 'shutdown') this.dropEvents(id);
      for (const listener of this.endedListeners) listener(session.info);
    }
    if (!this.shared || transport === 'listen' || livesOn) return;
    this.track(id, this.endRecord(this.recordOf(session.info, []), reason));
  }

  /** Forgets a session's event log; a failure leaves it to expire with the idle timeout. */
  private dropEvents(id: string): void {
    this.events?.drop(id).catch((error: unknown) => this.fallback.fellBack('events', error));
  }

  /**
   * Removes a session's record and counts; copies of a 2025 session on other replicas close, and
   * an SSE stream closed by an admin elsewhere ends on its replica.
   */
  private async endRecord(record: SessionRecord, reason: SessionCloseReason): Promise<void> {
    try {
      await this.removeRecord(record.id, record.keyLabel);
      // An SSE session lives on one replica: only an admin elsewhere has anyone to tell.
      const held = record.transport === 'sse' && record.replica === this.replicaId;
      if (held && reason !== 'admin') return;
      await this.directory.announce({
        type: 'closed',
        id: record.id,
        reason:
          reason === 'admin' || reason === 'expired' || reason === 'error' ? reason : 'deleted',
        from: this.replicaId,
      });
    } catch (error) {
      // The record expires with the idle timeout.
      this.storeFailed(error);
    }
  }

  private track(id: string, removal: Promise<void>): void {
    const done = removal.finally(() => {
      if (this.removals.get(id) === done) this.removals.delete(id);
    });
    this.removals.set(id, done);
  }

  /** Another replica ended a session, or changed its logging level: this replica's copy follows. */
  private onFleetEvent(event: FleetEvent): void {
    if (event.from === this.replicaId) return;
    const session = this.registry.get(event.id);
    if (!(session instanceof ManagedSession) || session.closed) return;
    if (event.type === 'level') {
      session.server.keepLevel(event.setLevel);
      return;
    }
    // The SSE stream's owner ends its own session (closed by an admin elsewhere) as usual.
    if (session.info.transport === 'streamable-http') this.endedElsewhere.add(event.id);
    void session.close(event.reason);
  }
}

/** The kept `logging/setLevel` of a handshake, if any. */
function levelOf(handshake: JSONRPCMessage[] | undefined): JSONRPCMessage | undefined {
  return handshake?.find((m) => (m as { method?: string }).method === 'logging/setLevel');
}

function tooManySessions(): SessionAdmissionError {
  return new SessionAdmissionError('Service Unavailable: too many open sessions', 30, 'capacity');
}

function tooManySessionsOfKey(): SessionAdmissionError {
  return new SessionAdmissionError(
    'Service Unavailable: this API key has too many open sessions',
    30,
    'capacity',
  );
}
