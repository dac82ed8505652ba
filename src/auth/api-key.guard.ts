import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AUTH_CONFIG } from '../config/app-config.module';
import type { AuthConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { AuthService } from './auth.service';
import { type AuthenticatedRequest, presentedKey } from './principal';

const UNAUTHORIZED = 'Unauthorized: a valid API key is required (X-API-Key header)';

/**
 * The challenge on every 401 (RFC 9110 §11.6.1 allows a comma-separated list in one header): the
 * key goes in X-API-Key, or as a bearer token.
 */
export const API_KEY_CHALLENGE = 'ApiKey header="X-API-Key", Bearer';

/** A 401 with its challenge; the exception filter renders the body and keeps the header. */
function unauthorized(context: ExecutionContext): UnauthorizedException {
  context
    .switchToHttp()
    .getResponse<Pick<ServerResponse, 'setHeader'>>()
    .setHeader('WWW-Authenticate', API_KEY_CHALLENGE);
  return new UnauthorizedException(UNAUTHORIZED);
}

/** The MCP routes: a user (or admin) key, unless the server runs keyless. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const outcome = this.auth.authenticateUser(req);
    if (!outcome.ok) {
      this.rejected.inc({ reason: 'auth' });
      if (outcome.reason === 'no-identity') throw new ForbiddenException(this.noIdentity);
      if (outcome.reason === 'identity') throw new BadRequestException(this.badIdentity);
      throw unauthorized(context);
    }
    req.principal = outcome.principal;
    // The MCP transports pass `req.auth` to the server as the call's authInfo: the label only.
    (req as AuthenticatedRequest & { auth?: unknown }).auth = {
      token: '',
      clientId: outcome.principal.label,
      scopes: [],
    };
    return true;
  }

  /**
   * No gateway identity: the request did not come through the gateway (which sets the header on
   * every request). 403, not 401: no credential the caller could add would help.
   */
  private get noIdentity(): string {
    return `Forbidden: the ${this.identityHeader} header naming the caller is missing: requests must come through the gateway`;
  }

  /** A malformed gateway identity is refused, never merged into another caller's budget. */
  private get badIdentity(): string {
    return `Bad Request: the ${this.identityHeader} header is not a valid caller identity (1 to 64 letters, digits and ._@:+-)`;
  }

  private get identityHeader(): string {
    return this.auth.identityHeaderName ?? 'identity';
  }
}

/** /admin: an admin key. A user key is 403; with no admin keys configured, admin does not exist. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.auth.adminEnabled) throw new NotFoundException('The admin API is disabled');
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const outcome = this.auth.authenticate(presentedKey(req));
    if (!outcome.ok) {
      this.rejected.inc({ reason: 'auth' });
      throw unauthorized(context);
    }
    if (!outcome.principal.admin) {
      this.rejected.inc({ reason: 'auth' });
      throw new ForbiddenException('Forbidden: this key is not an admin key');
    }
    req.principal = outcome.principal;
    return true;
  }
}

/** /metrics: open by default; any valid key when METRICS_REQUIRE_KEY=true. */
@Injectable()
export class MetricsKeyGuard implements CanActivate {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly auth: AuthService,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.metricsRequireKey) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const outcome = this.auth.authenticate(presentedKey(req));
    if (!outcome.ok) {
      this.rejected.inc({ reason: 'auth' });
      throw unauthorized(context);
    }
    return true;
  }
}
