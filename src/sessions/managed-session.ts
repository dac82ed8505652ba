import type { SessionServer } from './session-server';
import type { McpSession, SessionCloseReason, SessionInfo } from './session-registry.interface';

export interface Closable {
  close(): Promise<void>;
}

/** What a request still running when the server stops is answered with, on every transport. */
export const SHUTDOWN_NOTICE =
  'Service Unavailable: the server is shutting down; retry the request';

/**
 * What a request still running gets when the server ends its session (JSON-RPC error -32000),
 * rather than a stream that just ends. A session the client ended needs no answer.
 */
export const UNANSWERED_NOTICES: Partial<Record<SessionCloseReason, string>> = {
  shutdown: SHUTDOWN_NOTICE,
  expired: 'Session expired before the request completed',
  admin: 'Session closed by an administrator before the request completed',
};

/**
 * A session's wire transport and server, closed together exactly once whichever side ends first.
 * The `onClosed` callback removes it from the registry and records why it ended.
 */
export class ManagedSession<T extends Closable = Closable> implements McpSession {
  private closing: Promise<void> | null = null;

  constructor(
    readonly info: SessionInfo,
    readonly transport: T,
    readonly server: SessionServer,
    private readonly onClosed: (session: McpSession, reason: SessionCloseReason) => void,
  ) {}

  get closed(): boolean {
    return this.closing !== null;
  }

  get awake(): boolean {
    return this.server.awake;
  }

  touch(now: number): void {
    this.info.lastActiveAt = now;
  }

  hibernate(): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : this.server.hibernate();
  }

  close(reason: SessionCloseReason): Promise<void> {
    if (this.closing) return this.closing;
    // Set before anything runs: closing the transport calls back into close() synchronously.
    let done!: () => void;
    this.closing = new Promise<void>((resolve) => (done = resolve));
    this.onClosed(this, reason);
    void this.shut(UNANSWERED_NOTICES[reason]).then(() => done());
    return this.closing;
  }

  private async shut(notice: string | undefined): Promise<void> {
    if (notice === undefined) {
      await Promise.allSettled([this.transport.close(), this.server.close()]);
      return;
    }
    // The notices go out on the client's streams before they end.
    await this.server.close(notice).catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }
}
