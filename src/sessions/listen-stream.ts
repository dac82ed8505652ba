import type { McpSession, SessionCloseReason, SessionInfo } from './session-registry.interface';

/** The part of a Node response a listen stream needs: ending it, and hearing that it ended. */
export interface ListenResponse {
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  end(): unknown;
  once(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A 2026-07-28 `subscriptions/listen` stream, tracked like a session: it holds one HTTP response
 * open and no server (the SDK lets the per-request server go once the stream is set up). Closing
 * it ends the response, which makes the SDK drop the subscription; the client may listen again.
 */
export class ListenStream implements McpSession {
  private closing: Promise<void> | null = null;
  /** Nothing to let go while idle: listening is idle by nature. */
  readonly awake = false;

  constructor(
    readonly info: SessionInfo,
    private readonly response: ListenResponse,
    private readonly onClosed: (stream: McpSession, reason: SessionCloseReason) => void,
    closedByPeer: () => SessionCloseReason,
  ) {
    response.once('close', () => void this.close(closedByPeer()));
    // A keep-alive the SDK writes between our end() and the response's close must not crash.
    response.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  touch(now: number): void {
    this.info.lastActiveAt = now;
  }

  hibernate(): Promise<boolean> {
    return Promise.resolve(false);
  }

  close(reason: SessionCloseReason): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = Promise.resolve();
    this.onClosed(this, reason);
    if (!this.response.writableEnded) this.response.end();
    return this.closing;
  }
}
