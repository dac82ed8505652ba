import { Inject, Injectable } from '@nestjs/common';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MCP_CONFIG } from '../config/app-config.module';
import type { McpConfig } from '../config/configuration.types';
import { MCP_SERVER_FACTORY, McpServerSource } from '../mcp/mcp.tokens';
import { JsonRpcCode, sendAdmissionError, sendJsonRpcError } from '../common/json-rpc';
import { SessionLifecycleService } from '../sessions/session-lifecycle.service';
import { principalOf } from '../auth/principal';
import { queryParam } from '../common/request-path';
import { KEEP_ALIVE_COMMENT } from './event-stream';

/**
 * The 2024-11-05 HTTP+SSE transport: `GET /sse` opens a stream whose first event names the URL
 * to POST to; `POST /messages?sessionId=…` delivers client messages, answered on the stream.
 */
@Injectable()
export class SseService {
  constructor(
    @Inject(MCP_SERVER_FACTORY) private readonly factory: McpServerSource,
    private readonly lifecycle: SessionLifecycleService,
    @Inject(MCP_CONFIG) private readonly config: McpConfig,
  ) {}

  async open(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // HEAD reaches here through the GET route: it must not open a session.
    if (req.method !== 'GET') {
      sendJsonRpcError(res, 405, JsonRpcCode.ServerError, 'Method not allowed', { Allow: 'GET' });
      return;
    }
    const keyLabel = principalOf(req).label;
    const refusal = this.lifecycle.refusal(keyLabel);
    if (refusal) {
      sendAdmissionError(res, refusal);
      return;
    }
    // Proxies must neither buffer nor compress the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    // The endpoint is announced with the public path prefix, so gateways that rewrite paths work.
    const transport = new SSEServerTransport(`${this.config.publicBasePath}/messages`, res);
    const server = this.lifecycle.serverFor(transport, 'sse', () => this.factory.create());
    const session = this.lifecycle.open(
      transport.sessionId,
      'sse',
      { transport, server },
      { keyLabel, protocolVersion: '2024-11-05' },
    );

    // Idle streams are cut by proxies; a comment frame now and then keeps them open.
    const heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(KEEP_ALIVE_COMMENT);
    }, this.config.sseHeartbeatSeconds * 1000);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      void session.close('client');
    });
    server.onclose = () => void session.close('client');
    await server.start();
  }

  async post(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> {
    const id = queryParam(req.url, 'sessionId') ?? '';
    const session = this.lifecycle.use(id, principalOf(req).label, SSEServerTransport);
    if (!session) {
      sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found');
      return;
    }
    if (!isJsonRpcMessage(req.body)) {
      sendJsonRpcError(
        res,
        400,
        JsonRpcCode.InvalidRequest,
        'Invalid Request: not a JSON-RPC 2.0 message',
      );
      return;
    }
    await session.transport.handlePostMessage(req, res, req.body);
  }
}

function isJsonRpcMessage(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Array.isArray(body) &&
    (body as { jsonrpc?: unknown }).jsonrpc === '2.0'
  );
}
