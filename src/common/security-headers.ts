import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * helmet's default `upgrade-insecure-requests` is left out: it makes a browser fetch a plain-HTTP
 * page's own scripts over HTTPS, which a pod or a local server reached over HTTP does not answer
 * (the docs page stays blank). Every resource here is same-origin, so over HTTPS the directive
 * changes nothing; over HTTP it only breaks.
 */
const NO_UPGRADE = { upgradeInsecureRequests: null };

/** What every JSON route gets: nothing may be framed, scripted or embedded. */
export const strictSecurityHeaders: Middleware = helmet({
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], ...NO_UPGRADE },
  },
});

/** The docs page runs Swagger UI's scripts and styles from this server. */
export const docsSecurityHeaders: Middleware = helmet({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
      ...NO_UPGRADE,
    },
  },
});

/**
 * The headers a helmet middleware sets, captured once. With a fixed configuration (no per-request
 * nonces) they never depend on the request, so hot routes can set them without running helmet.
 */
export function capturedHeaders(middleware: Middleware): ReadonlyArray<[string, string]> {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  } as unknown as ServerResponse;
  let failure: unknown;
  middleware({ headers: {} } as IncomingMessage, recorder, (error) => (failure = error));
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return headers;
}
