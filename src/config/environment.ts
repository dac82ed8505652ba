import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
} from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const LOG_DESTINATIONS = ['stdout', 'stderr'] as const;
export const MCP_TRANSPORTS = ['http', 'stdio'] as const;
export const AUTH_MODES = ['api-key', 'oauth', 'both'] as const;
/** Asymmetric JWS algorithms only: `none` and HMAC (a shared secret) can never verify a token. */
export const OAUTH_ALGORITHM_NAMES = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/**
 * Every configuration key, as an environment variable name. Decorators run bottom-up and only the
 * first failure per key is reported, so the type check sits lowest. Values come from config/*.yaml and
 * the environment; this class is the single place that says what a valid value is.
 */
export class EnvironmentVariables {
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  @Type(() => Number)
  @Min(0)
  @Max(65535)
  @IsInt()
  PORT!: number;

  @IsString()
  @IsNotEmpty()
  HOST!: string;

  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  AAREGURU_BASE_URL!: string;

  @IsString()
  @IsNotEmpty()
  AAREGURU_APP_NAME!: string;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_TIMEOUT_MS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_DEADLINE_MS!: number;

  @Type(() => Number)
  @Min(0)
  @Max(10)
  @IsInt()
  AAREGURU_RETRIES!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_RETRY_BASE_DELAY_MS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_RETRY_MAX_DELAY_MS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_BREAKER_FAILURES!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_BREAKER_HALF_OPEN_MS!: number;

  @Type(() => Number)
  @Min(1)
  @Max(256)
  @IsInt()
  AAREGURU_MAX_SOCKETS!: number;

  @Type(() => Number)
  @Min(0)
  @Max(10_000)
  @IsInt()
  AAREGURU_MAX_QUEUED!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  AAREGURU_QUEUE_WAIT_MS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  HISTORY_MAX_RANGE_DAYS!: number;

  /** A longer history range is fetched only once the person confirms it (when the client can ask). */
  @Type(() => Number)
  @Min(1)
  @IsInt()
  HISTORY_CONFIRM_DAYS!: number;

  // YAML reads an unquoted date as a Date.
  @Transform(({ value }) => (value instanceof Date ? value.toISOString().slice(0, 10) : value))
  @IsISO8601({ strict: true }, { message: 'HISTORY_EARLIEST_DATE must be a date (YYYY-MM-DD)' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'HISTORY_EARLIEST_DATE must be a date (YYYY-MM-DD)' })
  @IsString()
  HISTORY_EARLIEST_DATE!: string;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  CACHE_TTL_SECONDS!: number;

  // The LRU sets aside a few words per possible entry up front.
  @Type(() => Number)
  @Min(1)
  @Max(1_000_000)
  @IsInt()
  CACHE_MAX_ENTRIES!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  CACHE_MAX_BYTES!: number;

  @Type(() => Number)
  @Min(0)
  @IsInt()
  CACHE_STALE_MAX_SECONDS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  UPSTREAM_MISSES_PER_KEY_PER_MINUTE!: number;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL!: (typeof LOG_LEVELS)[number];

  @IsIn(LOG_FORMATS)
  LOG_FORMAT!: (typeof LOG_FORMATS)[number];

  @IsIn(LOG_DESTINATIONS)
  LOG_DESTINATION!: (typeof LOG_DESTINATIONS)[number];

  @IsIn(MCP_TRANSPORTS)
  MCP_TRANSPORT!: (typeof MCP_TRANSPORTS)[number];

  @IsString()
  @Matches(/^(|https?:\/\/[^\s]+|\/[^\s]*)$/, {
    message: 'PUBLIC_BASE_URL must be empty, an http(s) URL or a path starting with /',
  })
  PUBLIC_BASE_URL!: string;

  @Type(() => Number)
  @Min(1)
  @Max(300)
  @IsInt()
  SSE_HEARTBEAT_SECONDS!: number;

  @IsString()
  ALLOWED_HOSTS!: string;

  @IsString()
  ALLOWED_ORIGINS!: string;

  @IsString()
  API_KEYS!: string;

  @IsString()
  ADMIN_API_KEYS!: string;

