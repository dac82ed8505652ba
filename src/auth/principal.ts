import type { IncomingMessage } from 'node:http';

/**
 * Who is calling: the label of the key presented (never the key), `gateway:<identity>` when an
 * authenticating gateway names the caller (IDENTITY_HEADER), or "anonymous" when keyless.
 */
export interface Principal {
  label: string;
  admin: boolean;
}

export const ANONYMOUS: Principal = Object.freeze({ label: 'anonymous', admin: false });

/** Key labels have no colon, so this prefix cannot be mistaken for one. */
const GATEWAY_PREFIX = 'gateway:';

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
  const authorization = req.headers.authorization;
  const bearer = authorization && /^Bearer\s+(.+)$/i.exec(authorization);
  return bearer ? bearer[1].trim() : undefined;
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
 * and are used as they are; identities a gateway names are unbounded, so they all count as
 * `gateway` (logs and the admin API still tell them apart).
 */
export function metricLabelOf(principal: Pick<Principal, 'label'>): string {
  return principal.label.startsWith(GATEWAY_PREFIX) ? 'gateway' : principal.label;
}
