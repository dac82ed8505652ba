import { Inject, Injectable } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import bodyParser from 'body-parser';
import cors from 'cors';
import { Store, storage } from 'nestjs-pino/storage';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Counter, Histogram } from 'prom-client';
import proxyAddr from 'proxy-addr';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AuthenticatedRequest, principalOf } from '../auth/principal';
import { corsOptions } from '../common/cors-options';
import { HttpExceptionFilter } from '../common/filters/http-exception.filter';
import { pathOf } from '../common/request-path';
import { capturedHeaders, strictSecurityHeaders } from '../common/security-headers';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { HTTP_LOGGER, type HttpLogger } from '../logging/logging.tokens';
import { HTTP_REJECTED_REQUESTS, HTTP_REQUEST_DURATION } from '../metrics/app.metrics';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { HostOriginGuard } from './host-origin.guard';
import { JsonRpcCode, sendJsonRpcError } from '../common/json-rpc';
import { SseService } from './sse.service';
import { StreamableHttpService } from './streamable-http.service';

export type McpRoute = '/mcp' | '/sse' | '/messages';

type McpRequest = AuthenticatedRequest & { body?: unknown; ip?: string; log?: unknown };
type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

const run = (middleware: Middleware, req: IncomingMessage, res: ServerResponse) =>
  new Promise<void>((resolve, reject) =>
    middleware(req, res, (error) => (error ? reject(error as Error) : resolve())),
  );

/**
 * Serves the MCP endpoints (/mcp, /sse, /messages) straight from the Node HTTP server, in front
 * of Express: these routes carry nearly all the traffic, and Express's router and middleware
 * chain would cost more than the MCP call itself. Every request still goes through what the rest
 * of the application applies — request id and access log, metrics, security headers, CORS, body
 * limit — and the same guards in the same order (Host/Origin, API key, rate limits); errors are
 * rendered by the application's exception filter. Everything else falls through to Express.
 */
@Injectable()
export class McpHttpGateway {
  private readonly securityHeaders = capturedHeaders(strictSecurityHeaders);
  private readonly cors: Middleware;
  private readonly readJson: Middleware;
  private readonly filter: HttpExceptionFilter;
  /** Which forwarded addresses to believe (Express's compiled `trust proxy` setting). */
  private trustProxy: (address: string, hop: number) => boolean = () => false;

  constructor(
    private readonly hostOrigin: HostOriginGuard,
    private readonly apiKey: ApiKeyGuard,
    private readonly throttler: McpThrottlerGuard,
    private readonly streamable: StreamableHttpService,
    private readonly sse: SseService,
    @InjectMetric(HTTP_REQUEST_DURATION.name)
    private readonly httpDuration: Histogram<'route' | 'method' | 'status'>,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) rejected: Counter<'reason'>,
    @Inject(HTTP_CONFIG) http: HttpConfig,
    @Inject(HTTP_LOGGER) private readonly logRequest: HttpLogger,
  ) {
    this.cors = cors(corsOptions(http) as cors.CorsOptions) as Middleware;
    this.readJson = bodyParser.json({ limit: http.maxBodyBytes }) as Middleware;
    this.filter = new HttpExceptionFilter(rejected);
  }

  /**
   * Puts the gateway in front of the Express application on its HTTP server. `trustProxy` is
   * Express's compiled setting, so client addresses are read the same way on every route.
   */
  install(server: Server, trustProxy?: (address: string, hop: number) => boolean): void {
    if (trustProxy) this.trustProxy = trustProxy;
    const fallback = server.listeners('request') as ((...args: unknown[]) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const route = this.routeOf(req);
      if (route) this.handle(req, res, route);
      else for (const listener of fallback) listener(req, res);
    });
  }

  /** The MCP route a request is for, or null when Express serves it (404s included). */
  routeOf(req: IncomingMessage): McpRoute | null {
    const path = pathOf(req.url);
    if (path === '/mcp' || path === '/mcp/') return '/mcp';
    if (path === '/sse' && req.method === 'GET') return '/sse';
    if (path === '/messages' && req.method === 'POST') return '/messages';
    return null;
  }

  handle(req: IncomingMessage, res: ServerResponse, route: McpRoute): void {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.httpDuration.observe(
        { route, method: req.method ?? '', status: String(res.statusCode) },
        seconds,
      );
    });
    // Who is calling is known before the request is logged, so every line of it names the key.
    this.apiKey.identify(req);
    this.logRequest(req, res);
    storage.run(new Store((req as McpRequest).log as never), () => {
      this.serve(req as McpRequest, res, route).catch((error: unknown) =>
        this.filter.render(error, req, res),
      );
    });
  }

  private async serve(req: McpRequest, res: ServerResponse, route: McpRoute): Promise<void> {
    // Event streams get none of the page-oriented security headers.
    if (req.method !== 'GET') {
      for (const [name, value] of this.securityHeaders) res.setHeader(name, value);
    }
    await run(this.cors, req, res);
    if (res.writableEnded) return; // a CORS preflight, answered

    const context = new ExecutionContextHost([req, res], McpHttpGateway, this.handle);
    // Order matters: Host/Origin first, then who is calling, then how often they may.
    this.hostOrigin.canActivate(context);
    this.apiKey.canActivate(context);
    if (principalOf(req).label === 'anonymous') req.ip = proxyAddr(req, this.trustProxy);
    // Bodies are read only for authenticated callers; the session-open limit needs the body.
    if (req.method === 'POST') await run(this.readJson, req, res);
    await this.throttler.canActivate(context);

    if (route === '/sse') return this.sse.open(req, res);
    if (route === '/messages') return this.sse.post(req, res);
    if (req.method === 'POST' || req.method === 'GET' || req.method === 'DELETE') {
      return this.streamable.handle(req, res);
    }
    res.setHeader('Allow', 'GET, POST, DELETE');
    sendJsonRpcError(res, 405, JsonRpcCode.ServerError, 'Method not allowed');
  }
}
