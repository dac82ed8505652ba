import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Request } from 'express';
import type { Counter } from 'prom-client';
import { MCP_CONFIG } from '../config/app-config.module';
import type { McpConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { JsonRpcCode, JsonRpcHttpException } from '../common/json-rpc';

/**
 * DNS-rebinding protection for the MCP routes: the Host header must name this server, and an
 * Origin, when a browser sends one, must be an allowed one.
 */
@Injectable()
export class HostOriginGuard implements CanActivate {
  constructor(
    @Inject(MCP_CONFIG) private readonly config: McpConfig,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const host = this.config.allowedHosts.includes('*')
      ? ({ ok: true } as const)
      : validateHostHeader(req.headers.host, this.config.allowedHosts);
    if (!host.ok) {
      this.rejected.inc({ reason: 'host' });
      throw new JsonRpcHttpException(403, JsonRpcCode.ServerError, `Forbidden: ${host.message}`);
    }
    const origin = validateOriginHeader(req.headers.origin, this.config.allowedOrigins);
    if (!origin.ok) {
      this.rejected.inc({ reason: 'origin' });
      throw new JsonRpcHttpException(403, JsonRpcCode.ServerError, `Forbidden: ${origin.message}`);
    }
    return true;
  }
}
