import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JWTVerifyGetKey,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey,
} from 'jose';
import type { OAuthConfig } from '../../config/configuration.types';
import { IdentityProviderUnavailableError } from './token-verifier';

/** The part of `fetch` discovery needs; tests may pass their own. */
export type DiscoveryFetch = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string>; redirect: 'manual' },
) => Promise<{ status: number; json(): Promise<unknown> }>;

export interface IssuerKeysOptions {
  fetch?: DiscoveryFetch;
  /** The clock (ms) for the cooldown after a failure; Date.now by default. */
  now?: () => number;
}

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** Keys are taken again after this long even when no unknown key id asks for them. */
const KEY_SET_MAX_AGE_MS = 10 * 60 * 1000;

/** Host names a JWKS may be served from over plain http: a developer's machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where one issuer's keys come from, and how the last attempt to reach them went. */
interface KeySource {
  keys?: RemoteKeySet;
  discovering?: Promise<RemoteKeySet>;
  failedAt?: number;
  failure?: IdentityProviderUnavailableError;
}

/** A value from outside, fit for a message: no control characters, at most 200 characters. */
export function shown(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  const text = String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorText(error: unknown): string {
  // Errors from fetch may come from another realm: read them by shape, not by class.
  if (!isObject(error) || typeof error.message !== 'string') return shown(error);
  const cause = isObject(error.cause) ? error.cause : null;
  const detail = cause && typeof cause.message === 'string' ? ` (${shown(cause.message)})` : '';
  return `${shown(error.message)}${detail}`;
}

/** The places RFC 8414 and OpenID Connect Discovery put an issuer's metadata, in that order. */
export function metadataUrls(issuer: string): string[] {
  const base = issuer.replace(/\/$/, '');
  const url = new URL(base);
  const path = url.pathname.replace(/\/$/, '');
  return [
    `${base}/.well-known/openid-configuration`,
    // RFC 8414 puts the well-known segment between the host and the issuer's path.
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

/**
 * The verification keys of each trusted issuer, for jose's `jwtVerify(token, keysFor(iss))`.
 * Keys come from OAUTH_JWKS_URL when set, else from each issuer's metadata, found at first use.
 * jose caches a key set, takes it again for an unknown key id at most once per cooldown, and
 * times fetches out; a failed discovery or fetch is tried again only after the same cooldown,
 * so an identity provider that is down is not asked on every request.
 */
export class IssuerKeys {
  private readonly sources = new Map<string, KeySource>();
  private readonly fetch: DiscoveryFetch;
  private readonly now: () => number;

  constructor(
    private readonly config: OAuthConfig,
    options: IssuerKeysOptions = {},
  ) {
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.now = options.now ?? Date.now;
  }

  /** The key lookup for tokens issued by `issuer` (one of config.issuers). */
  keysFor(issuer: string): JWTVerifyGetKey {
    const sourceName = this.config.jwksUrl ?? issuer;
    let source = this.sources.get(sourceName);
    if (!source) {
      source = {};
      if (this.config.jwksUrl) source.keys = this.remoteKeySet(new URL(this.config.jwksUrl));
      this.sources.set(sourceName, source);
    }
    const known = source;
    return (header, token) => this.lookUp(issuer, known, header, token);
  }

  private async lookUp(
    issuer: string,
    source: KeySource,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<CryptoKey> {
    if (source.failure && source.failedAt !== undefined) {
      if (this.now() - source.failedAt < this.config.jwksCooldownMs)
        return this.fromKeysAtHand(issuer, source, source.failure, header, token);
      source.failure = undefined;
      source.failedAt = undefined;
    }
    try {
      const keys = source.keys ?? (await this.discovered(issuer, source));
      return (await keys(header, token)) as CryptoKey;
    } catch (error) {
      const mapped = lookupError(error, issuer);
      if (mapped instanceof IdentityProviderUnavailableError) {
        source.failure = mapped;
        source.failedAt = this.now();
      }
      throw mapped;
    }
  }

  /** While the provider is not asked again, the keys last received still serve the tokens they sign. */
  private async fromKeysAtHand(
    issuer: string,
    source: KeySource,
    failure: IdentityProviderUnavailableError,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<CryptoKey> {
    const jwks = source.keys?.fresh ? source.keys.jwks() : undefined;
    if (!jwks) throw failure;
    try {
      return (await createLocalJWKSet(jwks)(header, token)) as CryptoKey;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw failure;
      throw lookupError(error, issuer);
    }
  }

  private discovered(issuer: string, source: KeySource): Promise<RemoteKeySet> {
    source.discovering ??= this.discover(issuer)
      .then((jwksUrl) => (source.keys = this.remoteKeySet(jwksUrl)))
      .finally(() => (source.discovering = undefined));
    return source.discovering;
  }

  private async discover(issuer: string): Promise<URL> {
    const problems: string[] = [];
    for (const url of metadataUrls(issuer)) {
      const metadata = await this.metadataAt(url, problems);
      if (!metadata) continue;
      if (metadata.issuer !== issuer)
        throw new IdentityProviderUnavailableError(
          `The metadata at ${shown(url)} is for issuer ${shown(metadata.issuer)}, not ${shown(issuer)}`,
        );
      const jwksUrl = secureJwksUrl(metadata.jwks_uri);
      if (!jwksUrl)
        throw new IdentityProviderUnavailableError(
          `The metadata at ${shown(url)} names no usable jwks_uri (an https URL; http only on localhost)`,
        );
      return jwksUrl;
    }
    throw new IdentityProviderUnavailableError(
      `The metadata of issuer ${shown(issuer)} could not be read: ${problems.join('; ')}`,
    );
  }

  /** The metadata document at `url` when it has a jwks_uri; else why not, pushed onto `problems`. */
  private async metadataAt(
    url: string,
    problems: string[],
  ): Promise<Record<string, unknown> | null> {
    try {
      const response = await this.fetch(url, {
        signal: AbortSignal.timeout(this.config.jwksTimeoutMs),
        headers: { accept: 'application/json' },
        redirect: 'manual',
      });
      if (response.status !== 200) {
        problems.push(`${shown(url)} answered ${response.status}`);
        return null;
      }
      const metadata = await response.json();
      if (!isObject(metadata) || typeof metadata.jwks_uri !== 'string') {
        problems.push(`${shown(url)} has no jwks_uri`);
        return null;
      }
      return metadata;
    } catch (error) {
      // fetch rejects with a DOMException, which need not be an instance of this realm's Error.
      const timedOut = isObject(error) && error.name === 'TimeoutError';
      problems.push(
        timedOut
          ? `${shown(url)} did not answer within ${this.config.jwksTimeoutMs} ms`
          : `${shown(url)}: ${errorText(error)}`,
      );
      return null;
    }
  }

  private remoteKeySet(url: URL): RemoteKeySet {
    return createRemoteJWKSet(url, {
      timeoutDuration: this.config.jwksTimeoutMs,
      cooldownDuration: this.config.jwksCooldownMs,
      cacheMaxAge: KEY_SET_MAX_AGE_MS,
    });
  }
}

function secureJwksUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const secure =
    url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  return secure ? url : null;
}

/**
 * A key lookup's failure as the verifier answers it: a key id the issuer does not publish makes
 * the token invalid; anything else means the keys could not be had, so the provider is unavailable.
 */
function lookupError(error: unknown, issuer: string): unknown {
  if (error instanceof OAuthError || error instanceof IdentityProviderUnavailableError)
    return error;
  // Several keys fit a token without kid: the verifier tries each.
  if (error instanceof errors.JWKSMultipleMatchingKeys) return error;
  if (error instanceof errors.JWKSNoMatchingKey)
    return new OAuthError(
      OAuthErrorCode.InvalidToken,
      'The token is signed with a key the issuer does not publish',
    );
  // A symmetric algorithm: published keys are public keys, never HMAC secrets.
  if (error instanceof errors.JOSENotSupported)
    return new OAuthError(
      OAuthErrorCode.InvalidToken,
      "The token's algorithm is one no published key serves",
    );
  if (error instanceof errors.JWKSTimeout)
    return new IdentityProviderUnavailableError(
      `The keys of issuer ${shown(issuer)} did not arrive in time`,
      { cause: error },
    );
  return new IdentityProviderUnavailableError(
    `The keys of issuer ${shown(issuer)} could not be fetched: ${errorText(error)}`,
    { cause: error },
  );
}
