import type { IncomingMessage } from 'node:http';

/** Who is calling: the label of the key presented (never the key), or "anonymous" when keyless. */
export interface Principal {
  label: string;
  admin: boolean;
}

export const ANONYMOUS: Principal = Object.freeze({ label: 'anonymous', admin: false });

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
