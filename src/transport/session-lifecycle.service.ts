import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, Clock } from '../common/clock';
import type { McpServer } from '@modelcontextprotocol/server';
import { Closable, ManagedSession } from './managed-session';
import {
  McpSession,
  SESSION_REGISTRY,
  SessionCloseReason,
  SessionInfo,
  SessionRegistry,
  TransportKind,
} from './session-registry.interface';

export interface OpeningDetails {
  protocolVersion?: string | null;
  clientName?: string | null;
  clientVersion?: string | null;
}

/** Opens, tracks and closes sessions for every transport, and closes them all on shutdown. */
@Injectable()
export class SessionLifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionLifecycleService.name);
  private readonly closedByReason = new Map<string, number>();

  constructor(
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Registers a session whose transport and server are connected and have an id. */
  open<T extends Closable>(
    id: string,
    transport: TransportKind,
    handles: { transport: T; server: McpServer },
    details: OpeningDetails = {},
  ): ManagedSession<T> {
    const now = this.clock.now();
    const info: SessionInfo = {
      id,
      transport,
      protocolVersion: details.protocolVersion ?? null,
      clientName: details.clientName ?? null,
      clientVersion: details.clientVersion ?? null,
      openedAt: now,
      lastActiveAt: now,
    };
    const session = new ManagedSession(info, handles.transport, handles.server, (closed, reason) =>
      this.forget(closed, reason),
    );
    this.registry.add(session);
    this.logger.log({ sessionId: id, transport, client: details.clientName }, 'session opened');
    return session;
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
    this.registry.remove(session.info.id);
    this.closedByReason.set(reason, (this.closedByReason.get(reason) ?? 0) + 1);
    this.logger.log(
      { sessionId: session.info.id, transport: session.info.transport, reason },
      'session closed',
    );
  }
}
