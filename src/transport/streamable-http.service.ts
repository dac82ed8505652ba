import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  CLIENT_INFO_META_KEY,
  createMcpHandler,
  isInitializeRequest,
  McpHttpHandler,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  type ServerEventBus,
  type AuthInfo,
  type JSONRPCMessage,
} from '@modelcontextprotocol/server';
import { NodeMcpRequestHandler, toNodeHandler } from '@modelcontextprotocol/node';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { MCP_SERVER_FACTORY, McpServerSource } from '../mcp/mcp.tokens';
import { JsonRpcCode, sendAdmissionError, sendJson, sendJsonRpcError } from '../common/json-rpc';
import { boundedClientString, replayCopy } from '../sessions/handshake';
import { ManagedSession, SHUTDOWN_NOTICE } from '../sessions/managed-session';
import {
  OpeningDetails,
  SessionAdmissionError,
  SessionLifecycleService,
} from '../sessions/session-lifecycle.service';
import type { SessionRecord } from '../sessions/session-directory.interface';
import { principalOf } from '../auth/principal';
import { LIVE_CONFIG, MCP_CONFIG, SESSION_CONFIG } from '../config/app-config.module';
import type { LiveConfig, McpConfig, SessionConfig } from '../config/configuration.types';
import { SESSION_EVENT_LOG, type SessionEventLog } from '../events/session-event-log';
import { withCallRecord } from '../common/call-record';
import { isLegacy } from './legacy-request';
import { exchangeOf, LISTEN_METHOD } from '../common/mcp-exchange';
import { negotiatedProtocolVersion } from './negotiated-protocol-version';
import { NodeStreamableSessionTransport } from './node-streamable-session.transport';
import { RunningRequests } from './running-requests';
import type { SessionServer } from '../sessions/session-server';
import { LISTEN_BUS } from '../subscriptions/subscriptions.service';
import { LiveResources } from './live-resources';

export const SESSION_HEADER = 'mcp-session-id';

/** Who is listening, as far as a 2026-07-28 request says: its protocol version and client info. */
function clientOf(req: IncomingMessage, body: unknown) {
  const meta = (body as { params?: { _meta?: Record<string, unknown> } }).params?._meta;
  const version = meta?.[PROTOCOL_VERSION_META_KEY] ?? req.headers['mcp-protocol-version'];
  const info = meta?.[CLIENT_INFO_META_KEY] as { name?: unknown; version?: unknown } | undefined;
  return {
    protocolVersion: typeof version === 'string' ? version : null,
    clientName: typeof info?.name === 'string' ? info.name : null,
    clientVersion: typeof info?.version === 'string' ? info.version : null,
  };
}

/**
 * The resources a `subscriptions/listen` request asks to hear about, when it names them as the
 * protocol says (any other shape is the SDK's to refuse).
 */
function listenedResources(body: unknown): string[] {
  const notifications = (
    body as { params?: { notifications?: { resourceSubscriptions?: unknown } } }
  ).params?.notifications;
  const uris = notifications?.resourceSubscriptions;
  return Array.isArray(uris) && uris.every((uri) => typeof uri === 'string') ? uris : [];
}

/** The SDK's refusals quote what the client sent (a method, a version): a log line keeps a start. */
const MAX_LOGGED_ERROR_LENGTH = 300;

/** As the client sent them: any JSON value. */
interface InitializeParams {
  protocolVersion?: unknown;
  clientInfo?: { name?: unknown; version?: unknown };
}

/**
 * Streamable HTTP at one endpoint for every era: 2025-era clients get stateful sessions on a
 * Node-native session transport; 2026-07-28 traffic goes to the SDK's per-request handler. The
 * split is the SDK's own classification (`isLegacyRequest`); a request naming one of our open
 * sessions is that session's, without classifying it again.
 */
@Injectable()
export class StreamableHttpService implements OnModuleDestroy {
  private readonly logger = new Logger(StreamableHttpService.name);
  private readonly modern: McpHttpHandler;
  private readonly serveModern: NodeMcpRequestHandler;
  private readonly running = new RunningRequests();
  /** Sessions of other replicas being rebuilt here: concurrent requests adopt each one once. */
  private readonly adopting = new Map<string, Promise<StreamableSession | undefined>>();

