import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MCP_CONFIG } from '../config/app-config.module';
import type { McpConfig } from '../config/configuration.types';
import { MCP_SERVER_FACTORY, McpServerSource } from '../mcp/mcp.tokens';
import { JsonRpcCode, sendAdmissionError, sendJsonRpcError } from '../common/json-rpc';
import {
  SessionAdmissionError,
  SessionLifecycleService,
} from '../sessions/session-lifecycle.service';
import type { RelayedMessage } from '../sessions/session-directory.interface';
import { principalOf } from '../auth/principal';
import { replicaOf } from '../redis/redis-connection';
import { queryParam } from '../common/request-path';
import { KEEP_ALIVE_COMMENT } from './event-stream';
import { SESSION_EVENT_LOG, type SessionEventLog } from '../events/session-event-log';
import { forwardStandaloneEvents } from '../events/standalone-events.transport';

/** What a relayed POST answers when the replica holding the stream does not take messages. */
const OWNER_SILENT_RETRY_SECONDS = 1;

/**
 * The 2024-11-05 HTTP+SSE transport: `GET /sse` opens a stream whose first event names the URL
 * to POST to; `POST /messages?sessionId=…` delivers client messages, answered on the stream.
 * With replicas, a POST reaching a replica that does not hold the stream is relayed to the one
 * that does (its channel `r:{replica}`): the stream cannot move.
 */
@Injectable()
export class SseService implements OnModuleInit {
  private readonly logger = new Logger(SseService.name);

  constructor(
    @Inject(MCP_SERVER_FACTORY) private readonly factory: McpServerSource,
    private readonly lifecycle: SessionLifecycleService,
    @Inject(MCP_CONFIG) private readonly config: McpConfig,
    @Inject(SESSION_EVENT_LOG) private readonly events: SessionEventLog,
  ) {}

  /** With Redis, the relay channel is subscribed before the server takes its first stream. */
  async onModuleInit(): Promise<void> {
    if (!this.lifecycle.shared) return;
    await this.lifecycle.fleet
      .onRelayed((relayed) => this.deliverRelayed(relayed))
      .catch((error: unknown) => this.lifecycle.storeFailed(error));
  }

