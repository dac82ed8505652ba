import { OAuthError, OAuthErrorCode, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { OAuthConfig } from '../../config/configuration.types';
import { IssuerKeys, shown, unusableKey, type DiscoveryFetch } from './issuer-keys';
import { grantedScopes, rolesOf } from './scopes';
import { IdentityProviderUnavailableError, type VerifiedToken } from './token-verifier';

export interface JwtTokenVerifierOptions {
  /** The clock in ms; Date.now by default. */
  now?: () => number;
  /** For metadata discovery; the global fetch by default. */
  fetch?: DiscoveryFetch;
}

/** `typ` values an access token may carry (RFC 9068 and plain JWT). */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);

/** Payload `typ` values of an access token: Keycloak writes Bearer; absent elsewhere. */
const ACCESS_TOKEN_PAYLOAD_TYPES = new Set(['bearer', 'at+jwt']);

/** What Keycloak's payload `typ` says a token is instead, for the refusal. */
const OTHER_TOKEN_KINDS = new Map([
  ['id', 'an ID token'],
  ['refresh', 'a refresh token'],
  ['offline', 'an offline token'],
  ['logout', 'a logout token'],
]);

const MAX_CALLER_LENGTH = 256;

function invalid(message: string): OAuthError {
  return new OAuthError(OAuthErrorCode.InvalidToken, message);
}

/** A resource identifier compared as RFC 8707 does: one trailing slash makes no difference. */
function comparable(resource: string): string {
  return resource.replace(/\/$/, '');
}

/** A claim naming someone: a non-empty string (or a number) of at most 256 plain characters. */
function nameIn(value: unknown): string | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || text === '' || text.length > MAX_CALLER_LENGTH) return null;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(text) ? null : text;
}

/**
 * Checks access tokens as an OAuth 2.1 resource server: a JWT signed with an allowed algorithm
 * by one of the trusted issuers, for this server's audience, not expired, naming its caller.
 * The token itself is never kept nor passed on, and nothing is logged.
 */
export class JwtTokenVerifier implements OAuthTokenVerifier {
  private readonly keys: IssuerKeys;
  private readonly now: () => number;
  private readonly audiences: Set<string>;

  constructor(
    private readonly config: OAuthConfig,
    options: JwtTokenVerifierOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.keys = new IssuerKeys(config, { now: this.now, fetch: options.fetch });
    this.audiences = new Set(config.audiences.map(comparable));
  }

  async verifyAccessToken(token: string): Promise<VerifiedToken> {
    const issuer = this.trustedIssuer(token);
    const payload = await this.verified(token, issuer);
    this.checkAudience(payload.aud);
    if (typeof payload.exp !== 'number') throw invalid('The token has no expiry (exp)');
    const caller = nameIn(payload[this.config.callerClaim]);
    if (caller === null)
      throw invalid(`The token names no caller in ${shown(this.config.callerClaim)}`);
    // OIDC's azp; RFC 9068's client_id; Okta's cid; Entra ID v1's appid.
    const clientApp =
      nameIn(payload.azp) ??
      nameIn(payload.client_id) ??
      nameIn(payload.cid) ??
      nameIn(payload.appid);
    return {
      token: '',
      clientId: clientApp ?? caller,
      scopes: grantedScopes(payload),
      // verifyBearerToken checks expiresAt again, on its own clock and without skew: it gets the
      // time this token stops being accepted here, so both agree.
      expiresAt: payload.exp + this.config.clockSkewSeconds,
      resource: new URL(this.config.resource),
      extra: { issuer, caller, roles: rolesOf(payload), clientApp },
    };
  }

