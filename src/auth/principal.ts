import type { IncomingMessage } from 'node:http';

/**
 * Who is calling: the label of the key presented (never the key), `oauth:<caller>` for a bearer
 * token of a trusted issuer, `gateway:<identity>` when an authenticating gateway names the caller
 * (IDENTITY_HEADER), or "anonymous" when keyless. Sessions, limits and budgets belong to the label.
 */
export interface Principal {
  label: string;
  admin: boolean;
  /**
   * The label metrics count the caller under, when it is not derived from `label`: a configured
   * client application (`oauth:<client>`), never a person.
   */
  metric?: string;
}

export const ANONYMOUS: Principal = Object.freeze({ label: 'anonymous', admin: false });

/** Key labels have no colon, so these prefixes cannot be mistaken for one. */
const GATEWAY_PREFIX = 'gateway:';
export const OAUTH_PREFIX = 'oauth:';

/** What a gateway may name a caller: user names, e-mail addresses, ids, UUIDs. */
const GATEWAY_IDENTITY = /^[A-Za-z0-9._@:+-]{1,64}$/;

export type AuthenticatedRequest = IncomingMessage & { principal?: Principal };

export function principalOf(req: IncomingMessage): Principal {
  return (req as AuthenticatedRequest).principal ?? ANONYMOUS;
}

/** `X-API-Key: <key>`, or `Authorization: Bearer <key>` for clients that only set that header. */
export function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return bearerOf(req);
}

/** The credential of `Authorization: Bearer <credential>`, or undefined. */
export function bearerOf(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  const bearer = authorization && /^Bearer\s+(.+)$/i.exec(authorization);
  return bearer ? bearer[1].trim() : undefined;
}

/**
 * Three base64url parts: a JWS in compact form. With keys and tokens both taken, a key shaped
 * like this goes in X-API-Key.
 */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type Credential = { kind: 'key' | 'token'; value: string };

/**
 * What the request presents, by what the server takes: an `X-API-Key` is a key; a bearer shaped
 * like a JWT is a token when tokens are taken, anything else in it a key (clients that can only
 * set `Authorization` send their key there).
 */
export function presentedCredential(
  req: IncomingMessage,
  takes: { keys: boolean; tokens: boolean },
): Credential | undefined {
  const header = req.headers['x-api-key'];
  if (takes.keys && typeof header === 'string' && header !== '')
    return { kind: 'key', value: header };
  const bearer = bearerOf(req);
  if (bearer === undefined) return undefined;
  if (takes.tokens && (JWT_SHAPE.test(bearer) || !takes.keys))
    return { kind: 'token', value: bearer };
  return takes.keys ? { kind: 'key', value: bearer } : undefined;
}

export type GatewayIdentity =
  { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid' };

/**
 * The caller a gateway named in its identity header: trimmed, at most 64 characters of letters,
 * digits and `._@:+-`. A header sent twice (joined with a comma) or any other character is
 * invalid, never cut down to something that might be another caller.
 */
export function gatewayIdentityOf(req: IncomingMessage, headerName: string): GatewayIdentity {
  const raw = req.headers[headerName];
  if (raw === undefined) return { ok: false, reason: 'missing' };
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (value === '') return { ok: false, reason: 'missing' };
  if (!GATEWAY_IDENTITY.test(value)) return { ok: false, reason: 'invalid' };
  return { ok: true, principal: { label: `${GATEWAY_PREFIX}${value}`, admin: false } };
}

/**
 * The label a principal is counted under in metrics. Key labels are a bounded, configured set
 * and are used as they are; identities a gateway names and token subjects are unbounded, so they
 * count as `gateway` and `oauth` (or a configured client application's `oauth:<client>`); logs and
 * the admin API still tell them apart.
 */
export function metricLabelOf(principal: Pick<Principal, 'label' | 'metric'>): string {
  if (principal.metric) return principal.metric;
  if (principal.label.startsWith(GATEWAY_PREFIX)) return 'gateway';
  if (principal.label.startsWith(OAUTH_PREFIX)) return 'oauth';
  return principal.label;
}
