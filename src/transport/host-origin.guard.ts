import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import type { Request } from 'express';
import { MCP_CONFIG } from '../config/app-config.module';
import type { McpConfig } from '../config/configuration.types';
import { MetricsService } from '../metrics/metrics.service';
import { JsonRpcCode, JsonRpcHttpException } from '../common/json-rpc';

/**
 * DNS-rebinding protection for the MCP routes: the Host header must name this server, and an
 * Origin, when a browser sends one, must be an allowed one.
 */
@Injectable()
export class HostOriginGuard implements CanActivate {
  constructor(
    @Inject(MCP_CONFIG) private readonly config: McpConfig,
    private readonly metrics: MetricsService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const host = this.config.allowedHosts.includes('*')
      ? ({ ok: true } as const)
      : validateHostHeader(req.headers.host, this.config.allowedHosts);
    if (!host.ok) {
      this.metrics.reject('host');
      throw new JsonRpcHttpException(403, JsonRpcCode.ServerError, `Forbidden: ${host.message}`);
    }
    const origin = validateOriginHeader(req.headers.origin, this.config.allowedOrigins);
    if (!origin.ok) {
      this.metrics.reject('origin');
      throw new JsonRpcHttpException(403, JsonRpcCode.ServerError, `Forbidden: ${origin.message}`);
    }
    return true;
  }
}