  /** Reads the header and the issuer, unverified, to refuse what no key lookup should serve. */
  private trustedIssuer(token: string): string {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let payload: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      payload = decodeJwt(token);
    } catch {
      throw invalid('The token is not a JWT');
    }
    const accepted = this.config.algorithms.join(', ');
    if (header.alg === 'none' || header.alg === undefined)
      throw invalid(`The token is not signed; accepted: ${accepted}`);
    if (!this.config.algorithms.includes(header.alg))
      throw invalid(`The token is signed with ${shown(header.alg)}; accepted: ${accepted}`);
    if (header.typ !== undefined && !ACCEPTED_TYPES.has(String(header.typ).toLowerCase()))
      throw invalid(`The token's type is ${shown(header.typ)}; accepted: JWT, at+jwt`);
    checkIsAccessToken(payload);
    if (typeof payload.iss !== 'string') throw invalid('The token names no issuer (iss)');
    if (!this.config.issuers.includes(payload.iss))
      throw invalid(
        `The token is issued by ${shown(payload.iss)}, which this server does not trust`,
      );
    return payload.iss;
  }

  private async verified(token: string, issuer: string): Promise<JWTPayload> {
    const options: JWTVerifyOptions = {
      issuer,
      algorithms: this.config.algorithms,
      clockTolerance: this.config.clockSkewSeconds,
      currentDate: new Date(this.now()),
      requiredClaims: ['exp'],
    };
    const keys = this.keys.keysFor(issuer);
    let keyFound = false;
    const tracked: JWTVerifyGetKey = async (header, input) => {
      const key = await keys(header, input);
      keyFound = true;
      return key;
    };
    try {
      return (await jwtVerify(token, tracked, options)).payload;
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys)
        return this.verifiedByAnyOf(token, error, options);
      throw this.answerFor(error, keyFound);
    }
  }

  /** A token without a key id, and several published keys that fit: the one that verifies wins. */
  private async verifiedByAnyOf(
    token: string,
    candidates: errors.JWKSMultipleMatchingKeys,
    options: JWTVerifyOptions,
  ): Promise<JWTPayload> {
    let last: unknown = new errors.JWSSignatureVerificationFailed();
    for await (const key of candidates) {
      const fixedKey: JWTVerifyGetKey = () => key;
      try {
        return (await jwtVerify(token, fixedKey, options)).payload;
      } catch (error) {
        last = error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw this.answerFor(last, true);
  }

  private checkAudience(aud: unknown): void {
    const given = (Array.isArray(aud) ? aud : [aud]).filter(
      (value): value is string => typeof value === 'string',
    );
    if (given.some((value) => this.audiences.has(comparable(value)))) return;
    const accepts = `this server accepts ${shown(this.config.audiences.join(', '))}`;
    if (given.length === 0) throw invalid(`The token names no audience (aud); ${accepts}`);
    throw invalid(
      `The token was issued for another audience (${shown(given.join(', '))}); ${accepts}`,
    );
  }

  /**
   * jose's verdict in words a person reading a 401 understands. Errors that are not jose's about
   * the token come from using the key (jose refuses an RSA key under 2048 bits with a TypeError);
   * JOSENotSupported, once the key is found, means the key too: both are the provider's fault.
   */
  private answerFor(error: unknown, keyFound: boolean): unknown {
    if (error instanceof OAuthError || error instanceof IdentityProviderUnavailableError)
      return error;
    if (!(error instanceof errors.JOSEError)) return unusableKey(error);
    if (keyFound && error instanceof errors.JOSENotSupported) return unusableKey(error);
    if (error instanceof errors.JWTExpired) return invalid('The token has expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'nbf') return invalid('The token is not valid yet');
      if (error.claim === 'exp') return invalid('The token has no valid expiry (exp)');
      if (error.claim === 'iat') return invalid('The token is issued in the future (iat)');
      if (error.claim === 'iss') return invalid('The token names another issuer than its keys');
      return invalid(`The token's claim ${shown(error.claim)} is not valid`);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed)
      return invalid("The token's signature does not verify");
    if (error instanceof errors.JOSEAlgNotAllowed)
      return invalid(
        `The token's algorithm is not accepted; accepted: ${this.config.algorithms.join(', ')}`,
      );
    return invalid('The token is not a valid JWT');
  }
}

/**
 * Refuses what an identity provider issues besides access tokens: Keycloak's payload `typ` names
 * ID, refresh, offline and logout tokens; a `nonce` marks an OpenID Connect ID token, unless the
 * payload says it is an access token (Keycloak before 24 copies the nonce into those).
 */
function checkIsAccessToken(payload: JWTPayload): void {
  if (payload.typ !== undefined) {
    const typ = String(payload.typ);
    const kind = OTHER_TOKEN_KINDS.get(typ.toLowerCase());
    if (kind) throw invalid(`The token is ${kind} (typ ${shown(typ)}), not an access token`);
    if (!ACCESS_TOKEN_PAYLOAD_TYPES.has(typ.toLowerCase()))
      throw invalid(`The token's payload type is ${shown(typ)}; accepted: Bearer, at+jwt`);
  }
  if (payload.nonce !== undefined && payload.typ === undefined)
    throw invalid(
      'The token carries a nonce, as an OpenID Connect ID token does: send the access token',
    );
}
