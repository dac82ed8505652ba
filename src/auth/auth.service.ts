import { Inject, Injectable } from '@nestjs/common';
import { AUTH_CONFIG } from '../config/app-config.module';
import type { AuthConfig } from '../config/configuration.types';
import { matchApiKey } from './api-keys';
import { ANONYMOUS, Principal } from './principal';

export type AuthOutcome =
  { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid' };

@Injectable()
export class AuthService {
  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  get adminEnabled(): boolean {
    return this.config.adminKeys.length > 0;
  }

  /** A user or admin key for the MCP routes; anyone when the server runs keyless. */
  authenticateUser(presented: string | undefined): AuthOutcome {
    if (this.config.keyless) return { ok: true, principal: ANONYMOUS };
    return this.authenticate(presented);
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
