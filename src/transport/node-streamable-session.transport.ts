import {
  type AuthInfo,
  isJsonContentType,
  type JSONRPCMessage,
  parseJSONRPCMessage,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { JsonRpcCode, sendJsonRpcError } from '../common/json-rpc';
import { isAfter, parseEventId, PRIMING_MESSAGE } from '../events/event-ids';
import {
  STANDALONE_STREAM,
  type SessionEventLog,
  type StoredEvent,
} from '../events/session-event-log';
import { KEEP_ALIVE_COMMENT } from './event-stream';
import { negotiatedProtocolVersion } from './negotiated-protocol-version';
import { type Connection, end, frame, isOpen, retryFrame, write } from './sse-frames';

/** The SDK's limit on messages in one POST. */
const MAX_BATCH_SIZE = 100;

type RequestId = string | number;

/**
 * A POST's answer stream: its requests, whether each is done (answered or cancelled), and the
 * response serving it now (none while a primed stream waits for the client to resume it).
 */
interface PostStream {
  streamId: string;
  pending: Map<RequestId, boolean>;
  connection?: Connection;
  /** Its priming event went out: the client can resume it, so a cut does not cancel. */
  primed: boolean;
}

export interface NodeStreamableSessionOptions {
  /** Called with the new session id once `initialize` arrives. */
  onsessioninitialized: (sessionId: string) => void;
  /** Called when the client ends the session with DELETE; answered once it settles. */
  onsessionclosed: (sessionId: string) => unknown;
  sessionIdGenerator: () => string;
  /**
   * The id of a session initialized elsewhere (another replica) that this transport serves from
   * now on: it starts initialized with that id, and an `initialize` is refused as for any session.
   */
  existingSessionId?: string;
  /** Comment frames on open streams so proxies do not cut them (0 turns them off). */
  keepAliveMs: number;
  /**
   * The session event log: with it every event gets an id (stored first), streams resume with
   * Last-Event-ID, and what is appended to the session's standalone stream anywhere reaches the
   * GET stream open here. Without it, nothing is stored and nothing resumes.
   */
  events?: SessionEventLog;
  /** The `retry:` hint on event streams (with `events`). */
  retryMs?: number;
  /** The protocol version negotiated by a session initialized elsewhere. */
  protocolVersion?: string | null;
}

/** The first revision whose clients take an event with empty data (the priming event). */
const PRIMING_SINCE = '2025-11-25';

const EVENT_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/**
 * One stateful Streamable HTTP session (2025-era clients), served on Node's own request and
 * response objects. It keeps the SDK transport's wire behaviour — header checks, status codes,
 * one event stream per POST that ends when its requests are answered, one GET stream per
 * session, DELETE, and with the session event log the SDK's resumability (event ids stored
 * first, a priming event and `retry:` hint for 2025-11-25 clients, GET with Last-Event-ID) — but
 * skips the SDK Node adapter's conversion of every request and response to Web-standard objects
 * and streams, which cost more than the MCP call itself. Unlike the SDK transport, a POST stream
 * also ends when its requests are cancelled (the server never answers those), and a stream the
 * client drops before it was primed cancels the requests it still had open.
 *
 * Every write of the session goes through one queue, in the order the messages were sent, so a
 * stream's events go out in id order and a resume (look up, replay, take over the stream) never
 * interleaves with them; an event already written to a response is never written to it again.
 */
export class NodeStreamableSessionTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: { authInfo?: AuthInfo }) => void;

  private supportedVersions: string[] = [...SUPPORTED_PROTOCOL_VERSIONS];
  private started = false;
  private closed = false;
  private protocolVersion?: string;
  /** The GET stream's response, and how it follows the session's standalone events. */
  private standalone?: Connection;
  private unfollow?: () => void;
  /** Which POST stream answers each open request. */
  private readonly streamOf = new Map<RequestId, PostStream>();
  /** POST streams with requests still open, by stream id (what a resume names). */
  private readonly postStreams = new Map<string, PostStream>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: NodeStreamableSessionOptions) {
    this.sessionId = options.existingSessionId;
    this.protocolVersion = options.protocolVersion ?? undefined;
  }

  start(): Promise<void> {
    if (this.started) throw new Error('Transport already started');
    this.started = true;
    return Promise.resolve();
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.supportedVersions = versions;
  }

  /** Serves one HTTP request of this session (the body already parsed). */
  async handleRequest(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    authInfo?: AuthInfo,
  ): Promise<void> {
    if (this.closed) return this.fail(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
    if (req.method === 'POST') return this.post(req, res, body, authInfo);
    if (req.method === 'GET') return this.get(req, res);
    if (req.method === 'DELETE') return this.delete(req, res);
    res.setHeader('Allow', 'GET, POST, DELETE');
    this.fail(res, 405, JsonRpcCode.ServerError, 'Method not allowed.');
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const requestId = response
      ? (message as { id: RequestId }).id
      : (options?.relatedRequestId as RequestId | undefined);
    if (requestId === undefined) return this.sendStandalone(message);
    const stream = this.streamOf.get(requestId);
    if (!stream) {
      if (response) {
        this.onerror?.(
          new Error(
            `Response for request ID ${String(requestId)} is undeliverable: its stream is closed`,
          ),
        );
        return Promise.resolve();
      }
      throw new Error(`No connection established for request ID: ${String(requestId)}`);
    }
    const last = response && this.settle(requestId, stream);
    const stored = this.store(stream.streamId, message);
    return this.enqueue(async () => {
      const eventId = await stored;
      const { connection } = stream;
      // An event a resume already replayed on this response is not written again.
      const fresh = eventId === undefined || isAfter(eventId, connection?.lastEventId);
      if (connection && fresh) {
        if (eventId !== undefined) connection.lastEventId = eventId;
        if (last) end(connection, frame(message, eventId));
        else write(connection, frame(message, eventId));
      } else if (connection && last) {
        // Already replayed on this response by a resume.
        end(connection);
      }
      if (last) this.postStreams.delete(stream.streamId);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const stream of this.postStreams.values()) {
      if (stream.connection) end(stream.connection);
    }
    this.releaseStandalone();
    this.streamOf.clear();
    this.postStreams.clear();
    this.onclose?.();
    return Promise.resolve();
  }

  /**
   * A message with no request it belongs to: stored on the standalone stream, and written on the
   * GET stream by the follower of the log (which also brings what other replicas append). When
   * it cannot be stored (or there is no log), it is written without an id if a GET stream is
   * open here.
   */
  private async sendStandalone(message: JSONRPCMessage): Promise<void> {
    if ((await this.store(STANDALONE_STREAM, message)) !== undefined) return;
    await this.enqueue(() => {
      if (this.standalone) write(this.standalone, frame(message));
    });
  }

  /** Stores a message of one of the session's streams: its event id, or none without a log. */
  private store(streamId: string, message: JSONRPCMessage): Promise<string | undefined> {
    const { events } = this.options;
    if (!events || this.sessionId === undefined) return Promise.resolve(undefined);
    return events.append(this.sessionId, streamId, message).catch((error: unknown) => {
      // Still delivered on the open response, only not resumable.
      this.reportStoreFailure(error);
      return undefined;
    });
  }

  private reportStoreFailure(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.onerror?.(new Error(`Could not store an event of session ${this.sessionId}: ${reason}`));
  }

  /** Runs a write after every write queued before it; a failure is reported, never thrown. */
  private enqueue(task: () => void | Promise<void>): Promise<void> {
    const run = this.writes.then(task).catch((error: unknown) => {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    });
    this.writes = run;
    return run;
  }

  /** Whether this session's client takes priming events (and so can resume its POST streams). */
  private get primes(): boolean {
    const version = this.protocolVersion;
    return (
      this.options.events !== undefined &&
      version !== undefined &&
      version >= PRIMING_SINCE &&
      this.supportedVersions.includes(version)
    );
  }

  private post(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    authInfo: AuthInfo | undefined,
  ): void {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return this.fail(
        res,
        406,
        JsonRpcCode.ServerError,
        'Not Acceptable: Client must accept both application/json and text/event-stream',
      );
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return this.fail(
        res,
        415,
        JsonRpcCode.ServerError,
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    if (Array.isArray(body) && body.length === 0) {
      return this.fail(res, 400, JsonRpcCode.InvalidRequest, 'Invalid Request: empty batch');
    }
    if (Array.isArray(body) && body.length > MAX_BATCH_SIZE) {
      return this.fail(
        res,
        400,
        JsonRpcCode.InvalidRequest,
        `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`,
      );
    }
    let messages: JSONRPCMessage[];
    try {
      messages = (Array.isArray(body) ? body : [body]).map((m) => parseJSONRPCMessage(m));
    } catch {
      // The body parsed as JSON (it was read before this): it is the message that is wrong.
      return this.fail(
        res,
        400,
        JsonRpcCode.InvalidRequest,
        'Invalid Request: not a JSON-RPC 2.0 message',
      );
    }

    const initialize = messages.find((m) => (m as { method?: string }).method === 'initialize');
    if (initialize) {
      if (this.sessionId !== undefined) {
        return this.fail(
          res,
          400,
          JsonRpcCode.InvalidRequest,
          'Invalid Request: Server already initialized',
        );
      }
      if (messages.length > 1) {
        return this.fail(
          res,
          400,
          JsonRpcCode.InvalidRequest,
          'Invalid Request: Only one initialization request is allowed',
        );
      }
      const params = (initialize as { params?: { protocolVersion?: unknown } }).params;
      this.protocolVersion = negotiatedProtocolVersion(params?.protocolVersion);
      this.sessionId = this.options.sessionIdGenerator();
      this.options.onsessioninitialized(this.sessionId);
    } else if (!this.checkSession(req, res)) {
      return;
    }

    const requests = messages.filter(isRequest) as { id: RequestId }[];
    const extra = { authInfo };
    if (requests.length === 0) {
      // Notifications and responses only: accepted, nothing to answer.
      for (const message of messages) this.receive(message, extra);
      res.statusCode = 202;
      res.end();
      return;
    }

    // Headers go out with the first event: a stream answered at once goes out in one piece.
    const headers = { ...EVENT_STREAM_HEADERS, 'mcp-session-id': this.sessionId! };
    const connection: Connection = { res, headers };
    const stream: PostStream = {
      streamId: randomUUID(),
      pending: new Map(),
      connection,
      primed: false,
    };
    for (const { id } of requests) {
      stream.pending.set(id, false);
      this.streamOf.set(id, stream);
    }
    this.postStreams.set(stream.streamId, stream);
    this.keepAlive(connection);
    res.once('close', () => this.abandon(stream, connection));
    if (this.primes) this.prime(stream);
    for (const message of messages) this.receive(message, extra);
  }

  /**
   * The priming event of a POST stream, before any answer: an id (stored) and empty data with
   * the `retry:` hint. From then on the client can resume the stream, so a cut no longer cancels.
   */
  private prime(stream: PostStream): void {
    const stored = this.store(stream.streamId, PRIMING_MESSAGE);
    void this.enqueue(async () => {
      const eventId = await stored;
      const { connection } = stream;
      if (eventId === undefined || !connection || !isOpen(connection)) return;
      write(connection, frame(PRIMING_MESSAGE, eventId, this.options.retryMs));
      connection.lastEventId = eventId;
      stream.primed = true;
    });
  }

  /** Passes a client message on; a cancellation first settles the request it names. */
  private receive(message: JSONRPCMessage, extra: { authInfo?: AuthInfo }): void {
    const cancelled = cancelledRequestOf(message);
    const stream = cancelled === undefined ? undefined : this.streamOf.get(cancelled);
    // The server never answers a cancelled request: its stream would otherwise stay open.
    if (stream && this.settle(cancelled as RequestId, stream)) {
      this.postStreams.delete(stream.streamId);
      void this.enqueue(() => {
        if (stream.connection) end(stream.connection);
      });
    }
    this.onmessage?.(message, extra);
  }

  /**
   * Marks a request of a POST stream as done (answered or cancelled) and forgets which stream
   * it belongs to. True when the stream has nothing left to answer and should end.
   */
  private settle(requestId: RequestId, stream: PostStream): boolean {
    stream.pending.set(requestId, true);
    this.streamOf.delete(requestId);
    return [...stream.pending.values()].every(Boolean);
  }

  /**
   * A response of a POST stream closed. A primed stream waits for the client to resume it (its
   * answers are stored meanwhile). Otherwise, when the client left before every answer, the
   * server is told to cancel the rest: their answers could never be delivered, and the work
   * behind them would run on for nobody.
   */
  private abandon(stream: PostStream, connection: Connection): void {
    clearInterval(connection.keepAlive);
    if (stream.connection !== connection) return;
    stream.connection = undefined;
    if (stream.primed && !this.closed) return;
    this.postStreams.delete(stream.streamId);
    for (const [requestId, answered] of stream.pending) {
      if (answered || this.streamOf.get(requestId) !== stream) continue;
      this.streamOf.delete(requestId);
      if (this.closed) continue;
      this.onmessage?.({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId, reason: 'The client closed the stream before the answer' },
      });
    }
  }

  private async get(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return this.fail(
        res,
        406,
        JsonRpcCode.ServerError,
        'Not Acceptable: Client must accept text/event-stream',
      );
    }
    if (!this.checkSession(req, res)) return;
    const lastEventId = req.headers['last-event-id'];
    if (this.options.events && typeof lastEventId === 'string' && lastEventId !== '') {
      // In the write queue: no write of the session runs between the lookup and the takeover.
      return this.enqueue(() => this.resume(res, lastEventId));
    }
    if (this.standalone) {
      return this.fail(
        res,
        409,
        JsonRpcCode.ServerError,
        'Conflict: Only one SSE stream is allowed per session',
      );
    }
    this.openStandalone(res, []);
  }

  /**
   * GET with Last-Event-ID: the events after it on its stream (looked up in this session's log
   * only) are replayed on this response, which then serves that stream — the standalone stream,
   * or a POST stream whose requests are still open here (it ends once they are all answered).
   * A response still serving that stream here is ended: the newest connection serves it.
   * An id of the standalone stream that this session's log does not have (dropped by the bounds,
   * another session's) or cannot look up (Redis down) gets a fresh GET stream from now: a
   * refusal would make the client give its GET stream up, and with it every later update.
   */
  private async resume(res: ServerResponse, lastEventId: string): Promise<void> {
    const events = this.options.events!;
    const sessionId = this.sessionId!;
    const ofStandalone = parseEventId(lastEventId)?.streamId === STANDALONE_STREAM;
    // Followed from before the lookup, so nothing appended meanwhile is missed.
    const pending: StoredEvent[] = [];
    const stopBuffering = events.follow(sessionId, (event) => pending.push(event));
    // A failed lookup of the standalone stream is served as an unknown id.
    let found: Awaited<ReturnType<SessionEventLog['after']>> = undefined;
    try {
      found = await events.after(sessionId, lastEventId);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      if (!ofStandalone) {
        stopBuffering();
        return sendJsonRpcError(res, 500, JsonRpcCode.ServerError, 'Error replaying events');
      }
    }
    if (this.closed) {
      stopBuffering();
      return sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
    }
    if (!found) {
      if (!ofStandalone) {
        stopBuffering();
        return this.fail(res, 400, JsonRpcCode.ServerError, 'Invalid event ID format');
      }
      // As a GET without Last-Event-ID, except that it takes the stream over like a resume.
      this.releaseStandalone();
      this.openStandalone(res, pending);
      stopBuffering();
      return;
    }
    const post = this.postStreams.get(found.streamId);
    // The client says it lost the stream: a response still open for it here is let go (its
    // client is gone, or a proxy between has not told us yet).
    if (found.streamId === STANDALONE_STREAM) this.releaseStandalone();
    if (post?.connection) {
      const stale = post.connection;
      post.connection = undefined;
      end(stale);
    }
    const connection = this.open(res);
    connection.lastEventId = lastEventId;
    for (const event of found.events) writeOnce(connection, event);
    if (found.streamId === STANDALONE_STREAM) {
      this.takeStandalone(connection, pending);
      stopBuffering();
      return;
    }
    stopBuffering();
    if (!post || !isOpen(connection)) {
      // Every answer was replayed (or is not this replica's to send): the stream is over.
      end(connection);
      return;
    }
    post.connection = connection;
    post.primed = true;
    res.once('close', () => this.abandon(post, connection));
  }

  /** A new GET stream from now (after the events `missed` meanwhile), primed for those who take it. */
  private openStandalone(res: ServerResponse, missed: StoredEvent[]): void {
    this.takeStandalone(this.open(res), missed);
    // The priming event comes through the follower like any standalone event.
    if (this.primes) void this.store(STANDALONE_STREAM, PRIMING_MESSAGE);
  }

  /** Ends the GET stream's response here, and its following of the log. */
  private releaseStandalone(): void {
    const stale = this.standalone;
    if (!stale) return;
    this.dropStandalone();
    end(stale);
  }

  /** This process no longer serves the GET stream: the log is no longer followed for it. */
  private dropStandalone(): void {
    this.standalone = undefined;
    this.unfollow?.();
    this.unfollow = undefined;
  }

  /** The response of an event stream, its headers and `retry:` hint written at once. */
  private open(res: ServerResponse): Connection {
    const headers = { ...EVENT_STREAM_HEADERS, 'mcp-session-id': this.sessionId! };
    res.writeHead(200, headers);
    res.flushHeaders();
    const connection: Connection = { res, headers };
    if (this.options.events && this.options.retryMs !== undefined) {
      write(connection, retryFrame(this.options.retryMs));
    }
    this.keepAlive(connection);
    return connection;
  }

  /**
   * Makes a response the GET stream: it follows the session's standalone events (here and, with
   * Redis, on every replica) from now on, after the ones `missed` meanwhile.
   */
  private takeStandalone(connection: Connection, missed: StoredEvent[]): void {
    this.standalone = connection;
    const { events } = this.options;
    if (events && this.sessionId !== undefined) {
      for (const event of missed)
        if (event.streamId === STANDALONE_STREAM) writeOnce(connection, event);
      this.unfollow?.();
      const unfollow = events.follow(this.sessionId, (event) => {
        if (event.streamId !== STANDALONE_STREAM) return;
        void this.enqueue(() => {
          if (this.standalone === connection) writeOnce(connection, event);
        });
      });
      this.unfollow = unfollow;
    }
    connection.res.once('close', () => {
      clearInterval(connection.keepAlive);
      if (this.standalone === connection) this.dropStandalone();
    });
  }

  private async delete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.checkSession(req, res)) return;
    await this.options.onsessionclosed(this.sessionId!);
    res.statusCode = 200;
    res.end();
    void this.close();
  }

  /** The session id header must name this session; a protocol version header must be one we speak. */
  private checkSession(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.sessionId === undefined) {
      this.fail(res, 400, JsonRpcCode.ServerError, 'Bad Request: Server not initialized');
      return false;
    }
    const sessionId = req.headers['mcp-session-id'];
    if (!sessionId) {
      this.fail(
        res,
        400,
        JsonRpcCode.ServerError,
        'Bad Request: Mcp-Session-Id header is required',
      );
      return false;
    }
    if (sessionId !== this.sessionId) {
      this.fail(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
      return false;
    }
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !this.supportedVersions.includes(version)) {
      this.fail(
        res,
        400,
        JsonRpcCode.ServerError,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${this.supportedVersions.join(', ')})`,
      );
      return false;
    }
    return true;
  }

  private keepAlive(connection: Connection): void {
    if (this.options.keepAliveMs <= 0) return;
    connection.keepAlive = setInterval(
      () => write(connection, KEEP_ALIVE_COMMENT),
      this.options.keepAliveMs,
    );
    connection.keepAlive.unref();
  }

  private fail(res: ServerResponse, status: number, code: number, message: string): void {
    this.onerror?.(new Error(message));
    sendJsonRpcError(res, status, code, message);
  }
}

/** Writes a stored event unless the response already carried it (or a later one). */
function writeOnce(connection: Connection, event: StoredEvent): void {
  if (!isAfter(event.id, connection.lastEventId)) return;
  connection.lastEventId = event.id;
  write(connection, frame(event.message, event.id));
}

function isRequest(message: JSONRPCMessage): boolean {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

/** The request a `notifications/cancelled` names, if the message is one. */
function cancelledRequestOf(message: JSONRPCMessage): RequestId | undefined {
  if (!('method' in message) || message.method !== 'notifications/cancelled') return undefined;
  const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === 'string' || typeof requestId === 'number' ? requestId : undefined;
}

function isResponse(message: JSONRPCMessage): boolean {
  return ('result' in message || 'error' in message) && 'id' in message;
}
