import type {
  JSONRPCMessage,
  McpServer,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';
import { JsonRpcCode } from '../common/json-rpc';
import { asReplay } from '../mcp/checked-mcp-server';
import { deliverable, HANDSHAKE_METHODS, replayCopy } from './handshake';

type RequestId = string | number;

/** The only requests a client may send before its `initialize` has been answered. */
const ALLOWED_BEFORE_INITIALIZE = new Set(['initialize', 'ping']);

export interface SessionServerHooks {
  /** A hibernating session's server was rebuilt. */
  onWake?: () => void;
  /** It could not be: the waiting requests were answered with an internal error. */
  onWakeFailed?: (error: unknown) => void;
  /** The client sent a handshake message the session keeps (its replay copy). */
  onHandshake?: (copy: JSONRPCMessage) => void;
}

/**
 * A session's McpServer, kept only while the session is in use. The server holds every tool,
 * resource and prompt registration with their closures — most of an idle session's memory — so
 * after a quiet spell `hibernate()` lets it go, keeping just what the server read of the client
 * messages that shaped it (initialize, initialized, the logging level; see `replayCopy`). The
 * next message builds a fresh server, replays those into it and then delivers the message: the
 * client, its open streams and the session id never notice. The wire transport (Streamable HTTP
 * or SSE) is connected here once, for the whole session. Until the client's `initialize` has
 * been answered, requests other than ping are refused here (the SDK's server would serve them).
 */
export class SessionServer {
  /** The wire transport closed (the client went away). */
  onclose?: () => void;

  /** The session's server and the link it is connected through, while it is awake. */
  private current?: { server: McpServer; link: ServerLink };
  private waking?: Promise<void>;
  private closed = false;
  private readonly queue: { message: JSONRPCMessage; extra?: MessageExtraInfo }[] = [];
  private readonly handshake = new Map<string, JSONRPCMessage>();
  /** Requests delivered and not yet answered: a session with any is never put to sleep. */
  private readonly inFlight = new Set<RequestId>();
  /** The client's `initialize` request, until it has been answered with a result. */
  private initializeId?: RequestId;
  private initialized = false;

  /**
   * `handshake`: the kept handshake of a session opened elsewhere (another replica), rebuilt here
   * with the session id kept: its server is built by replaying it, and requests are accepted as
   * after `initialize`.
   */
  constructor(
    private readonly wire: Transport,
    private readonly createServer: () => McpServer,
    private readonly hooks: SessionServerHooks = {},
    handshake: JSONRPCMessage[] = [],
  ) {
    for (const message of handshake) {
      const { method } = message as { method?: string };
      if (method && HANDSHAKE_METHODS.has(method)) this.handshake.set(method, message);
    }
    this.initialized = this.handshake.has('initialize');
  }

  /** The kept handshake messages, in replay order. */
  get keptHandshake(): JSONRPCMessage[] {
    return [...this.handshake.values()];
  }

  /**
   * Takes a logging level set through another copy of the session (another replica): kept for
   * the next rebuild and, while a server is awake, replayed into it now (its answer is not sent),
   * so the client's open streams stay as they are.
   */
  keepLevel(setLevel: JSONRPCMessage): void {
    const copy = replayCopy(setLevel);
    if (!copy || this.closed) return;
    this.handshake.set('logging/setLevel', copy);
    if (this.current) void this.current.link.replay(copy);
    else if (this.waking) void this.waking.then(() => this.current?.link.replay(copy));
  }

  /** Whether the session currently holds a server. */
  get awake(): boolean {
    return this.current !== undefined;
  }

  /** Connects the wire transport and the session's first server. */
  async start(): Promise<void> {
    this.wire.onmessage = (message, extra) => this.deliver(message, extra);
    this.wire.onerror = (error) => this.current?.link.onerror?.(error);
    this.wire.onclose = () => {
      void this.close();
      this.onclose?.();
    };
    await this.wake();
    await this.wire.start();
  }

  /** Lets the server go if nothing is in flight; false when the session is busy or asleep. */
  async hibernate(): Promise<boolean> {
    const current = this.current;
    if (!current || this.closed || this.waking || this.inFlight.size > 0) return false;
    this.current = undefined;
    // Closes only the link: the wire transport and the client's streams stay open.
    await current.server.close();
    return true;
  }

  /**
   * Lets the server go for good. With a `notice`, every request it leaves unanswered (running,
   * or waiting for a rebuilt server) gets that error on the client's stream: the server is closed
   * first, so no late answer can follow, and the wire transport stays open for the caller to end.
   */
  async close(notice?: string): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    this.queue.length = 0;
    await current?.server.close();
    if (notice === undefined) return;
    const unanswered = [...this.inFlight];
    this.inFlight.clear();
    await Promise.allSettled(
      unanswered.map((id) =>
        this.wire.send(
          { jsonrpc: '2.0', id, error: { code: JsonRpcCode.ServerError, message: notice } },
          { relatedRequestId: id },
        ),
      ),
    );
  }

  private deliver(received: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (this.refusedBeforeInitialize(received)) return;
    this.track(received);
    const message = deliverable(received);
    if (this.current) {
      this.current.link.onmessage?.(message, extra);
      return;
    }
    if (this.closed) return;
    this.queue.push({ message, extra });
    this.waking ??= this.wake().then(
      () => {
        this.hooks.onWake?.();
        this.flush();
      },
      (error: unknown) => this.refuseQueued(error),
    );
  }

  private track(message: JSONRPCMessage): void {
    const { method, id, params } = message as {
      method?: string;
      id?: RequestId;
      params?: { requestId?: RequestId };
    };
    if (method === undefined) return;
    if (id !== undefined) this.inFlight.add(id);
    if (method === 'initialize' && id !== undefined && !this.initialized) this.initializeId = id;
    // A cancelled request is never answered.
    if (method === 'notifications/cancelled' && params?.requestId !== undefined) {
      this.inFlight.delete(params.requestId);
    }
    if (HANDSHAKE_METHODS.has(method)) {
      // The latest of each kind counts (a later logging level replaces an earlier one) and
      // keeps its kind's place: initialize is always replayed first.
      const copy = replayCopy(message);
      if (copy) {
        this.handshake.set(method, copy);
        this.hooks.onHandshake?.(copy);
      }
    }
  }

  /**
   * The lifecycle: nothing but ping before `initialize` has been answered. A session opened by a
   * legacy SSE stream exists before its handshake, and the SDK's server would serve a tool call
   * there; it is answered on the stream like any other request, with the error the Streamable
   * HTTP transport gives for the same mistake.
   */
  private refusedBeforeInitialize(message: JSONRPCMessage): boolean {
    if (this.initialized) return false;
    const { method, id } = message as { method?: string; id?: RequestId };
    if (method === undefined || id === undefined || ALLOWED_BEFORE_INITIALIZE.has(method)) {
      return false;
    }
    const error = {
      code: JsonRpcCode.ServerError,
      message: 'Bad Request: Server not initialized; send initialize first',
    };
    this.wire
      .send({ jsonrpc: '2.0', id, error }, { relatedRequestId: id })
      .catch((failure: unknown) => this.current?.link.onerror?.(failure as Error));
    return true;
  }

  private answered(id: RequestId, succeeded: boolean): void {
    this.inFlight.delete(id);
    if (succeeded && id === this.initializeId) {
      this.initialized = true;
      this.initializeId = undefined;
    }
  }

  /** Builds and connects a server, replaying the handshake when it is a rebuild. */
  private async wake(): Promise<void> {
    const server = this.createServer();
    const link = new ServerLink(this.wire, (id, succeeded) => this.answered(id, succeeded));
    await server.connect(link);
    for (const message of this.handshake.values()) await link.replay(message);
    if (this.closed) {
      // The session ended while the server was being built.
      await server.close();
      return;
    }
    this.current = { server, link };
  }

  private flush(): void {
    this.waking = undefined;
    // Synchronously, in arrival order: nothing can be delivered in between.
    for (const { message, extra } of this.queue.splice(0)) {
      this.current?.link.onmessage?.(message, extra);
    }
  }

  /** The server could not be rebuilt: every waiting request gets an error, not silence. */
  private refuseQueued(error: unknown): void {
    this.waking = undefined;
    this.hooks.onWakeFailed?.(error);
    for (const { message } of this.queue.splice(0)) {
      const id = (message as { id?: RequestId }).id;
      if (id === undefined || !('method' in message)) continue;
      this.inFlight.delete(id);
      void this.wire.send(
        {
          jsonrpc: '2.0',
          id,
          error: { code: JsonRpcCode.InternalError, message: 'Internal error' },
        },
        { relatedRequestId: id },
      );
    }
  }
}