  async open(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // HEAD reaches here through the GET route: it must not open a session.
    if (req.method !== 'GET') {
      sendJsonRpcError(res, 405, JsonRpcCode.ServerError, 'Method not allowed', { Allow: 'GET' });
      return;
    }
    const keyLabel = principalOf(req).label;
    const details = { keyLabel, protocolVersion: '2024-11-05' };
    // The transport makes its id; nothing is written to the stream before start().
    const transport = new SSEServerTransport(`${this.config.publicBasePath}/messages`, res);
    const refusal = await this.lifecycle.admit(transport.sessionId, 'sse', details);
    if (refusal) {
      sendAdmissionError(res, refusal);
      return;
    }
    // The client left while it was being admitted: its 'close' has passed, nothing would end it.
    if (res.destroyed || req.socket.destroyed) {
      this.lifecycle.abandon(transport.sessionId, keyLabel);
      return;
    }
    // Proxies must neither buffer nor compress the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    // The endpoint is announced with the public path prefix, so gateways that rewrite paths work.
    const server = this.lifecycle.serverFor(transport, 'sse', () => this.factory.create());
    const session = this.lifecycle.open(transport.sessionId, 'sse', { transport, server }, details);

    // Idle streams are cut by proxies; a comment frame now and then keeps them open.
    const heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(KEEP_ALIVE_COMMENT);
    }, this.config.sseHeartbeatSeconds * 1000);
    heartbeat.unref();
    // What is appended to the session's standalone stream anywhere (resource updates) goes out
    // on this stream, held by this replica alone; there is no resuming it.
    const unfollow = forwardStandaloneEvents(this.events, transport.sessionId, transport, (error) =>
      this.logger.warn({ err: error, sessionId: transport.sessionId }, 'an event was not sent'),
    );
    res.on('close', () => {
      clearInterval(heartbeat);
      unfollow();
      void session.close('client');
    });
    server.onclose = () => void session.close('client');
    await server.start();
  }

  async post(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> {
    const id = queryParam(req.url, 'sessionId') ?? '';
    const { label: keyLabel, metric } = principalOf(req);
    const session = this.lifecycle.use(id, keyLabel, SSEServerTransport);
    if (!session) {
      const scopes = (req as { auth?: { scopes?: string[] } }).auth?.scopes ?? [];
      if (this.lifecycle.shared) await this.relay(id, { keyLabel, metric, scopes }, req.body, res);
      else sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
      return;
    }
    if (!isJsonRpcMessage(req.body)) {
      sendInvalidMessage(res);
      return;
    }
    await session.transport.handlePostMessage(req, res, req.body);
  }

  /**
   * A POST for a stream another replica holds: checked here (the session is the caller's key's,
   * the body a JSON-RPC message), published to the owner's channel and accepted (202); the owner
   * answers on the stream. Owner gone (its heartbeat expired): 404, and the record goes. Owner
   * alive but not listening: 503 with Retry-After.
   */
  private async relay(
    id: string,
    { keyLabel, metric, scopes }: { keyLabel: string; metric?: string; scopes: string[] },
    body: unknown,
    res: ServerResponse,
  ): Promise<void> {
    try {
      const record = await this.lifecycle.fleetRecord(id, keyLabel, 'sse');
      if (!record) {
        sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
        return;
      }
      if (!isJsonRpcMessage(body)) {
        sendInvalidMessage(res);
        return;
      }
      if (this.heldByThisReplica(record.replica)) {
        // Recorded as held here (by this boot, or one before a restart), but this replica has no
        // such stream: it ended.
        await this.lifecycle.removeRecord(id, keyLabel);
        sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
        return;
      }
      const message: RelayedMessage = {
        id,
        keyLabel,
        ...(metric && { metricLabel: metric }),
        ...(scopes.length > 0 && { scopes }),
        message: body as JSONRPCMessage,
      };
      const received = await this.lifecycle.fleet.relay(record.replica, message);
      if (received > 0) {
        res.writeHead(202).end('Accepted');
        return;
      }
      if (await this.lifecycle.fleet.isAlive(record.replica)) {
        sendJsonRpcError(
          res,
          503,
          JsonRpcCode.ServerError,
          'Service Unavailable: the replica holding this stream did not take the message; retry shortly',
          { 'Retry-After': String(OWNER_SILENT_RETRY_SECONDS) },
        );
        return;
      }
      // The stream died with its replica: the client must open a new one.
      await this.lifecycle.removeRecord(id, keyLabel);
      sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
    } catch (error) {
      const refusal =
        error instanceof SessionAdmissionError ? error : this.lifecycle.storeFailed(error);
      sendAdmissionError(res, refusal);
    }
  }

  /** Whether a record's owner is this replica: this boot or an earlier one of its REPLICA_ID. */
  private heldByThisReplica(owner: string): boolean {
    return replicaOf(owner) === replicaOf(this.lifecycle.fleet.replicaId);
  }

  /**
   * A message another replica relayed for a stream held here: answered on the stream. For a
   * stream that ended here, the record goes: the sender's next POST is a 404.
   */
  private deliverRelayed({ id, keyLabel, metricLabel, scopes, message }: RelayedMessage): void {
    const session = this.lifecycle.use(id, keyLabel, SSEServerTransport);
    if (!session) {
      void this.forgetEnded(id, keyLabel);
      return;
    }
    if (!isJsonRpcMessage(message)) return;
    // As the API key guard sets it for a direct POST: the caller's label, never the credential.
    const authInfo = {
      token: '',
      clientId: keyLabel,
      scopes: scopes ?? [],
      ...(metricLabel && { extra: { metricLabel } }),
    };
    session.transport
      .handleMessage(message, { authInfo })
      .catch((error: unknown) =>
        this.logger.warn({ err: error, sessionId: id }, 'a relayed message failed'),
      );
  }

  /** Removes the record of an SSE session this replica is named for but does not hold. */
  private async forgetEnded(id: string, keyLabel: string): Promise<void> {
    try {
      const record = await this.lifecycle.fleetRecord(id, keyLabel, 'sse');
      if (record && this.heldByThisReplica(record.replica)) {
        await this.lifecycle.removeRecord(id, keyLabel);
      }
    } catch (error) {
      // Counted by fleetRecord; the record expires with the idle timeout.
      if (!(error instanceof SessionAdmissionError)) this.lifecycle.storeFailed(error);
    }
  }
}

function sendInvalidMessage(res: ServerResponse): void {
  sendJsonRpcError(
    res,
    400,
    JsonRpcCode.InvalidRequest,
    'Invalid Request: not a JSON-RPC 2.0 message',
  );
}

function isJsonRpcMessage(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Array.isArray(body) &&
    (body as { jsonrpc?: unknown }).jsonrpc === '2.0'
  );
}