  @Transform(({ value }) => toBoolean(value))
  @IsBoolean()
  AUTH_DISABLED!: boolean;

  @Transform(({ value }) => toBoolean(value))
  @IsBoolean()
  METRICS_REQUIRE_KEY!: boolean;

  /** Empty: none. A header name, e.g. X-Consumer-Username; only with AUTH_DISABLED=true. */
  @IsString()
  @Matches(/^(|[A-Za-z0-9-]{1,64})$/, {
    message: 'IDENTITY_HEADER must be empty or a header name (letters, digits, -)',
  })
  IDENTITY_HEADER!: string;

  @IsString()
  @Matches(
    /^(|\d+|(\s*([0-9a-fA-F.:/]+|loopback|linklocal|uniquelocal)\s*)(,\s*([0-9a-fA-F.:/]+|loopback|linklocal|uniquelocal)\s*)*)$/,
    {
      message:
        'TRUST_PROXY must be empty, a hop count or a comma-separated list of addresses/CIDRs (or loopback, linklocal, uniquelocal)',
    },
  )
  TRUST_PROXY!: string;

  @IsIn(AUTH_MODES)
  AUTH_MODE!: (typeof AUTH_MODES)[number];

  /** Comma-separated issuer URLs, exactly as the provider writes them in `iss`. */
  @IsString()
  OAUTH_ISSUERS!: string;

  /** Empty: discovered from each issuer's metadata. */
  @IsString()
  @Matches(/^(|https?:\/\/[^\s,]+)$/, { message: 'OAUTH_JWKS_URL must be empty or an http(s) URL' })
  OAUTH_JWKS_URL!: string;

  /** Audiences accepted beside the server's own resource URLs, comma-separated. */
  @IsString()
  OAUTH_AUDIENCES!: string;

