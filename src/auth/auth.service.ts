import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AUTH_CONFIG } from '../config/app-config.module';
import type { AuthConfig } from '../config/configuration.types';
import { matchApiKey } from './api-keys';
import { ANONYMOUS, gatewayIdentityOf, Principal, presentedKey } from './principal';

/**
 * `missing`/`invalid`: no or an unknown key. `no-identity`: the gateway's identity header is
 * missing or empty; `identity`: its value is not a valid identity.
 */
export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'missing' | 'invalid' | 'no-identity' | 'identity' };

@Injectable()
export class AuthService {
  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  /** The gateway's identity header as written in IDENTITY_HEADER, for messages; or null. */
  get identityHeaderName(): string | null {
    return this.config.identityHeaderName;
  }

  get adminEnabled(): boolean {
    return this.config.adminKeys.length > 0;
  }

  /**
   * The caller of an MCP route: a user or admin key; anyone when the server runs keyless, named
   * by the gateway's identity header when one is configured. With one configured, a request
   * without it (or with it empty) did not come through the gateway, which names every caller, and
   * is refused rather than served as an unnamed anonymous caller. The header is believed as sent:
   * the server must be reachable only through the gateway.
   */
  authenticateUser(req: IncomingMessage): AuthOutcome {
    if (!this.config.keyless) return this.authenticate(presentedKey(req));
    if (this.config.identityHeader === null) return { ok: true, principal: ANONYMOUS };
    const identity = gatewayIdentityOf(req, this.config.identityHeader);
    if (identity.ok) return identity;
    return { ok: false, reason: identity.reason === 'missing' ? 'no-identity' : 'identity' };
  }

  /**
   * Any configured key, admin or user: the caller decides what a user key may do (on /admin it
   * is a 403, not a 401).
   */
  authenticate(presented: string | undefined): AuthOutcome {
    if (!presented) return { ok: false, reason: 'missing' };
    const admin = matchApiKey(presented, this.config.adminKeys);
    if (admin) return { ok: true, principal: { label: admin.label, admin: true } };
    const user = matchApiKey(presented, this.config.keys);
    if (user) return { ok: true, principal: { label: user.label, admin: false } };
    return { ok: false, reason: 'invalid' };
  }
}
