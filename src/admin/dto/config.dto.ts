import { ApiProperty } from '@nestjs/swagger';

/**
 * GET /admin/config: the configuration in force (AppConfiguration), with key material replaced
 * by labels and a Redis password by "redacted". AdminService.effectiveConfig returns this type,
 * so the compiler keeps the two in step; an e2e spec compares it with a live answer.
 */
export class ServerConfigDto {
  @ApiProperty({ description: 'HOST' }) host!: string;
  @ApiProperty({ description: 'PORT (the configured one; 0 picks a free port)' }) port!: number;
}

export class AareguruConfigDto {
  @ApiProperty({ description: 'AAREGURU_BASE_URL, without a trailing slash' }) baseUrl!: string;
  @ApiProperty({ description: 'AAREGURU_APP_NAME' }) appName!: string;
  @ApiProperty({ description: 'The package version, sent upstream as `version`' })
  appVersion!: string;
  @ApiProperty({ description: 'AAREGURU_TIMEOUT_MS' }) timeoutMs!: number;
  @ApiProperty({ description: 'AAREGURU_DEADLINE_MS' }) deadlineMs!: number;
  @ApiProperty({ description: 'AAREGURU_RETRIES' }) retries!: number;
  @ApiProperty({ description: 'AAREGURU_RETRY_BASE_DELAY_MS' }) retryBaseDelayMs!: number;
  @ApiProperty({ description: 'AAREGURU_RETRY_MAX_DELAY_MS' }) retryMaxDelayMs!: number;
  @ApiProperty({ description: 'AAREGURU_BREAKER_FAILURES' }) breakerFailures!: number;
  @ApiProperty({ description: 'AAREGURU_BREAKER_HALF_OPEN_MS' }) breakerHalfOpenMs!: number;
  @ApiProperty({ description: 'AAREGURU_MAX_SOCKETS' }) maxSockets!: number;
  @ApiProperty({ description: 'AAREGURU_MAX_QUEUED' }) maxQueued!: number;
  @ApiProperty({
    description: 'AAREGURU_QUEUE_WAIT_MS, capped at AAREGURU_DEADLINE_MS - AAREGURU_TIMEOUT_MS',
  })
  queueWaitMs!: number;
  @ApiProperty({ description: 'HISTORY_MAX_RANGE_DAYS' }) historyMaxRangeDays!: number;
  @ApiProperty({
    description: 'HISTORY_CONFIRM_DAYS: longer ranges are confirmed first by clients that can ask',
  })
  historyConfirmDays!: number;
  @ApiProperty({ description: 'HISTORY_EARLIEST_DATE as Unix seconds (midnight UTC)' })
  historyEarliest!: number;
}

export class CacheConfigDto {
  @ApiProperty({ description: 'CACHE_TTL_SECONDS' }) ttlSeconds!: number;
  @ApiProperty({ description: 'CACHE_MAX_ENTRIES' }) maxEntries!: number;
  @ApiProperty({ description: 'CACHE_MAX_BYTES' }) maxBytes!: number;
  @ApiProperty({ description: 'CACHE_STALE_MAX_SECONDS' }) staleMaxSeconds!: number;
  @ApiProperty({ description: 'UPSTREAM_MISSES_PER_KEY_PER_MINUTE' })
  missesPerKeyPerMinute!: number;
}

export class LoggingConfigDto {
  @ApiProperty({ enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] })
  level!: string;
  @ApiProperty({ enum: ['json', 'pretty'] }) format!: string;
  @ApiProperty({ enum: ['stdout', 'stderr'] }) destination!: string;
}

export class McpConfigDto {
  @ApiProperty({ enum: ['http', 'stdio'] }) transport!: string;
  @ApiProperty({ description: "PUBLIC_BASE_URL without a trailing slash; '' when unset" })
  publicBaseUrl!: string;
  @ApiProperty({ description: "Its path, prefixed to URLs handed out ('' or e.g. /aare)" })
  publicBasePath!: string;
  @ApiProperty({ description: 'SSE_HEARTBEAT_SECONDS' }) sseHeartbeatSeconds!: number;
  @ApiProperty({ type: [String], description: 'ALLOWED_HOSTS, or the loopback names' })
  allowedHosts!: string[];
  @ApiProperty({
    type: [String],
    description: 'ALLOWED_ORIGINS, or the loopback names and the hosts of CORS_ORIGINS',
  })
  allowedOrigins!: string[];
}

