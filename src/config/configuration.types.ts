import type { LOG_DESTINATIONS, LOG_FORMATS, LOG_LEVELS } from './environment';

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

export interface AppConfiguration {
  env: string;
  server: ServerConfig;
  aareguru: AareguruConfig;
  cache: CacheConfig;
  logging: LoggingConfig;
}
