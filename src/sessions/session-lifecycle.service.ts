import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import {
  type McpServer,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
} from '@modelcontextprotocol/server';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { AppStateService } from '../common/app-state.service';
import { CLOCK, Clock } from '../common/clock';
import { SESSION_CONFIG } from '../config/app-config.module';
import type { SessionConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { ListenResponse, ListenStream } from './listen-stream';
import { boundedClientString } from './handshake';
import { Closable, ManagedSession } from './managed-session';
import { SessionServer } from './session-server';
import {
  McpSession,
  SESSION_REGISTRY,
  SessionCloseReason,
  SessionInfo,
  SessionRegistry,
  TransportKind,
} from './session-registry.interface';
import {
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
    readonly reason: 'capacity' | 'draining',
  ) {
    super(message);
  }
}

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
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), sweepPeriodMs(this.config));
    this.sweeper.unref();
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
      return new SessionAdmissionError(
        'Service Unavailable: too many open sessions',
        30,
        'capacity',
      );
    }
    const ofKey = this.registry.sizeOfKey(keyLabel) - this.registry.sizeOfKey(keyLabel, 'listen');
    if (ofKey >= this.config.maxSessionsPerKey) {
      return new SessionAdmissionError(
        'Service Unavailable: this API key has too many open sessions',
        30,
        'capacity',
      );
    }
    return null;
  }

  /**
   * The server side of a new session on this wire transport: built now, let go while the session
   * is idle, rebuilt when the client speaks again. `start()` it to connect the transport.
   */
  serverFor(wire: Transport, transport: TransportKind, create: () => McpServer): SessionServer {
    return new SessionServer(wire, create, {
      onWake: () => this.sessionsWoken.inc({ transport }),
      onWakeFailed: (error) =>
        this.logger.error({ err: error, transport }, 'could not rebuild a session server'),
    });
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
    return stream;
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
    return session as ManagedSession<T>;
  }

  /**
   * Closes sessions idle for longer than the idle timeout, listen streams open for longer than
   * their maximum, and either older than the maximum lifetime.
   */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const expired = this.registry.list().filter((s) => this.expired(s.info, now));
    await Promise.allSettled(expired.map((s) => s.close('expired')));
    await this.hibernateIdle();
    return expired.length;
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

  /** How many sessions ended for each reason since start. */
  closedCounts(): Record<string, number> {
    return Object.fromEntries(this.closedByReason);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const sessions = this.registry.list();
    if (sessions.length > 0) this.logger.log(`closing ${sessions.length} open sessions`);
    await Promise.allSettled(sessions.map((s) => s.close('shutdown')));
  }

  private forget(session: McpSession, reason: SessionCloseReason): void {
    const { id, transport, protocolVersion } = session.info;
    this.registry.remove(id);
    this.closedByReason.set(reason, (this.closedByReason.get(reason) ?? 0) + 1);
    this.sessionsClosed.inc({ transport, reason });
    this.sessionsOpen.dec({ transport, era: eraOf(protocolVersion) });
    this.logger.log({ sessionId: id, transport, reason }, 'session closed');
  }
}