export class OAuthClientDto {
  @ApiProperty({ description: 'The label metrics count it under, as oauth:<label>' })
  label!: string;
  @ApiProperty({ description: 'Its client id (azp, client_id or appid in its tokens)' })
  clientId!: string;
}

export class OAuthConfigDto {
  @ApiProperty({ type: [String], description: 'OAUTH_ISSUERS' }) issuers!: string[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'OAUTH_JWKS_URL; null: discovered from each issuer',
  })
  jwksUrl!: string | null;
  @ApiProperty({ description: 'Resource identifier of /mcp: PUBLIC_BASE_URL/mcp' })
  resource!: string;
  @ApiProperty({ description: 'Resource identifier of the server (legacy SSE): PUBLIC_BASE_URL' })
  rootResource!: string;
  @ApiProperty({
    type: [String],
    description: 'Accepted aud values: both resource identifiers, then OAUTH_AUDIENCES',
  })
  audiences!: string[];
  @ApiProperty({ type: [String], description: 'OAUTH_REQUIRED_SCOPES' })
  requiredScopes!: string[];
  @ApiProperty({ nullable: true, type: String, description: 'OAUTH_ADMIN_SCOPE; null when unset' })
  adminScope!: string | null;
  @ApiProperty({ description: 'OAUTH_CALLER_CLAIM' }) callerClaim!: string;
  @ApiProperty({ type: [String], description: 'OAUTH_ALGORITHMS' }) algorithms!: string[];
  @ApiProperty({ description: 'OAUTH_CLOCK_SKEW_SECONDS' }) clockSkewSeconds!: number;
  @ApiProperty({ type: [OAuthClientDto], description: 'OAUTH_CLIENTS' })
  clients!: OAuthClientDto[];
  @ApiProperty({ description: 'OAUTH_JWKS_TIMEOUT_MS' }) jwksTimeoutMs!: number;
  @ApiProperty({ description: 'OAUTH_JWKS_COOLDOWN_SECONDS, in ms' }) jwksCooldownMs!: number;
}

export class AuthConfigDto {
  @ApiProperty({ enum: ['api-key', 'oauth', 'both'], description: 'AUTH_MODE' })
  mode!: 'api-key' | 'oauth' | 'both';
  @ApiProperty({
    nullable: true,
    type: OAuthConfigDto,
    description: 'The OAuth resource server; null with AUTH_MODE=api-key',
  })
  oauth!: OAuthConfigDto | null;
  @ApiProperty({ description: 'True when the MCP routes take no credential (no keys, no OAuth)' })
  keyless!: boolean;
  @ApiProperty({ type: [String], description: 'Labels of API_KEYS (never the keys)' })
  keys!: string[];
  @ApiProperty({ type: [String], description: 'Labels of ADMIN_API_KEYS' }) adminKeys!: string[];
  @ApiProperty({ description: 'METRICS_REQUIRE_KEY' }) metricsRequireKey!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'IDENTITY_HEADER, lower-cased; null when unset',
  })
  identityHeader!: string | null;
}

