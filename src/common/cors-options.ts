import type { INestApplication } from '@nestjs/common';
import type { HttpConfig } from '../config/configuration.types';

/** Nest's CORS options, as `enableCors` takes them. */
type CorsOptions = Exclude<
  Parameters<INestApplication['enableCors']>[0],
  undefined | ((...args: never[]) => unknown)
>;

/** Headers a browser client may send to the MCP routes, and those it may read back. */
const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Accept',
  'Authorization',
  'X-API-Key',
  'X-Request-Id',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
];
const CORS_EXPOSED_HEADERS = [
  'Mcp-Session-Id',
  'X-Request-Id',
  'Retry-After',
  'RateLimit-Policy',
  'RateLimit',
];

/** One CORS policy for every route. */
export function corsOptions(http: HttpConfig): CorsOptions {
  return {
    origin: http.corsOrigins.length > 0 ? http.corsOrigins : false,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  };
}