/**
 * The transport one server of a session is connected to: it passes messages to and from the
 * session's wire transport, swallows the answers to replayed handshake requests, and closing it
 * (when the server is let go) leaves the wire transport open.
 */
class ServerLink implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly replies = new Map<RequestId, () => void>();

  constructor(
    private readonly wire: Transport,
    /** A request was answered: with a result, or with an error. */
    private readonly onAnswered: (id: RequestId, succeeded: boolean) => void,
  ) {}

  get sessionId(): string | undefined {
    return this.wire.sessionId;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  setProtocolVersion(version: string): void {
    this.wire.setProtocolVersion?.(version);
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.wire.setSupportedProtocolVersions?.(versions);
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const { id, method } = message as { id?: RequestId; method?: string };
    if (id !== undefined && method === undefined) {
      const replayed = this.replies.get(id);
      if (replayed) {
        this.replies.delete(id);
        replayed();
        return Promise.resolve();
      }
      this.onAnswered(id, 'result' in message);
    }
    return this.wire.send(message, options);
  }

  /**
   * Delivers a recorded handshake message, marked as a replay (the client sent it once, and it
   * was counted then); resolves once a request among them is answered.
   */
  replay(message: JSONRPCMessage): Promise<void> {
    const id = (message as { id?: RequestId }).id;
    if (id === undefined) {
      this.onmessage?.(asReplay(message));
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.onmessage?.(asReplay(message));
    });
  }

  close(): Promise<void> {
    this.onclose?.();
    return Promise.resolve();
  }
}