export class HttpConfigDto {
  @ApiProperty({
    description:
      'TRUST_PROXY: false, a hop count, or proxy addresses/CIDRs (and loopback, linklocal, uniquelocal)',
    oneOf: [{ type: 'boolean' }, { type: 'integer' }, { type: 'array', items: { type: 'string' } }],
  })
  trustProxy!: boolean | number | string[];
  @ApiProperty({ type: [String], description: 'CORS_ORIGINS' }) corsOrigins!: string[];
  @ApiProperty({ description: 'MAX_BODY_BYTES' }) maxBodyBytes!: number;
  @ApiProperty({ description: 'MAX_JSON_DEPTH' }) maxJsonDepth!: number;
  @ApiProperty({ description: 'MAX_INITIALIZE_BYTES' }) maxInitializeBytes!: number;
  @ApiProperty({
    description:
      'RATE_LIMIT_PER_MINUTE, or its default (100; 1000 keyless on a loopback HOST without AUTH_DISABLED)',
  })
  rateLimitPerMinute!: number;
  @ApiProperty({
    description:
      'RATE_LIMIT_PER_HOUR, or its default (1000; 20000 keyless on a loopback HOST without AUTH_DISABLED)',
  })
  rateLimitPerHour!: number;
  @ApiProperty({ description: 'SESSION_OPEN_PER_MINUTE' }) sessionOpenPerMinute!: number;
  @ApiProperty({ description: 'HTTP_HEADERS_TIMEOUT_SECONDS in ms' }) headersTimeoutMs!: number;
  @ApiProperty({ description: 'HTTP_REQUEST_TIMEOUT_SECONDS in ms' }) requestTimeoutMs!: number;
  @ApiProperty({ description: 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS in ms' })
  keepAliveTimeoutMs!: number;
  @ApiProperty({ description: 'HTTP_MAX_CONNECTIONS' }) maxConnections!: number;
}

export class SessionConfigDto {
  @ApiProperty({ description: 'MAX_SESSIONS' }) maxSessions!: number;
  @ApiProperty({ description: 'MAX_SESSIONS_PER_KEY' }) maxSessionsPerKey!: number;
  @ApiProperty({ description: 'SESSION_IDLE_TIMEOUT_SECONDS' }) idleTimeoutSeconds!: number;
  @ApiProperty({ description: 'SESSION_HIBERNATE_SECONDS' }) hibernateAfterSeconds!: number;
  @ApiProperty({ description: 'SESSION_MAX_LIFETIME_SECONDS' }) maxLifetimeSeconds!: number;
  @ApiProperty({ description: 'MAX_LISTEN_STREAMS' }) maxListenStreams!: number;
  @ApiProperty({ description: 'MAX_LISTEN_STREAMS_PER_KEY' }) maxListenStreamsPerKey!: number;
  @ApiProperty({ description: 'LISTEN_STREAM_MAX_SECONDS' }) listenStreamMaxSeconds!: number;
  @ApiProperty({ description: 'SHUTDOWN_GRACE_SECONDS' }) shutdownGraceSeconds!: number;
}

export class LiveConfigDto {
  @ApiProperty({ description: 'MAX_SUBSCRIPTIONS_PER_SESSION' })
  maxSubscriptionsPerSession!: number;
  @ApiProperty({ description: 'MAX_SUBSCRIPTIONS_PER_KEY' }) maxSubscriptionsPerKey!: number;
  @ApiProperty({ description: 'POLL_LEASE_SECONDS in ms' }) pollLeaseMs!: number;
  @ApiProperty({ description: 'EVENT_LOG_MAX_EVENTS' }) eventLogMaxEvents!: number;
  @ApiProperty({ description: 'EVENT_LOG_MAX_BYTES' }) eventLogMaxBytes!: number;
  @ApiProperty({ description: 'STREAM_RETRY_MS' }) streamRetryMs!: number;
}

export class RedisConfigDto {
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'REDIS_URL with any password shown as "redacted"; null without Redis',
  })
  url!: string | null;
  @ApiProperty({ description: 'REDIS_KEY_PREFIX' }) keyPrefix!: string;
  @ApiProperty({ description: 'REPLICA_ID, or host name and process id' }) replicaId!: string;
  @ApiProperty({ description: 'REDIS_COMMAND_TIMEOUT_MS' }) commandTimeoutMs!: number;
}

export class EffectiveConfigDto {
  @ApiProperty({ description: "NODE_ENV, or 'production'" }) env!: string;
  @ApiProperty({ type: ServerConfigDto }) server!: ServerConfigDto;
  @ApiProperty({ type: AareguruConfigDto }) aareguru!: AareguruConfigDto;
  @ApiProperty({ type: CacheConfigDto }) cache!: CacheConfigDto;
  @ApiProperty({ type: LoggingConfigDto }) logging!: LoggingConfigDto;
  @ApiProperty({ type: McpConfigDto }) mcp!: McpConfigDto;
  @ApiProperty({ type: AuthConfigDto }) auth!: AuthConfigDto;
  @ApiProperty({ type: HttpConfigDto }) http!: HttpConfigDto;
  @ApiProperty({ type: SessionConfigDto }) sessions!: SessionConfigDto;
  @ApiProperty({ type: RedisConfigDto }) redis!: RedisConfigDto;
  @ApiProperty({ type: LiveConfigDto }) live!: LiveConfigDto;
}