  /** Scopes every MCP request needs, space- or comma-separated. */
  @IsString()
  @Matches(/^[^"\\]*$/, { message: 'OAUTH_REQUIRED_SCOPES must not contain quotes or backslashes' })
  OAUTH_REQUIRED_SCOPES!: string;

  /** A scope or role (claim `roles`) that opens /admin; empty: admin only with an admin key. */
  @IsString()
  @Matches(/^[^\s,"\\]*$/, { message: 'OAUTH_ADMIN_SCOPE must be one scope or role name' })
  OAUTH_ADMIN_SCOPE!: string;

  /** The claim naming the caller: sub for users, azp or client_id for machine clients. */
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, {
    message: 'OAUTH_CALLER_CLAIM must be a claim name (e.g. sub, azp, client_id, oid)',
  })
  OAUTH_CALLER_CLAIM!: string;

  /** Comma-separated; asymmetric algorithms only. */
  @IsString()
  @IsNotEmpty()
  OAUTH_ALGORITHMS!: string;

  @Type(() => Number)
  @Min(0)
  @Max(600)
  @IsInt()
  OAUTH_CLOCK_SKEW_SECONDS!: number;

  /** Client applications counted by name in metrics: "label=client-id", comma-separated. */
  @IsString()
  OAUTH_CLIENTS!: string;

  /** Per request to the identity provider (metadata, JWKS). */
  @Type(() => Number)
  @Min(100)
  @Max(60000)
  @IsInt()
  OAUTH_JWKS_TIMEOUT_MS!: number;

  /** At most one JWKS refetch per this many seconds when a token names an unknown key. */
  @Type(() => Number)
  @Min(0)
  @Max(3600)
  @IsInt()
  OAUTH_JWKS_COOLDOWN_SECONDS!: number;

  /** Unset: a default that depends on where the server runs (see configuration.ts). */
  @IsOptional()
  @Min(1)
  @IsInt()
  @Transform(({ value }) => optionalNumber(value))
  RATE_LIMIT_PER_MINUTE?: number;

  @IsOptional()
  @Min(1)
  @IsInt()
  @Transform(({ value }) => optionalNumber(value))
  RATE_LIMIT_PER_HOUR?: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  SESSION_OPEN_PER_MINUTE!: number;

  @IsString()
  CORS_ORIGINS!: string;

  @Type(() => Number)
  @Min(1024)
  @Max(64 * 1024 * 1024)
  @IsInt()
  MAX_BODY_BYTES!: number;

  @Type(() => Number)
  @Min(8)
  @Max(1000)
  @IsInt()
  MAX_JSON_DEPTH!: number;

  @Type(() => Number)
  @Min(1024)
  @Max(64 * 1024 * 1024)
  @IsInt()
  MAX_INITIALIZE_BYTES!: number;

  @Type(() => Number)
  @Min(1)
  @Max(600)
  @IsInt()
  HTTP_HEADERS_TIMEOUT_SECONDS!: number;

  @Type(() => Number)
  @Min(1)
  @Max(3600)
  @IsInt()
  HTTP_REQUEST_TIMEOUT_SECONDS!: number;

  @Type(() => Number)
  @Min(1)
  @Max(3600)
  @IsInt()
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  HTTP_MAX_CONNECTIONS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  MAX_SESSIONS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  MAX_SESSIONS_PER_KEY!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  SESSION_IDLE_TIMEOUT_SECONDS!: number;

  @Type(() => Number)
  @Min(0)
  @IsInt()
  SESSION_HIBERNATE_SECONDS!: number;

  @Type(() => Number)
  @Min(0)
  @IsInt()
  SESSION_MAX_LIFETIME_SECONDS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  MAX_LISTEN_STREAMS!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  MAX_LISTEN_STREAMS_PER_KEY!: number;

  @Type(() => Number)
  @Min(0)
  @IsInt()
  LISTEN_STREAM_MAX_SECONDS!: number;

  @Type(() => Number)
  @Min(0)
  @Max(600)
  @IsInt()
  SHUTDOWN_GRACE_SECONDS!: number;

  /** Empty: this process keeps its own state; set: replicas share sessions, limits and cache. */
  @IsString()
  @Matches(/^(|rediss?:\/\/[^\s]+)$/, {
    message: 'REDIS_URL must be empty or a redis:// or rediss:// URL',
  })
  REDIS_URL!: string;

  /**
   * Signs the state a question to the person carries between rounds; every replica needs the
   * same. Empty: a key generated by this process.
   */
  @IsString()
  @Matches(/^(|[^\s]{32,512})$/, {
    message: 'REQUEST_STATE_KEY must be empty or 32 to 512 characters without spaces',
  })
  REQUEST_STATE_KEY!: string;

  @IsString()
  @Matches(/^[^\s]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1 to 64 characters, no spaces' })
  REDIS_KEY_PREFIX!: string;

  /** Empty: the host name and process id. */
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{0,128}$/, {
    message: 'REPLICA_ID must be up to 128 letters, digits and ._:-',
  })
  REPLICA_ID!: string;

  @Type(() => Number)
  @Min(10)
  @Max(60000)
  @IsInt()
  REDIS_COMMAND_TIMEOUT_MS!: number;

  @Type(() => Number)
  @Min(1)
  @Max(10000)
  @IsInt()
  MAX_SUBSCRIPTIONS_PER_SESSION!: number;

  @Type(() => Number)
  @Min(1)
  @IsInt()
  MAX_SUBSCRIPTIONS_PER_KEY!: number;

  @Type(() => Number)
  @Min(1)
  @Max(3600)
  @IsInt()
  POLL_LEASE_SECONDS!: number;

  @Type(() => Number)
  @Min(1)
  @Max(100000)
  @IsInt()
  EVENT_LOG_MAX_EVENTS!: number;

  @Type(() => Number)
  @Min(1024)
  @IsInt()
  EVENT_LOG_MAX_BYTES!: number;

  @Type(() => Number)
  @Min(0)
  @Max(600000)
  @IsInt()
  STREAM_RETRY_MS!: number;
}

/** Empty means unset; anything else is read as a number (and fails validation if it is not one). */
function optionalNumber(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? Number(value) : value;
}

/** "true"/"false" (any case), "1"/"0", or a YAML boolean; anything else stays as is and fails. */
function toBoolean(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
  }
  return value;
}
