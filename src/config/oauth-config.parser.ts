import { isIP } from 'node:net';
import type { EnvironmentVariables } from './environment';
import { OAUTH_ALGORITHM_NAMES } from './environment';
import type { OAuthClient, OAuthConfig } from './configuration.types';

/** Host names an identity provider or the server may use plain http on: a developer's machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on a loopback name: what an identity provider's URLs may be. */
export function isSecureUrl(url: URL): boolean {
  return (
    url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  );
}

/** The settings that mean something only when tokens are taken, and are empty by default. */
const OAUTH_ONLY = [
  'OAUTH_ISSUERS',
  'OAUTH_JWKS_URL',
  'OAUTH_AUDIENCES',
  'OAUTH_REQUIRED_SCOPES',
  'OAUTH_ADMIN_SCOPE',
  'OAUTH_CLIENTS',
] as const;

/** Labels of OAUTH_CLIENTS become metric label values: short and plain. */
const CLIENT_LABEL = /^[A-Za-z0-9_-]{1,32}$/;

function list(value: string, separator: RegExp = /,/): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** An absolute http(s) URL, https unless its host is a loopback name; or a problem. */
function secureUrlProblem(name: string, value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name}: not an absolute URL (got ${JSON.stringify(value)})`;
  }
  if (!isSecureUrl(url))
    return `${name}: must be an https URL (http only on localhost) (got ${JSON.stringify(value)})`;
  if (url.search || url.hash)
    return `${name}: must not have a query or fragment (got ${JSON.stringify(value)})`;
  return null;
}

function clientsOf(value: string, problems: string[]): OAuthClient[] {
  const clients: OAuthClient[] = [];
  for (const item of list(value)) {
    const at = item.indexOf('=');
    const label = at > 0 ? item.slice(0, at).trim() : '';
    const clientId = at > 0 ? item.slice(at + 1).trim() : '';
    if (!CLIENT_LABEL.test(label) || clientId === '') {
      problems.push(
        `OAUTH_CLIENTS: each entry is label=client-id, the label 1 to 32 letters, digits, _ or - (got ${JSON.stringify(item)})`,
      );
    } else if (clients.some((c) => c.label === label || c.clientId === clientId)) {
      problems.push(`OAUTH_CLIENTS: "${item}" repeats a label or a client id`);
    } else clients.push({ label, clientId });
  }
  return clients;
}

/**
 * The OAuth resource server's settings when AUTH_MODE is oauth or both (null for api-key), with
 * every problem found pushed onto `problems`. Settings that only make sense with OAuth are refused
 * in api-key mode, so a forgotten AUTH_MODE does not leave a server quietly ignoring them.
 */
export function parseOAuthConfig(
  vars: EnvironmentVariables,
  publicBaseUrl: string,
  problems: string[],
): OAuthConfig | null {
  const issuers = list(vars.OAUTH_ISSUERS);
  if (vars.AUTH_MODE === 'api-key') {
    for (const name of OAUTH_ONLY) {
      if (vars[name].trim() !== '')
        problems.push(
          `${name}: set, but AUTH_MODE is api-key; set AUTH_MODE=oauth or both to accept tokens`,
        );
    }
    return null;
  }
  const before = problems.length;
  if (vars.AUTH_DISABLED)
    problems.push(`AUTH_DISABLED: cannot be true with AUTH_MODE=${vars.AUTH_MODE}`);
  if (vars.AUTH_MODE === 'oauth' && vars.API_KEYS.trim() !== '')
    problems.push(
      'API_KEYS: AUTH_MODE=oauth takes tokens only; set AUTH_MODE=both to accept API keys as well',
    );
  if (issuers.length === 0)
    problems.push(`OAUTH_ISSUERS: required with AUTH_MODE=${vars.AUTH_MODE}`);
  for (const issuer of issuers) {
    const problem = secureUrlProblem('OAUTH_ISSUERS', issuer);
    if (problem) problems.push(problem);
  }
  if (vars.OAUTH_JWKS_URL !== '') {
    const problem = secureUrlProblem('OAUTH_JWKS_URL', vars.OAUTH_JWKS_URL);
    if (problem) problems.push(problem);
    // One key set for several issuers would let one issuer sign tokens naming another.
    if (issuers.length > 1)
      problems.push(
        'OAUTH_JWKS_URL: only with a single issuer; with several, each issuer publishes its own keys (leave it empty)',
      );
  }
  const baseProblem = /^https?:\/\//.test(publicBaseUrl)
    ? secureUrlProblem('PUBLIC_BASE_URL', publicBaseUrl)
    : `PUBLIC_BASE_URL: AUTH_MODE=${vars.AUTH_MODE} needs the absolute URL clients reach the server under, the resource tokens are issued for (got ${JSON.stringify(publicBaseUrl)})`;
  if (baseProblem) problems.push(baseProblem);

  const algorithms = list(vars.OAUTH_ALGORITHMS);
  for (const algorithm of algorithms) {
    if (!(OAUTH_ALGORITHM_NAMES as readonly string[]).includes(algorithm))
      problems.push(
        `OAUTH_ALGORITHMS: ${JSON.stringify(algorithm)} is not accepted; asymmetric algorithms only: ${OAUTH_ALGORITHM_NAMES.join(', ')}`,
      );
  }
  if (algorithms.length === 0) problems.push('OAUTH_ALGORITHMS: name at least one algorithm');

  const aliases = list(vars.OAUTH_AUDIENCES);
  const clients = clientsOf(vars.OAUTH_CLIENTS, problems);
  const requiredScopes = [...new Set(list(vars.OAUTH_REQUIRED_SCOPES, /[\s,]+/))];
  if (vars.OAUTH_ADMIN_SCOPE !== '' && requiredScopes.includes(vars.OAUTH_ADMIN_SCOPE))
    problems.push(
      `OAUTH_ADMIN_SCOPE: "${vars.OAUTH_ADMIN_SCOPE}" is also required of every MCP caller, which would make each of them an admin`,
    );
  if (problems.length > before) return null;

  const rootResource = publicBaseUrl;
  const resource = `${publicBaseUrl}/mcp`;
  return {
    issuers,
    jwksUrl: vars.OAUTH_JWKS_URL === '' ? null : vars.OAUTH_JWKS_URL,
    resource,
    rootResource,
    audiences: [...new Set([resource, rootResource, ...aliases])],
    requiredScopes,
    adminScope: vars.OAUTH_ADMIN_SCOPE === '' ? null : vars.OAUTH_ADMIN_SCOPE,
    callerClaim: vars.OAUTH_CALLER_CLAIM,
    algorithms,
    clockSkewSeconds: vars.OAUTH_CLOCK_SKEW_SECONDS,
    clients,
    jwksTimeoutMs: vars.OAUTH_JWKS_TIMEOUT_MS,
    jwksCooldownMs: vars.OAUTH_JWKS_COOLDOWN_SECONDS * 1000,
  };
}

/**
 * IDENTITY_HEADER is believed only from proxies named by address: a hop count trusts whoever
 * connects, so it cannot tell the gateway from anyone else.
 */
export function trustedProxyProblem(identityHeader: string, trustProxy: string): string | null {
  if (identityHeader === '') return null;
  const items = list(trustProxy);
  const named = items.length > 0 && items.every((item) => !/^\d+$/.test(item));
  if (named && items.every(isProxyAddress)) return null;
  return `TRUST_PROXY: IDENTITY_HEADER is believed only from the gateway's addresses; list them (addresses, networks no wider than /8, or loopback, linklocal, uniquelocal), not a hop count (got ${JSON.stringify(trustProxy)})`;
}

/**
 * An address, a network no wider than a /8, or one of Express's names (loopback, …): a
 * wider one (0.0.0.0/0) would believe anyone's identity header.
 */
function isProxyAddress(item: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) return true;
  const [address, bits, extra] = item.split('/');
  if (extra !== undefined || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  const narrowest = isIP(address) === 4 ? 32 : 128;
  return Number(bits) <= narrowest && Number(bits) >= 8;
}
