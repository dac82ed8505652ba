import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { OAuthConfig } from '../config/configuration.types';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { AuthFailure, AuthService, type CredentialRoute } from './auth.service';
import { bearerChallenge } from './oauth/bearer-challenge';
import { ProtectedResource } from './oauth/protected-resource';
import { type AuthenticatedRequest } from './principal';

/**
 * The challenge on a 401 of a server that takes API keys (RFC 9110 §11.6.1 allows a
 * comma-separated list in one header): the key goes in X-API-Key, or as a bearer token.
 */
export const API_KEY_CHALLENGE = 'ApiKey header="X-API-Key", Bearer';

/** Seconds a client waits before asking again when the identity provider could not be reached. */
const IDP_RETRY_AFTER_SECONDS = 5;

type Route = 'mcp' | 'server' | 'admin' | 'metrics';

/** What the guards share: turning a refusal into its status, message and challenge. */
@Injectable()
abstract class CredentialGuard implements CanActivate {
  constructor(
    protected readonly auth: AuthService,
    protected readonly resource: ProtectedResource,
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
  ) {}

  abstract canActivate(context: ExecutionContext): Promise<boolean>;

  protected refuse(context: ExecutionContext, failure: AuthFailure, route: Route): HttpException {
    this.rejected.inc({ reason: 'auth' });
    const res = context.switchToHttp().getResponse<Pick<ServerResponse, 'setHeader'>>();
    switch (failure.reason) {
      case 'missing':
        res.setHeader('WWW-Authenticate', this.challenge(route));
        return new UnauthorizedException(this.missingMessage(route));
      case 'invalid':
        res.setHeader(
          'WWW-Authenticate',
          failure.kind === 'token'
            ? this.challenge(route, { error: 'invalid_token', description: failure.message })
            : this.challenge(route),
        );
        return new UnauthorizedException(
          failure.kind === 'token'
            ? `Unauthorized: ${failure.message ?? 'the bearer token is not valid'}`
            : 'Unauthorized: this API key is not valid',
        );
      case 'scope':
        res.setHeader(
          'WWW-Authenticate',
          this.challenge(route, {
            error: 'insufficient_scope',
            description: `The token lacks the scope ${failure.required.join(' ')}`,
            scopes: failure.required,
          }),
        );
        return new ForbiddenException(
          `Forbidden: the token is not granted ${failure.required.map((s) => `"${s}"`).join(', ')}, which ${route === 'admin' ? 'the admin API needs' : 'this server needs'}`,
        );
      case 'not-admin':
        return new ForbiddenException('Forbidden: this key is not an admin key');
      case 'unavailable':
        res.setHeader('Retry-After', String(IDP_RETRY_AFTER_SECONDS));
        return new ServiceUnavailableException(
          'Service Unavailable: the identity provider could not be reached to check the token; try again shortly',
        );
      case 'untrusted-proxy':
        return new ForbiddenException(
          `Forbidden: the ${this.identityHeader} header is believed only from the gateway's addresses (TRUST_PROXY)`,
        );
      case 'no-identity':
        // The gateway sets the header on every request: 403, no credential would help.
        return new ForbiddenException(
          `Forbidden: the ${this.identityHeader} header naming the caller is missing: requests must come through the gateway`,
        );
      case 'identity':
        // A malformed gateway identity is refused, never merged into another caller's budget.
        return new BadRequestException(
          `Bad Request: the ${this.identityHeader} header is not a valid caller identity (1 to 64 letters, digits and ._@:+-)`,
        );
    }
  }

  /**
   * The challenges this server answers a 401 with. With tokens, Bearer comes first (with the
   * metadata URL and scopes): the MCP client reads the first scheme of the header.
   */
  private challenge(
    route: Route,
    problem: Pick<Parameters<typeof bearerChallenge>[0], 'error' | 'description'> & {
      scopes?: readonly string[];
    } = {},
  ): string {
    const oauth = this.auth.oauth;
    const takes = this.auth.takes(credentialRouteOf(route));
    if (!oauth || !takes.tokens) return API_KEY_CHALLENGE;
    const bearer = bearerChallenge({
      ...problem,
      resourceMetadata:
        route === 'mcp' ? this.resource.metadataUrl.mcp : this.resource.metadataUrl.server,
      scopes: problem.scopes ?? scopesFor(route, oauth),
    });
    // A key would not help a token short of a scope (403): only a 401 offers the key scheme too.
    const keys = problem.error !== 'insufficient_scope' && takes.keys;
    return keys ? `${bearer}, ApiKey header="X-API-Key"` : bearer;
  }

  private missingMessage(route: Route): string {
    const takes = this.auth.takes(credentialRouteOf(route));
    if (!takes.tokens) return 'Unauthorized: a valid API key is required (X-API-Key header)';
    const token = `a bearer token from ${this.auth.oauth!.issuers.join(' or ')} (Authorization: Bearer …)`;
    return takes.keys
      ? `Unauthorized: an API key (X-API-Key header) or ${token} is required`
      : `Unauthorized: ${token} is required`;
  }

  private get identityHeader(): string {
    return this.auth.identityHeaderName ?? 'identity';
  }
}

/** Both MCP resources take what MCP callers present. */
function credentialRouteOf(route: Route): CredentialRoute {
  return route === 'mcp' || route === 'server' ? 'user' : route;
}

/** What a token for a route is asked to be granted: the MCP scopes, the admin scope, or none. */
function scopesFor(route: Route, oauth: OAuthConfig): readonly string[] {
  if (route === 'admin') return [oauth.adminScope!];
  return route === 'metrics' ? [] : oauth.requiredScopes;
}

/** `/mcp` is its own resource; `/sse` and `/messages` belong to the server as a whole. */
function routeOf(req: IncomingMessage & { path?: string }): Route {
  const path = req.path ?? req.url ?? '';
  return path === '/mcp' || path.startsWith('/mcp/') || path.startsWith('/mcp?') ? 'mcp' : 'server';
}

/** The MCP routes: an API key or a bearer token, unless the server runs keyless. */
@Injectable()
export class ApiKeyGuard extends CredentialGuard {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const outcome = await this.auth.authenticateUser(req);
    if (!outcome.ok) throw this.refuse(context, outcome, routeOf(req));
    req.principal = outcome.principal;
    // The MCP transports pass `req.auth` to the server as the call's authInfo: who is calling,
    // never the credential (a token is not passed on to anything).
    (req as AuthenticatedRequest & { auth?: unknown }).auth = {
      token: '',
      clientId: outcome.principal.label,
      scopes: outcome.scopes,
      ...(outcome.principal.metric && { extra: { metricLabel: outcome.principal.metric } }),
    };
    return true;
  }
}

/**
 * /admin: an admin key, or a token with OAUTH_ADMIN_SCOPE (as a scope or a role). A user key is
 * 403; with neither configured, admin does not exist.
 */
@Injectable()
export class AdminKeyGuard extends CredentialGuard {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.auth.adminEnabled) throw new NotFoundException('The admin API is disabled');
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const outcome = await this.auth.authenticateAdmin(req);
    if (!outcome.ok) throw this.refuse(context, outcome, 'admin');
    req.principal = outcome.principal;
    return true;
  }
}

/** /metrics: open by default; any valid key or token when METRICS_REQUIRE_KEY=true. */
@Injectable()
export class MetricsKeyGuard extends CredentialGuard {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.auth.metricsRequireKey) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const outcome = await this.auth.authenticateAny(req);
    if (!outcome.ok) throw this.refuse(context, outcome, 'metrics');
    return true;
  }
}
