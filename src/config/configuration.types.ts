import type { ApiKeyEntry } from './api-keys.parser';
import type {
  AUTH_MODES,
  LOG_DESTINATIONS,
  LOG_FORMATS,
  LOG_LEVELS,
  MCP_TRANSPORTS,
} from './environment';

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
  /** Connections (so requests on the wire) to upstream at once. */
  maxSockets: number;
  /** Requests allowed to wait for a connection; beyond that they are refused as busy. */
  maxQueued: number;
  /**
   * How long a request may wait for a connection before it is refused as busy; at most the
   * deadline minus one attempt's timeout.
   */
  queueWaitMs: number;
  historyMaxRangeDays: number;
  /** History ranges longer than this many days are confirmed by the person first, if they can be. */
  historyConfirmDays: number;
  /** Unix seconds of the first history upstream has (HISTORY_EARLIEST_DATE, midnight UTC). */
  historyEarliest: number;
}

export interface CacheConfig {
  ttlSeconds: number;
  maxEntries: number;
  /** Budget of the in-memory cache, measured as the JSON size of the values it holds. */
  maxBytes: number;
  /** How old a value may be and still be served when upstream fails. */
  staleMaxSeconds: number;
  /** Distinct uncached upstream requests one key may cause per minute. */
  missesPerKeyPerMinute: number;
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

/** A client application counted by its label in metrics (OAUTH_CLIENTS). */
export interface OAuthClient {
  label: string;
  clientId: string;
}

/** The OAuth 2.1 resource server (AUTH_MODE oauth or both). */
export interface OAuthConfig {
  /** Accepted `iss` values, as written. */
  issuers: string[];
  /** One JWKS for every issuer; null: discovered from each issuer's metadata. */
  jwksUrl: string | null;
  /** The resource identifier of Streamable HTTP: PUBLIC_BASE_URL + /mcp. */
  resource: string;
  /** The server as a whole (PUBLIC_BASE_URL): the resource legacy SSE clients ask tokens for. */
  rootResource: string;
  /** Accepted `aud` values: both resource identifiers, then OAUTH_AUDIENCES. */
  audiences: string[];
  /** Every one must be granted for an MCP request. */
  requiredScopes: string[];
  /** Scope or role that opens /admin; null: only admin keys do. */
  adminScope: string | null;
  /** The claim naming the caller. */
  callerClaim: string;
  algorithms: string[];
  clockSkewSeconds: number;
  clients: OAuthClient[];
  jwksTimeoutMs: number;
  /** Least time between two JWKS fetches for an unknown key id. */
  jwksCooldownMs: number;
}

export interface AuthConfig {
  /** AUTH_MODE: which credentials the MCP routes take. */
  mode: (typeof AUTH_MODES)[number];
  /** Set when the mode is oauth or both. */
  oauth: OAuthConfig | null;
  /** Keys for the MCP routes (and /metrics when it requires a key). Empty: keyless. */
  keys: ApiKeyEntry[];
  /** Keys for /admin; empty disables the admin API. */
  adminKeys: ApiKeyEntry[];
  /** True when the MCP routes take no credential at all (no keys, no OAuth). */
  keyless: boolean;
  metricsRequireKey: boolean;
  /**
   * Lower-cased name of the header an authenticating gateway puts the caller's identity in
   * (IDENTITY_HEADER, only with AUTH_DISABLED=true), or null.
   */
  identityHeader: string | null;
  /** IDENTITY_HEADER as written, for the messages that name it; null when unset. */
  identityHeaderName: string | null;
  /**
   * Signs the state of questions to the person (REQUEST_STATE_KEY); absent: generated per process.
   * Key material: kept here, where the admin view lists only what it names.
   */
  requestStateKey?: string;
}

export interface HttpConfig {
  /**
   * Express `trust proxy`: false, a hop count, or a list of proxy addresses/CIDRs (or the names
   * loopback, linklocal, uniquelocal). IDENTITY_HEADER is believed only from such a list.
   */
  trustProxy: boolean | number | string[];
  corsOrigins: string[];
  maxBodyBytes: number;
  /** Deepest nesting of objects and arrays a JSON body may have. */
  maxJsonDepth: number;
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
  /** Open 2026-07-28 `subscriptions/listen` streams in all; also the SDK's subscription limit. */
  maxListenStreams: number;
  maxListenStreamsPerKey: number;
  /** A listen stream is ended after this long, the client listens again (0: never). */
  listenStreamMaxSeconds: number;
  shutdownGraceSeconds: number;
}

export interface RedisConfig {
  /** Null: no Redis, every replica keeps its own state (one process, stdio). */
  url: string | null;
  /** Every key and channel this server uses starts with it. */
  keyPrefix: string;
  /** This process among the replicas: names its heartbeat and the streams it holds. */
  replicaId: string;
  /** A Redis command that takes longer fails (limits and cache then fall back to this process). */
  commandTimeoutMs: number;
}

/** Resource subscriptions and resumable streams. */
export interface LiveConfig {
  /** Resources one session (or one 2026-07-28 listen stream) may subscribe to. */
  maxSubscriptionsPerSession: number;
  /** Subscriptions one key may hold over all its sessions (across replicas with Redis). */
  maxSubscriptionsPerKey: number;
  /** With replicas: how long the polling replica's lease lasts; another takes over after it. */
  pollLeaseMs: number;
  /** Events kept per session for a client that resumes a stream with Last-Event-ID. */
  eventLogMaxEvents: number;
  /** ... and their JSON size; the oldest are dropped beyond either bound. */
  eventLogMaxBytes: number;
  /** The `retry:` hint sent on Streamable HTTP streams: how long a client waits to reconnect. */
  streamRetryMs: number;
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
  redis: RedisConfig;
  live: LiveConfig;
}
