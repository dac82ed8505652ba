import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { ApiKeyEntry, ApiKeyParseError, crossListProblems, parseApiKeys } from './api-keys.parser';
import { PACKAGE_VERSION } from '../common/package-info';
import { EnvironmentVariables } from './environment';
import type { AppConfiguration, OAuthConfig } from './configuration.types';
import { parseOAuthConfig, trustedProxyProblem } from './oauth-config.parser';

/** Thrown at boot with every problem found, one per line. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export const DEFAULT_CONFIG_DIR = resolve(__dirname, '..', '..', 'config');

type RawConfig = Record<string, unknown>;

/** Every key the application understands, read off the validation metadata. */
export function configKeys(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(
    EnvironmentVariables,
    '',
    true,
    false,
  );
  return [...new Set(metadata.map((m) => m.propertyName))];
}

function readYamlFile(path: string, problems: string[], known: Set<string>): RawConfig {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${path}: cannot be read (${(error as Error).message.split('\n')[0]})`);
    return {};
  }
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`${path}: must be a mapping of KEY: value`);
    return {};
  }
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) problems.push(`${path}: unknown key ${key}`);
  }
  return parsed as RawConfig;
}

/** Settings whose value is a secret, or may hold one: a problem with them never shows it. */
const SECRET_KEYS = new Set(['API_KEYS', 'ADMIN_API_KEYS', 'REQUEST_STATE_KEY', 'REDIS_URL']);

function describeErrors(errors: ValidationError[], raw: RawConfig): string[] {
  return errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => {
      const value = raw[error.property];
      if (value === undefined) return `${error.property}: is required but not set`;
      const problem = `${error.property}: ${message.replace(`${error.property} `, '')}`;
      if (SECRET_KEYS.has(error.property)) return `${problem} (value not shown)`;
      return `${problem} (got ${JSON.stringify(value)})`;
    }),
  );
}

/**
 * Merges config/default.yaml, config/<NODE_ENV>.yaml (if present) and the environment (in that
 * order of precedence, lowest first), validates the result and returns the typed tree.
 */
export function loadConfiguration(
  env: NodeJS.ProcessEnv = process.env,
  // Empty counts as unset, as for every other variable (an env file may carry `CONFIG_DIR=`).
  configDir: string = env.CONFIG_DIR || DEFAULT_CONFIG_DIR,
): AppConfiguration {
  const problems: string[] = [];
  const known = new Set(configKeys());

  const defaultsPath = join(configDir, 'default.yaml');
  const raw: RawConfig = existsSync(defaultsPath)
    ? readYamlFile(defaultsPath, problems, known)
    : {};
  if (!existsSync(defaultsPath)) problems.push(`${defaultsPath}: file not found`);

  const nodeEnv = env.NODE_ENV;
  if (nodeEnv && /^[a-z0-9-]+$/i.test(nodeEnv)) {
    const overridePath = join(configDir, `${nodeEnv}.yaml`);
    if (existsSync(overridePath)) Object.assign(raw, readYamlFile(overridePath, problems, known));
  }
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }

  const vars = plainToInstance(EnvironmentVariables, raw);
  problems.push(...describeErrors(validateSync(vars, { stopAtFirstError: true }), raw));
  if (problems.length === 0 && vars.AAREGURU_DEADLINE_MS < vars.AAREGURU_TIMEOUT_MS) {
    problems.push(
      `AAREGURU_DEADLINE_MS: must be at least AAREGURU_TIMEOUT_MS (${vars.AAREGURU_TIMEOUT_MS}) (got ${vars.AAREGURU_DEADLINE_MS})`,
    );
  }
  // Node refuses a request timeout shorter than the headers timeout.
  if (
    problems.length === 0 &&
    vars.HTTP_REQUEST_TIMEOUT_SECONDS < vars.HTTP_HEADERS_TIMEOUT_SECONDS
  ) {
    problems.push(
      `HTTP_REQUEST_TIMEOUT_SECONDS: must be at least HTTP_HEADERS_TIMEOUT_SECONDS (${vars.HTTP_HEADERS_TIMEOUT_SECONDS}) (got ${vars.HTTP_REQUEST_TIMEOUT_SECONDS})`,
    );
  }
  const keys = problems.length === 0 ? parseKeys(vars, problems) : undefined;
  const oauth =
    problems.length === 0
      ? parseOAuthConfig(vars, vars.PUBLIC_BASE_URL.replace(/\/+$/, ''), problems)
      : null;
  // Replicas check each other's signatures on the state of a question; a per-process key cannot.
  if (vars.REDIS_URL && !vars.REQUEST_STATE_KEY) {
    problems.push(
      'REQUEST_STATE_KEY: required when REDIS_URL is set (replicas must share it); at least 32 characters, e.g. from `openssl rand -base64 32`',
    );
  }
  if (problems.length > 0 || !keys) throw new ConfigValidationError(problems);

  return toConfiguration(vars, keys, oauth);
}

function parseKeys(vars: EnvironmentVariables, problems: string[]) {
  const user = parseKeyList(vars.API_KEYS, 'API_KEYS', problems);
  const admin = parseKeyList(vars.ADMIN_API_KEYS, 'ADMIN_API_KEYS', problems);
  if (!user || !admin) return undefined;
  const shared = crossListProblems(user, admin);
  if (shared.length > 0) {
    problems.push(...shared);
    return undefined;
  }
  // A gateway's identity header is only believed when the server does no authentication itself.
  if (vars.IDENTITY_HEADER !== '' && (!vars.AUTH_DISABLED || user.length > 0)) {
    problems.push(
      `IDENTITY_HEADER: only allowed with AUTH_DISABLED=true and no API_KEYS, behind a gateway that authenticates (got ${JSON.stringify(vars.IDENTITY_HEADER)})`,
    );
    return undefined;
  }
  if (['x-api-key', 'authorization'].includes(vars.IDENTITY_HEADER.toLowerCase())) {
    problems.push(
      `IDENTITY_HEADER: must name the gateway's identity header, not a credential header (got ${JSON.stringify(vars.IDENTITY_HEADER)})`,
    );
    return undefined;
  }
  const untrusted = trustedProxyProblem(vars.IDENTITY_HEADER, vars.TRUST_PROXY);
  if (untrusted) {
    problems.push(untrusted);
    return undefined;
  }
  // Secure by default: keyless only on loopback, or when someone says so explicitly.
  if (
    user.length === 0 &&
    vars.AUTH_MODE === 'api-key' &&
    !vars.AUTH_DISABLED &&
    !isLoopback(vars.HOST)
  ) {
    problems.push(
      `API_KEYS: required when HOST is not a loopback address (got HOST ${JSON.stringify(vars.HOST)}); set AUTH_DISABLED=true to run without keys on purpose`,
    );
    return undefined;
  }
  return { user, admin };
}