  constructor(
    @Inject(MCP_SERVER_FACTORY) private readonly factory: McpServerSource,
    private readonly lifecycle: SessionLifecycleService,
    @Inject(MCP_CONFIG) private readonly config: McpConfig,
    @Inject(SESSION_CONFIG) sessions: SessionConfig,
    private readonly live: LiveResources,
    @Inject(LISTEN_BUS) bus: ServerEventBus,
    @Inject(SESSION_EVENT_LOG) private readonly events: SessionEventLog,
    @Inject(LIVE_CONFIG) private readonly liveConfig: LiveConfig,
  ) {
    const onerror = (error: Error) =>
      this.logger.warn(`modern request failed: ${error.message.slice(0, MAX_LOGGED_ERROR_LENGTH)}`);
    this.modern = createMcpHandler(() => this.factory.create(), {
      legacy: 'reject',
      onerror,
      bus,
      // Our own per-key and total budgets refuse first; this is only the SDK's backstop.
      maxSubscriptions: sessions.maxListenStreams,
    });
    this.serveModern = toNodeHandler(this.modern, { onerror });
  }

  async handle(
    req: IncomingMessage & { body?: unknown; auth?: AuthInfo },
    res: ServerResponse,
  ): Promise<void> {
    // HEAD reaches here through the GET route.
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      sendJsonRpcError(res, 405, JsonRpcCode.ServerError, 'Method not allowed', {
        Allow: 'GET, POST, DELETE',
      });
      return;
    }
    const exchange = exchangeOf(req);
    // The answer to a POST comes back on its own response: the call's outcome joins its log line.
    if (exchange && req.method === 'POST') req.auth = withCallRecord(req.auth, exchange);
    const body: unknown = req.method === 'POST' ? req.body : undefined;
    const keyLabel = principalOf(req).label;
    const sessionId = req.headers[SESSION_HEADER];
    const hasSessionId = typeof sessionId === 'string' && sessionId !== '';
    // Another key's session is answered exactly like one that does not exist.
    const session = hasSessionId
      ? this.lifecycle.use(sessionId, keyLabel, NodeStreamableSessionTransport)
      : undefined;
    if (session) {
      if (exchange) exchange.era = '2025';
      await session.transport.handleRequest(req, res, body, req.auth);
      return;
    }
    const legacy = await isLegacy(req, body);
    if (exchange) exchange.era = legacy ? '2025' : '2026';
    if (!legacy) {
      if (req.method === 'POST' && exchange?.method === LISTEN_METHOD) {
        // The SDK serves a listen stream without a server of ours: the message is counted here.
        this.factory.countReceived?.(LISTEN_METHOD, { authInfo: req.auth });
        // A listen stream stays open until either side ends it: admitted and tracked like a session.
        const refusal = this.lifecycle.listenRefusal(keyLabel);
        if (refusal) {
          sendAdmissionError(res, refusal);
          return;
        }
        // Registered before anything is awaited, so concurrent listens cannot all pass the budget.
        const stream = this.lifecycle.openListen(res, { keyLabel, ...clientOf(req, body) });
        const uris = listenedResources(body);
        if (uris.length > 0) {
          try {
            await this.live.listen(res, keyLabel, uris);
          } catch (error) {
            if (!(error instanceof ProtocolError)) {
              await stream.close('error');
              throw error;
            }
            // Answered in-band, as the SDK answers a listen it refuses; the stream ends with it.
            sendJson(res, 200, {
              jsonrpc: '2.0',
              id: (body as { id?: unknown }).id ?? null,
              error: { code: error.code, message: error.message },
            });
            return;
          }
        }
        if (stream.closed) return;
      }
      await this.running.serve(res, body, () => this.serveModern(req, res, body));
      return;
    }
    if (hasSessionId) {
      const adopted = this.lifecycle.shared ? await this.adopted(sessionId, keyLabel, res) : null;
      if (adopted) {
        await adopted.transport.handleRequest(req, res, body, req.auth);
      } else if (adopted === null) {
        sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
      }
      return;
    }
    if (req.method === 'POST' && isInitializeRequest(body)) {
      await this.open(req, res, body, keyLabel);
      return;
    }
    sendJsonRpcError(
      res,
      400,
      JsonRpcCode.ServerError,
      'Bad Request: Mcp-Session-Id header is required',
    );
  }

  async onModuleDestroy(): Promise<void> {
    // Before their servers are torn down, which would end their responses without an answer.
    this.running.answerAll(SHUTDOWN_NOTICE);
    await this.modern.close();
  }

  /**
   * A session this replica does not hold, rebuilt from the fleet's record (the hibernation wake
   * path, the session id kept) and marked active; null when the fleet has no such session for
   * this key; undefined when the answer (503: the store is unreachable) was sent here.
   */
  private async adopted(
    id: string,
    keyLabel: string,
    res: ServerResponse,
  ): Promise<StreamableSession | null | undefined> {
    const slot = `${keyLabel}\0${id}`;
    let adoption = this.adopting.get(slot);
    if (!adoption) {
      adoption = this.adopt(id, keyLabel).finally(() => this.adopting.delete(slot));
      this.adopting.set(slot, adoption);
    }
    try {
      if (!(await adoption)) return null;
    } catch (error) {
      if (!(error instanceof SessionAdmissionError)) throw error;
      sendAdmissionError(res, error);
      return undefined;
    }
    return this.lifecycle.use(id, keyLabel, NodeStreamableSessionTransport) ?? null;
  }

  private async adopt(id: string, keyLabel: string): Promise<StreamableSession | undefined> {
    const draining = this.lifecycle.adoptionRefusal();
    if (draining) throw draining;
    const record = await this.lifecycle.fleetRecord(id, keyLabel, 'streamable-http');
    // Adopted meanwhile by a request that did not wait for this one.
    const held = this.lifecycle.use(id, keyLabel, NodeStreamableSessionTransport);
    if (!record || held) return held;
    const { http, server } = await this.connect(keyLabel, { adopted: record });
    const session = await this.lifecycle.adopt(record, { transport: http, server });
    if (session) server.onclose = () => void session.close('client');
    return session;
  }

  /**
   * A session's transport and server, connected: a new session (registered when its
   * `initialize` arrives, under `id`), or one of another replica rebuilt from its record.
   */
  private async connect(
    keyLabel: string,
    session: { adopted: SessionRecord } | { id: string; details: OpeningDetails },
  ): Promise<{ http: NodeStreamableSessionTransport; server: SessionServer }> {
    const adopted = 'adopted' in session ? session.adopted : undefined;
    const http: NodeStreamableSessionTransport = new NodeStreamableSessionTransport({
      sessionIdGenerator: () => ('id' in session ? session.id : randomUUID()),
      existingSessionId: adopted?.id,
      keepAliveMs: this.config.sseHeartbeatSeconds * 1000,
      // Events get ids and streams resume, on this replica or (with Redis) another.
      events: this.events,
      retryMs: this.liveConfig.streamRetryMs,
      protocolVersion: adopted?.protocolVersion,
      onsessioninitialized: (id) => {
        if (!('details' in session)) return;
        const opened = this.lifecycle.open(
          id,
          'streamable-http',
          { transport: http, server },
          session.details,
        );
        server.onclose = () => void opened.close('client');
      },
      onsessionclosed: this.lifecycle.shared
        ? async (id) => {
            await this.lifecycle.find(id, keyLabel)?.close('deleted');
            // Answered once the fleet has forgotten it: the next request anywhere is a 404.
            await this.lifecycle.recordRemoved(id);
          }
        : (id) => void this.lifecycle.find(id, keyLabel)?.close('deleted'),
    });
    const server = this.lifecycle.serverFor(
      http,
      'streamable-http',
      () => this.factory.create(),
      adopted?.handshake,
    );
    await server.start();
    return { http, server };
  }

  private async open(
    req: IncomingMessage,
    res: ServerResponse,
    body: { params?: unknown },
    keyLabel: string,
  ): Promise<void> {
    const params = (body.params ?? {}) as InitializeParams;
    // Taken out of the initialize now: the callbacks below live as long as the session and must
    // not keep the message (its capabilities can be as large as the body) alive with them.
    const details: OpeningDetails = {
      keyLabel,
      protocolVersion: negotiatedProtocolVersion(params.protocolVersion),
      clientName: boundedClientString(params.clientInfo?.name),
      clientVersion: boundedClientString(params.clientInfo?.version),
    };
    // The id is made first: with replicas, admission records the session under it.
    const id = randomUUID();
    const initialize = this.lifecycle.shared ? replayCopy(body as JSONRPCMessage) : undefined;
    const refusal = await this.lifecycle.admit(
      id,
      'streamable-http',
      details,
      initialize ? [initialize] : [],
    );
    if (refusal) {
      sendAdmissionError(res, refusal);
      return;
    }
    const { http, server } = await this.connect(keyLabel, { id, details });
    await http.handleRequest(req, res, body, (req as { auth?: AuthInfo }).auth);
    if (!http.sessionId) {
      // The handshake failed (the transport answered with an error): nothing to keep.
      await Promise.allSettled([http.close(), server.close()]);
      this.lifecycle.abandon(id, keyLabel);
    }
  }
}

type StreamableSession = ManagedSession<NodeStreamableSessionTransport>;
