import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OAuthError, verifyBearerToken } from '@modelcontextprotocol/server';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AUTH_CONFIG, HTTP_CONFIG } from '../config/app-config.module';
import type { AuthConfig, HttpConfig, OAuthConfig } from '../config/configuration.types';
import { matchApiKey } from './api-keys';
import { AUTH_TOKEN_CHECKS, type TOKEN_CHECK_OUTCOMES } from './auth.metrics';
import { missingScopes, satisfies } from './oauth/scopes';
import {
  IdentityProviderUnavailableError,
  type OAuthTokenVerifier,
  TOKEN_VERIFIER,
  type VerifiedToken,
} from './oauth/token-verifier';
import {
  ANONYMOUS,
  type Credential,
  gatewayIdentityOf,
  OAUTH_PREFIX,
  Principal,
  presentedCredential,
} from './principal';
import { trustedProxyCheck } from './trusted-proxy';

/**
 * Why a request is refused:
 * - `missing`/`invalid`: no credential, or a key or token that is not good (401);
 * - `scope`: a good token without the scopes asked for (403 insufficient_scope);
 * - `not-admin`: a good credential that does not open /admin (403);
 * - `no-identity`/`identity`: the gateway's identity header is missing, or not an identity;
 * - `untrusted-proxy`: the identity header came from an address TRUST_PROXY does not name (403);
 * - `unavailable`: the identity provider could not be asked to check a token (503).
 */
export type AuthFailure =
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'invalid'; kind: Credential['kind']; message?: string }
  | { ok: false; reason: 'scope'; required: string[] }
  | { ok: false; reason: 'not-admin'; kind: Credential['kind'] }
  | { ok: false; reason: 'no-identity' | 'identity' | 'untrusted-proxy' }
  | { ok: false; reason: 'unavailable' };

/** `roles`: a token's roles, which meet required scopes of the same name. */
/** The routes by the credentials they take: MCP routes, /admin, /metrics. */
export type CredentialRoute = 'user' | 'admin' | 'metrics';

export type AuthOutcome =
  { ok: true; principal: Principal; scopes: string[]; roles?: string[] } | AuthFailure;