function parseKeyList(value: string, name: string, problems: string[]) {
  try {
    return parseApiKeys(value, name);
  } catch (error) {
    if (!(error instanceof ApiKeyParseError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

function trustProxyOf(value: string): boolean | number | string[] {
  if (value.trim() === '') return false;
  // Express and proxy-addr take the same list: addresses, CIDRs and the names loopback etc.
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function toConfiguration(
  vars: EnvironmentVariables,
  keys: { user: ApiKeyEntry[]; admin: ApiKeyEntry[] },
  oauth: OAuthConfig | null,
): AppConfiguration {
  const keyless = keys.user.length === 0 && oauth === null;
  return {
    env: vars.NODE_ENV ?? 'production',
    server: { host: vars.HOST, port: vars.PORT },
    aareguru: {
      baseUrl: vars.AAREGURU_BASE_URL.replace(/\/+$/, ''),
      appName: vars.AAREGURU_APP_NAME,
      appVersion: PACKAGE_VERSION,
      timeoutMs: vars.AAREGURU_TIMEOUT_MS,
      deadlineMs: vars.AAREGURU_DEADLINE_MS,
      retries: vars.AAREGURU_RETRIES,
      retryBaseDelayMs: vars.AAREGURU_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: vars.AAREGURU_RETRY_MAX_DELAY_MS,
      breakerFailures: vars.AAREGURU_BREAKER_FAILURES,
      breakerHalfOpenMs: vars.AAREGURU_BREAKER_HALF_OPEN_MS,
      maxSockets: vars.AAREGURU_MAX_SOCKETS,
      maxQueued: vars.AAREGURU_MAX_QUEUED,
      // A request that waited still gets a whole attempt before the deadline: an attempt cut short
      // by the deadline would count against the breaker without upstream being at fault.
      queueWaitMs: Math.min(
        vars.AAREGURU_QUEUE_WAIT_MS,
        vars.AAREGURU_DEADLINE_MS - vars.AAREGURU_TIMEOUT_MS,
      ),
      historyMaxRangeDays: vars.HISTORY_MAX_RANGE_DAYS,
      historyConfirmDays: vars.HISTORY_CONFIRM_DAYS,
      historyEarliest: Date.parse(`${vars.HISTORY_EARLIEST_DATE}T00:00:00Z`) / 1000,
    },
    cache: {
      ttlSeconds: vars.CACHE_TTL_SECONDS,
      maxEntries: vars.CACHE_MAX_ENTRIES,
      maxBytes: vars.CACHE_MAX_BYTES,
      staleMaxSeconds: vars.CACHE_STALE_MAX_SECONDS,
      missesPerKeyPerMinute: vars.UPSTREAM_MISSES_PER_KEY_PER_MINUTE,
    },
    logging: {
      level: vars.LOG_LEVEL,
      format: vars.LOG_FORMAT,
      // stdout belongs to the protocol in stdio mode.
      destination: vars.MCP_TRANSPORT === 'stdio' ? 'stderr' : vars.LOG_DESTINATION,
    },
    mcp: {
      transport: vars.MCP_TRANSPORT,
      publicBaseUrl: vars.PUBLIC_BASE_URL.replace(/\/+$/, ''),
      publicBasePath: basePathOf(vars.PUBLIC_BASE_URL),
      sseHeartbeatSeconds: vars.SSE_HEARTBEAT_SECONDS,
      allowedHosts: listOr(vars.ALLOWED_HOSTS, LOOPBACK_NAMES),
      // Browser apps allowed by CORS must also pass the Origin check.
      allowedOrigins: listOr(vars.ALLOWED_ORIGINS, [
        ...LOOPBACK_NAMES,
        ...hostnamesOf(vars.CORS_ORIGINS),
      ]),
    },
    auth: {
      mode: vars.AUTH_MODE,
      oauth,
      keys: keys.user,
      adminKeys: keys.admin,
      keyless,
      metricsRequireKey: vars.METRICS_REQUIRE_KEY,
      identityHeader: vars.IDENTITY_HEADER === '' ? null : vars.IDENTITY_HEADER.toLowerCase(),
      identityHeaderName: vars.IDENTITY_HEADER === '' ? null : vars.IDENTITY_HEADER,
      ...(vars.REQUEST_STATE_KEY !== '' && { requestStateKey: vars.REQUEST_STATE_KEY }),
    },
    http: {
      trustProxy: trustProxyOf(vars.TRUST_PROXY),
      corsOrigins: listOr(vars.CORS_ORIGINS, []).map((origin) => origin.replace(/\/+$/, '')),
      maxBodyBytes: vars.MAX_BODY_BYTES,
      maxJsonDepth: vars.MAX_JSON_DEPTH,
      maxInitializeBytes: vars.MAX_INITIALIZE_BYTES,
      ...rateLimitsOf(vars, keyless),
      sessionOpenPerMinute: vars.SESSION_OPEN_PER_MINUTE,
      headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: vars.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      maxConnections: vars.HTTP_MAX_CONNECTIONS,
    },
    sessions: {
      maxSessions: vars.MAX_SESSIONS,
      maxSessionsPerKey: vars.MAX_SESSIONS_PER_KEY,
      idleTimeoutSeconds: vars.SESSION_IDLE_TIMEOUT_SECONDS,
      hibernateAfterSeconds: vars.SESSION_HIBERNATE_SECONDS,
      maxLifetimeSeconds: vars.SESSION_MAX_LIFETIME_SECONDS,
      maxListenStreams: vars.MAX_LISTEN_STREAMS,
      maxListenStreamsPerKey: vars.MAX_LISTEN_STREAMS_PER_KEY,
      listenStreamMaxSeconds: vars.LISTEN_STREAM_MAX_SECONDS,
      shutdownGraceSeconds: vars.SHUTDOWN_GRACE_SECONDS,
    },
    redis: {
      url: vars.REDIS_URL === '' ? null : vars.REDIS_URL,
      keyPrefix: vars.REDIS_KEY_PREFIX,
      replicaId: vars.REPLICA_ID || `${hostname()}-${process.pid}`,
      commandTimeoutMs: vars.REDIS_COMMAND_TIMEOUT_MS,
    },
    live: {
      maxSubscriptionsPerSession: vars.MAX_SUBSCRIPTIONS_PER_SESSION,
      maxSubscriptionsPerKey: vars.MAX_SUBSCRIPTIONS_PER_KEY,
      pollLeaseMs: vars.POLL_LEASE_SECONDS * 1000,
      eventLogMaxEvents: vars.EVENT_LOG_MAX_EVENTS,
      eventLogMaxBytes: vars.EVENT_LOG_MAX_BYTES,
      streamRetryMs: vars.STREAM_RETRY_MS,
    },
  };
}

/**
 * Request limits when RATE_LIMIT_PER_* are unset. A keyless server on a loopback address, without
 * AUTH_DISABLED, serves one developer exploring it: one run of a client over every tool, resource
 * and prompt is some 35 requests, and the upstream is protected on its own (cache,
 * UPSTREAM_MISSES_PER_KEY_PER_MINUTE), so its limits only stop runaway loops. Everywhere else the
 * limits are per key or caller, a sidecar gateway on loopback (AUTH_DISABLED=true) included.
 */
export const RATE_LIMIT_DEFAULTS = {
  standard: { perMinute: 100, perHour: 1000 },
  developer: { perMinute: 1000, perHour: 20000 },
} as const;

function rateLimitsOf(vars: EnvironmentVariables, keyless: boolean) {
  // IDENTITY_HEADER is only allowed with AUTH_DISABLED=true, so it never gets these either.
  const developer = keyless && !vars.AUTH_DISABLED && isLoopback(vars.HOST);
  const defaults = developer ? RATE_LIMIT_DEFAULTS.developer : RATE_LIMIT_DEFAULTS.standard;
  return {
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE ?? defaults.perMinute,
    rateLimitPerHour: vars.RATE_LIMIT_PER_HOUR ?? defaults.perHour,
  };
}

/** The names a local client uses; the SDK's localhost lists hold the same. */
export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function listOr(value: string, fallback: string[]): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
  return items.length > 0 ? items : [...fallback];
}

function hostnamesOf(origins: string): string[] {
  return listOr(origins, []).flatMap((origin) => {
    try {
      return [new URL(origin).hostname];
    } catch {
      return [];
    }
  });
}

function basePathOf(publicBaseUrl: string): string {
  const path = publicBaseUrl.startsWith('/')
    ? publicBaseUrl
    : publicBaseUrl
      ? new URL(publicBaseUrl).pathname
      : '';
  return path.replace(/\/+$/, '');
}
