import type { AuthInfo, OAuthTokenVerifier } from '@modelcontextprotocol/server';

/** The OAuthTokenVerifier the guards use: JWTs checked against the issuers' published keys. */
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');

/** What a verified token says beyond AuthInfo's fields, in `AuthInfo.extra`. */
export interface VerifiedClaims {
  /** The `iss` it was issued by, one of OAUTH_ISSUERS. */
  issuer: string;
  /** The value of OAUTH_CALLER_CLAIM: who is calling. */
  caller: string;
  /** `roles` (Entra ID app roles, or a mapped claim), as strings. */
  roles: string[];
  /** The client application: `azp`, else `client_id`, else `cid`, else `appid`; null if none. */
  clientApp: string | null;
}

export type VerifiedToken = AuthInfo & { extra: VerifiedClaims & Record<string, unknown> };

/**
 * The identity provider could not be asked (metadata or JWKS unreachable, timed out, or not a
 * key set): the token is neither good nor bad yet, so the answer is 503, never 401, which would
 * send a client to log in again for nothing.
 */
export class IdentityProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityProviderUnavailableError';
  }
}

export type { OAuthTokenVerifier };
