import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JWTVerifyGetKey,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey,
  type JSONWebKeySet,
} from 'jose';
import type { OAuthConfig } from '../../config/configuration.types';
import { OAUTH_ALGORITHM_NAMES } from '../../config/environment';
import { isSecureUrl } from '../../config/oauth-config.parser';
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

/**
 * While the provider cannot be reached, the key set last received still verifies the tokens its
 * keys sign, up to this age: an outage at the moment the set is due again must not refuse all.
 */
export const STALE_KEYS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Where one issuer's keys come from, and how the last attempt to reach them went. */
interface KeySource {
  /** Fetches the key set; lookups use `received`, so a fetch and a key failing stay apart. */
  remote?: RemoteKeySet;
  discovering?: Promise<RemoteKeySet>;
  failedAt?: number;
  failure?: IdentityProviderUnavailableError;
  received?: ReceivedKeys;
}

/** The key set last received, when (on the injected clock), and the lookup over it. */
interface ReceivedKeys {
  jwks: JSONWebKeySet;
  at: number;
  lookUp: ReturnType<typeof createLocalJWKSet>;
}

/** The provider could not be asked: its answer, kept apart from errors of the keys themselves. */
class ProviderFailure extends Error {
  constructor(readonly unavailable: IdentityProviderUnavailableError) {
    super(unavailable.message);
  }
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
 * so an identity provider that is down is not asked on every request. Meanwhile the key set
 * last received keeps serving, up to STALE_KEYS_MAX_AGE_MS.
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
      if (this.config.jwksUrl) source.remote = this.remoteKeySet(new URL(this.config.jwksUrl));
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
    // Published keys are public keys: an HMAC or unknown algorithm is the token's fault.
    if (!(OAUTH_ALGORITHM_NAMES as readonly unknown[]).includes(header.alg))
      throw new OAuthError(
        OAuthErrorCode.InvalidToken,
        "The token's algorithm is one no published key serves",
      );
    if (source.failure && source.failedAt !== undefined) {
      if (this.now() - source.failedAt < this.config.jwksCooldownMs)
        return this.fromKeysAtHand(source, source.failure, header, token);
      source.failure = undefined;
      source.failedAt = undefined;
    }
    try {
      return await this.fromProvider(issuer, source, header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey)
        throw new OAuthError(
          OAuthErrorCode.InvalidToken,
          'The token is signed with a key the issuer does not publish',
        );
      if (!(error instanceof ProviderFailure)) throw error;
      source.failure = error.unavailable;
      source.failedAt = this.now();
      return this.fromKeysAtHand(source, error.unavailable, header, token);
    }
  }

  /**
   * The key from the set jose keeps: fetched when older than KEY_SET_MAX_AGE_MS, and again for
   * an unknown key id unless the set is younger than the cooldown.
   */
  private async fromProvider(
    issuer: string,
    source: KeySource,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<CryptoKey> {
    let remote: RemoteKeySet;
    try {
      remote = source.remote ?? (await this.discovered(issuer, source));
    } catch (error) {
      throw new ProviderFailure(fetchError(error, issuer));
    }
    const received =
      source.received && remote.fresh
        ? source.received
        : await this.fetched(issuer, source, remote);
    try {
      return await keyIn(received, header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || remote.coolingDown) throw error;
    }
    return keyIn(await this.fetched(issuer, source, remote), header, token);
  }

  private async fetched(
    issuer: string,
    source: KeySource,
    remote: RemoteKeySet,
  ): Promise<ReceivedKeys> {
    let jwks: JSONWebKeySet | undefined;
    try {
      await remote.reload();
      jwks = remote.jwks();
    } catch (error) {
      throw new ProviderFailure(fetchError(error, issuer));
    }
    if (!jwks) throw new ProviderFailure(fetchError(new Error('no key set'), issuer));
    // Concurrent lookups share one fetch: the set received stays the one already imported.
    if (source.received && sameKeys(source.received.jwks, jwks)) {
      source.received.at = this.now();
      return source.received;
    }
    source.received = { jwks, at: this.now(), lookUp: createLocalJWKSet(jwks) };
    return source.received;
  }

  /**
   * While the provider cannot be asked, the keys last received still serve the tokens they sign
   * for up to STALE_KEYS_MAX_AGE_MS; only a key id they do not hold waits for the provider.
   */
  private async fromKeysAtHand(
    source: KeySource,
    failure: IdentityProviderUnavailableError,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<CryptoKey> {
    const received = source.received;
    if (!received || this.now() - received.at > STALE_KEYS_MAX_AGE_MS) throw failure;
    try {
      return await keyIn(received, header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw failure;
      throw error;
    }
  }

  private discovered(issuer: string, source: KeySource): Promise<RemoteKeySet> {
    source.discovering ??= this.discover(issuer)
      .then((jwksUrl) => (source.remote = this.remoteKeySet(jwksUrl)))
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
  return isSecureUrl(url) ? url : null;
}

function sameKeys(a: JSONWebKeySet, b: JSONWebKeySet): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The key for a token in a key set received, or why not in the verifier's terms. */
async function keyIn(
  received: ReceivedKeys,
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
): Promise<CryptoKey> {
  try {
    // The algorithm is one of OAUTH_ALGORITHM_NAMES: lookUp checked it.
    const compact = header as Parameters<ReceivedKeys['lookUp']>[0];
    return (await received.lookUp(compact, token)) as CryptoKey;
  } catch (error) {
    throw keyError(error);
  }
}

/**
 * A failure to take a key out of a set received. No key for the key id is left to the caller,
 * which may fetch again; a published key this server cannot import is the provider's fault.
 */
function keyError(error: unknown): unknown {
  if (error instanceof errors.JWKSNoMatchingKey) return error;
  // Several keys fit a token without kid: the verifier tries each.
  if (error instanceof errors.JWKSMultipleMatchingKeys) return error;
  return unusableKey(error);
}

/** A published key jose refuses to import or to verify with (e.g. RSA under 2048 bits). */
export function unusableKey(error: unknown): IdentityProviderUnavailableError {
  return new IdentityProviderUnavailableError(
    `The provider publishes a key this server cannot use: ${errorText(error)}`,
    { cause: error },
  );
}

/** Why a key set could not be had: the provider is unavailable. */
function fetchError(error: unknown, issuer: string): IdentityProviderUnavailableError {
  if (error instanceof IdentityProviderUnavailableError) return error;
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
