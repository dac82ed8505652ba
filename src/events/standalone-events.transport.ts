import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';
import { isDeliverable } from './event-ids';
import { STANDALONE_STREAM, type SessionEventLog } from './session-event-log';

/**
 * A transport that also sends what is appended to a session's standalone stream in the event
 * log (resource updates from the subscriptions, here or on another replica), from `start()` to
 * `close()`. Everything else passes through to the transport it wraps.
 */
export class StandaloneEventsTransport implements Transport {
  private unfollow?: () => void;

  constructor(
    private readonly inner: Transport,
    private readonly log: SessionEventLog,
    private readonly logSessionId: string,
  ) {}

  get onmessage(): Transport['onmessage'] {
    return this.inner.onmessage;
  }
  set onmessage(
    handler: ((message: JSONRPCMessage, extra?: MessageExtraInfo) => void) | undefined,
  ) {
    this.inner.onmessage = handler;
  }
  get onclose(): (() => void) | undefined {
    return this.inner.onclose;
  }
  set onclose(handler: (() => void) | undefined) {
    this.inner.onclose = handler;
  }
  get onerror(): ((error: Error) => void) | undefined {
    return this.inner.onerror;
  }
  set onerror(handler: ((error: Error) => void) | undefined) {
    this.inner.onerror = handler;
  }

  async start(): Promise<void> {
    await this.inner.start();
    this.unfollow ??= forwardStandaloneEvents(this.log, this.logSessionId, this.inner, (error) =>
      this.inner.onerror?.(error instanceof Error ? error : new Error(String(error))),
    );
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  async close(): Promise<void> {
    this.unfollow?.();
    this.unfollow = undefined;
    await this.inner.close();
  }
}

/**
 * Sends on `transport` each message appended to a session's standalone stream from now on (here
 * or on another replica), for transports that follow the log without resuming; returns what
 * stops it.
 */
export function forwardStandaloneEvents(
  log: SessionEventLog,
  sessionId: string,
  transport: Pick<Transport, 'send'>,
  onError: (error: unknown) => void,
): () => void {
  return log.follow(sessionId, (event) => {
    if (event.streamId !== STANDALONE_STREAM || !isDeliverable(event.message)) return;
    transport.send(event.message).catch(onError);
  });
}
