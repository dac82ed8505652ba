import type { ApiKeyEntry } from './api-keys.parser';
import type { LOG_DESTINATIONS, LOG_FORMATS, LOG_LEVELS, MCP_TRANSPORTS } from './environment';

export interface ServerConfig {
  host: string;
  port: number;
}

export interface AareguruConfig {
  /** Without a trailing slash. */
  baseUrl: string;
  /** Sent as `app` on every request. */
  appName: string;
  /** Sent as `version` on every request: the package version. */
  appVersion: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Per operation, retries included: no caller waits longer. */
  deadlineMs: number;
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Consecutive failures that open the circuit. */
  breakerFailures: number;
  /** How long the circuit stays open before one trial call. */
  breakerHalfOpenMs: number;
  historyMaxRangeDays: number;
}

export interface CacheConfig {
  ttlSeconds: number;
  maxEntries: number;
  /** How old a value may be and still be served when upstream fails. */
  staleMaxSeconds: number;
}

export interface LoggingConfig {
  level: (typeof LOG_LEVELS)[number];
  format: (typeof LOG_FORMATS)[number];
  destination: (typeof LOG_DESTINATIONS)[number];
}

export interface McpConfig {
  transport: (typeof MCP_TRANSPORTS)[number];
  /** The public URL clients reach the server under, when configured ('' otherwise). */
  publicBaseUrl: string;
  /** Path prefix under which clients reach the server ('' or '/aare'), for URLs we hand out. */
  publicBasePath: string;
  sseHeartbeatSeconds: number;
  /** Host names (no port) accepted in the Host header. */
  allowedHosts: string[];
  /** Host names accepted in an Origin header (a request without Origin is always fine). */
  allowedOrigins: string[];
}

export interface AuthConfig {
  /** Keys for the MCP routes (and /metrics when it requires a key). Empty: keyless. */
  keys: ApiKeyEntry[];
  /** Keys for /admin; empty disables the admin API. */
  adminKeys: ApiKeyEntry[];
  /** True when the server deliberately runs without keys. */
  keyless: boolean;
  metricsRequireKey: boolean;
}

export interface HttpConfig {
  /** Express `trust proxy`: false, a hop count, or a list of proxy addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  corsOrigins: string[];
  maxBodyBytes: number;
  /** An `initialize` message larger than this is refused before a session exists. */
  maxInitializeBytes: number;
  rateLimitPerMinute: number;
  rateLimitPerHour: number;
  sessionOpenPerMinute: number;
  /** Node HTTP server bounds: slow or idle sockets are closed, connections capped. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export interface SessionConfig {
  maxSessions: number;
  maxSessionsPerKey: number;
  idleTimeoutSeconds: number;
  /** An idle session lets its server go after this long (0: never). */
  hibernateAfterSeconds: number;
  /** 0: no maximum. */
  maxLifetimeSeconds: number;
  shutdownGraceSeconds: number;
}

export interface AppConfiguration {
  env: string;
  server: ServerConfig;
  aareguru: AareguruConfig;
  cache: CacheConfig;
  logging: LoggingConfig;
  mcp: McpConfig;
  auth: AuthConfig;
  http: HttpConfig;
  sessions: SessionConfig;
}