/** At most one line per this long about an identity provider out of reach: an outage is one event. */
const PROVIDER_LOG_INTERVAL_MS = 30_000;

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly fromTrustedProxy: (address: string | undefined) => boolean;
  private providerLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(HTTP_CONFIG) http: Pick<HttpConfig, 'trustProxy'>,
    @Optional() @Inject(TOKEN_VERIFIER) private readonly verifier: OAuthTokenVerifier | null = null,
    @Optional()
    @InjectMetric(AUTH_TOKEN_CHECKS.name)
    private readonly tokenChecks: Counter<'outcome'> | null = null,
  ) {
    this.fromTrustedProxy = trustedProxyCheck(http.trustProxy);
    if (config.oauth && !verifier) throw new Error('OAuth is configured without a token verifier');
  }

  /** The gateway's identity header as written in IDENTITY_HEADER, for messages; or null. */
  get identityHeaderName(): string | null {
    return this.config.identityHeaderName;
  }

  /** The OAuth settings, when tokens are taken. */
  get oauth(): OAuthConfig | null {
    return this.config.oauth;
  }

  /**
   * Which credentials a route takes — the one rule for the checks here and for the challenges the
   * guards answer with. The MCP routes take keys unless the mode is oauth alone; /admin and
   * /metrics take (admin) keys in every mode, and tokens when tokens can open them.
   */
  takes(route: CredentialRoute): { keys: boolean; tokens: boolean } {
    const oauth = this.config.oauth;
    if (route === 'user') return { keys: this.config.mode !== 'oauth', tokens: oauth !== null };
    if (route === 'admin') return { keys: true, tokens: oauth?.adminScope != null };
    return { keys: true, tokens: oauth !== null };
  }

  /** METRICS_REQUIRE_KEY: /metrics wants a key or a token. */
  get metricsRequireKey(): boolean {
    return this.config.metricsRequireKey;
  }

  get adminEnabled(): boolean {
    return this.config.adminKeys.length > 0 || this.config.oauth?.adminScope != null;
  }

  /**
   * The caller of an MCP route: a user or admin key, or a token of a trusted issuer with the
   * required scopes; anyone when the server runs keyless, named by the gateway's identity header
   * when one is configured. With one configured, a request without it (or with it empty) did not
   * come through the gateway, which names every caller, and is refused rather than served as an
   * unnamed anonymous caller; it is believed only from the proxies TRUST_PROXY lists.
   */
  async authenticateUser(req: IncomingMessage): Promise<AuthOutcome> {
    if (this.config.keyless) return this.gatewayCaller(req);
    const credential = presentedCredential(req, this.takes('user'));
    if (!credential) return { ok: false, reason: 'missing' };
    if (credential.kind === 'key') return this.authenticate(credential.value);
    const outcome = await this.verifyToken(credential.value);
    if (!outcome.ok) return this.counted(outcome);
    // Entra ID grants applications (client credentials) roles, never scopes: a role of the
    // required name is as good a grant.
    const granted = [...outcome.scopes, ...(outcome.roles ?? [])];
    const { requiredScopes, audiences } = this.config.oauth!;
    const required = missingScopes(granted, requiredScopes, audiences);
    if (required.length > 0) return this.counted({ ok: false, reason: 'scope', required });
    return this.counted(outcome);
  }

  /**
   * The caller of /admin: an admin key, or a token with the admin scope or role. A user key, or a
   * token without it, is `not-admin` or `scope` (403), not 401.
   */
  async authenticateAdmin(req: IncomingMessage): Promise<AuthOutcome> {
    const credential = presentedCredential(req, this.takes('admin'));
    if (!credential) return { ok: false, reason: 'missing' };
    if (credential.kind === 'token') {
      const outcome = await this.verifyToken(credential.value);
      if (outcome.ok && !outcome.principal.admin)
        return this.counted({
          ok: false,
          reason: 'scope',
          required: [this.config.oauth!.adminScope!],
        });
      return this.counted(outcome);
    }
    const outcome = this.authenticate(credential.value);
    if (!outcome.ok || outcome.principal.admin) return outcome;
    return { ok: false, reason: 'not-admin', kind: 'key' };
  }

  /** Any configured key, or any good token: enough to read /metrics when it asks for a key. */
  async authenticateAny(req: IncomingMessage): Promise<AuthOutcome> {
    const credential = presentedCredential(req, this.takes('metrics'));
    if (!credential) return { ok: false, reason: 'missing' };
    return credential.kind === 'key'
      ? this.authenticate(credential.value)
      : this.counted(await this.verifyToken(credential.value));
  }

  /** Counts the outcome of a token check once, where the route has decided it. */
  private counted(outcome: AuthOutcome): AuthOutcome {
    const label: (typeof TOKEN_CHECK_OUTCOMES)[number] = outcome.ok
      ? 'accepted'
      : outcome.reason === 'scope'
        ? 'insufficient_scope'
        : outcome.reason === 'unavailable'
          ? 'provider_unavailable'
          : 'invalid';
    this.tokenChecks?.inc({ outcome: label });
    return outcome;
  }

  /**
   * Any configured key, admin or user: the caller decides what a user key may do (on /admin it
   * is a 403, not a 401).
   */
  authenticate(presented: string | undefined): AuthOutcome {
    if (!presented) return { ok: false, reason: 'missing' };
    const admin = matchApiKey(presented, this.config.adminKeys);
    if (admin) return { ok: true, principal: { label: admin.label, admin: true }, scopes: [] };
    const user = matchApiKey(presented, this.config.keys);
    if (user) return { ok: true, principal: { label: user.label, admin: false }, scopes: [] };
    return { ok: false, reason: 'invalid', kind: 'key' };
  }

  private gatewayCaller(req: IncomingMessage): AuthOutcome {
    if (this.config.identityHeader === null) return { ok: true, principal: ANONYMOUS, scopes: [] };
    if (!this.fromTrustedProxy(req.socket?.remoteAddress))
      return { ok: false, reason: 'untrusted-proxy' };
    const identity = gatewayIdentityOf(req, this.config.identityHeader);
    if (identity.ok) return { ...identity, scopes: [] };
    return { ok: false, reason: identity.reason === 'missing' ? 'no-identity' : 'identity' };
  }

  /**
   * A bearer token through the SDK's verifyBearerToken (expiry, resource) and our verifier
   * (signature, issuer, audience, algorithm). The token itself goes no further than this.
   */
  private async verifyToken(token: string): Promise<AuthOutcome> {
    const oauth = this.config.oauth!;
    let info: VerifiedToken;
    try {
      info = (await verifyBearerToken(`Bearer ${token}`, {
        verifier: this.verifier!,
        expectedResource: new URL(oauth.resource),
      })) as VerifiedToken;
    } catch (error) {
      if (error instanceof OAuthError)
        return { ok: false, reason: 'invalid', kind: 'token', message: error.message };
      // The provider (or a key it publishes) failed us, not the caller: 503. What failed is for
      // the operator's log, not for an unauthenticated caller.
      this.providerFailed(error);
      return { ok: false, reason: 'unavailable' };
    }
    const { issuer, caller, roles, clientApp } = info.extra;
    // Two issuers may both have an "alice": a tag of the issuer keeps them apart, the same
    // whatever the order of OAUTH_ISSUERS (sessions outlive a configuration change).
    const issuerTag = oauth.issuers.length > 1 ? `${issuerTagOf(issuer)}:` : '';
    const client = oauth.clients.find((c) => c.clientId === clientApp);
    const admin =
      oauth.adminScope !== null &&
      (satisfies(info.scopes, oauth.adminScope, oauth.audiences) ||
        roles.includes(oauth.adminScope));
    return {
      ok: true,
      principal: {
        label: `${OAUTH_PREFIX}${issuerTag}${caller}`,
        admin,
        metric: client ? `${OAUTH_PREFIX}${client.label}` : 'oauth',
      },
      scopes: info.scopes,
      roles,
    };
  }

  private providerFailed(error: unknown): void {
    const now = Date.now();
    const known = error instanceof IdentityProviderUnavailableError;
    if (known && now - this.providerLoggedAt < PROVIDER_LOG_INTERVAL_MS) return;
    this.providerLoggedAt = now;
    this.logger.warn(
      known ? { reason: (error as Error).message } : { err: error },
      'identity provider out of reach: tokens cannot be checked',
    );
  }
}

/** Eight hex digits of the issuer's SHA-256: short, and stable across configuration changes. */
export function issuerTagOf(issuer: string): string {
  return createHash('sha256').update(issuer).digest('hex').slice(0, 8);
}
