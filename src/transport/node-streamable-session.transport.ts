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
import { JsonRpcCode, sendJsonRpcError } from '../common/json-rpc';
import { KEEP_ALIVE_COMMENT } from './event-stream';

/** The SDK's limit on messages in one POST. */
const MAX_BATCH_SIZE = 100;

type RequestId = string | number;

/** An open event stream: a POST's answer stream, or the session's GET stream. */
interface EventStream {
  res: ServerResponse;
  /** The stream's response headers, written with its first bytes. */
  headers: Record<string, string | number>;
  keepAlive?: NodeJS.Timeout;
  /** For a POST stream: its requests, and whether each is done (answered or cancelled). */
  pending?: Map<RequestId, boolean>;
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
}

const EVENT_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/**
 * One stateful Streamable HTTP session (2025-era clients), served on Node's own request and
 * response objects. It keeps the SDK transport's wire behaviour — header checks, status codes,
 * one event stream per POST that ends when its requests are answered, one GET stream per
 * session, DELETE — but skips the SDK Node adapter's conversion of every request and response
 * to Web-standard objects and streams, which cost more than the MCP call itself. Resumability
 * (an event store) is not offered, as it was not with the SDK transport either. Unlike the SDK
 * transport, a POST stream also ends when its requests are cancelled (the server never answers
 * those), and a stream the client drops cancels the requests it still had open.
 */
export class NodeStreamableSessionTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: { authInfo?: AuthInfo }) => void;

  private supportedVersions: string[] = [...SUPPORTED_PROTOCOL_VERSIONS];
  private started = false;
  private closed = false;
  private standalone?: EventStream;
  /** Which POST stream answers each open request. */
  private readonly streamOf = new Map<RequestId, EventStream>();

  constructor(private readonly options: NodeStreamableSessionOptions) {
    this.sessionId = options.existingSessionId;
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
    if (requestId === undefined) {
      // Server-initiated messages go on the GET stream, when the client keeps one open.
      if (this.standalone) writeEvent(this.standalone, message);
      return Promise.resolve();
    }
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
    if (!response) {
      writeEvent(stream, message);
      return Promise.resolve();
    }
    if (this.settle(requestId, stream)) {
      endStream(stream, message);
    } else {
      writeEvent(stream, message);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const streams = new Set(this.streamOf.values());
    if (this.standalone) streams.add(this.standalone);
    for (const stream of streams) endStream(stream);
    this.streamOf.clear();
    this.standalone = undefined;
    this.onclose?.();
    return Promise.resolve();
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

    const initialize = messages.some((m) => (m as { method?: string }).method === 'initialize');
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
    const stream: EventStream = { res, headers, pending: new Map() };
    for (const { id } of requests) {
      stream.pending!.set(id, false);
      this.streamOf.set(id, stream);
    }
    this.keepAlive(stream);
    res.once('close', () => this.abandon(stream));
    for (const message of messages) this.receive(message, extra);
  }

  /** Passes a client message on; a cancellation first settles the request it names. */
  private receive(message: JSONRPCMessage, extra: { authInfo?: AuthInfo }): void {
    const cancelled = cancelledRequestOf(message);
    const stream = cancelled === undefined ? undefined : this.streamOf.get(cancelled);
    // The server never answers a cancelled request: its stream would otherwise stay open.
    if (stream && this.settle(cancelled as RequestId, stream)) endStream(stream);
    this.onmessage?.(message, extra);
  }

  /**
   * Marks a request of a POST stream as done (answered or cancelled) and forgets which stream
   * it belongs to. True when the stream has nothing left to answer and should end.
   */
  private settle(requestId: RequestId, stream: EventStream): boolean {
    stream.pending!.set(requestId, true);
    this.streamOf.delete(requestId);
    return [...stream.pending!.values()].every(Boolean);
  }

  /**
   * A POST stream closed. When the client left before every answer, the server is told to cancel
   * the rest: without resumable streams their answers could never be delivered, and the work
   * behind them would run on for nobody.
   */
  private abandon(stream: EventStream): void {
    clearInterval(stream.keepAlive);
    for (const [requestId, answered] of stream.pending!) {
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

  private get(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return this.fail(
        res,
        406,
        JsonRpcCode.ServerError,
        'Not Acceptable: Client must accept text/event-stream',
      );
    }
    if (!this.checkSession(req, res)) return;
    if (this.standalone) {
      return this.fail(
        res,
        409,
        JsonRpcCode.ServerError,
        'Conflict: Only one SSE stream is allowed per session',
      );
    }
    const headers = { ...EVENT_STREAM_HEADERS, 'mcp-session-id': this.sessionId! };
    res.writeHead(200, headers);
    res.flushHeaders();
    const stream: EventStream = { res, headers };
    this.standalone = stream;
    this.keepAlive(stream);
    res.once('close', () => {
      clearInterval(stream.keepAlive);
      if (this.standalone === stream) this.standalone = undefined;
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

  private keepAlive(stream: EventStream): void {
    if (this.options.keepAliveMs <= 0) return;
    stream.keepAlive = setInterval(
      () => write(stream, KEEP_ALIVE_COMMENT),
      this.options.keepAliveMs,
    );
    stream.keepAlive.unref();
  }

  private fail(res: ServerResponse, status: number, code: number, message: string): void {
    this.onerror?.(new Error(message));
    sendJsonRpcError(res, status, code, message);
  }
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

function frame(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

function write(stream: EventStream, text: string): void {
  const { res } = stream;
  if (res.writableEnded || res.destroyed) return;
  if (!res.headersSent) res.writeHead(200, stream.headers);
  res.write(text);
}

function writeEvent(stream: EventStream, message: JSONRPCMessage): void {
  write(stream, frame(message));
}

/**
 * Ends a stream, with its last event when there is one. A stream that has not written anything
 * yet goes out in one piece, with its length: headers, the event and the end in one write.
 */
function endStream(stream: EventStream, last?: JSONRPCMessage): void {
  clearInterval(stream.keepAlive);
  const { res } = stream;
  if (res.writableEnded || res.destroyed) return;
  const payload = last ? frame(last) : '';
  if (!res.headersSent) {
    res.writeHead(200, { ...stream.headers, 'Content-Length': Buffer.byteLength(payload) });
  }
  res.end(payload);
}
