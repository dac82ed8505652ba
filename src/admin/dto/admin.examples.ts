import type { EffectiveConfigDto } from './config.dto';
import type {
  InvalidateCacheResultDto,
  SessionDto,
  SessionListDto,
  UpstreamStatusDto,
} from './admin.dto';

/**
 * Examples for the OpenAPI document: what the admin API answers on a two-replica deployment
 * behind a gateway, a few minutes into a busy afternoon. Typed, so they keep the DTOs' shape;
 * an e2e spec validates them against the document's schemas too.
 */
export const SESSION_EXAMPLE: SessionDto = {
  id: '3f0c2a9e-1b7d-4c55-9a61-0d2f5e8b7c41',
  transport: 'streamable-http',
  era: '2025',
  protocolVersion: '2025-11-25',
  keyLabel: 'team-a',
  clientName: 'claude-ai',
  clientVersion: '0.1.0',
  openedAt: '2026-07-14T13:02:11.482Z',
  lastActiveAt: '2026-07-14T13:09:47.015Z',
  hibernating: false,
  replica: 'aareguru-mcp-7d9f8c6b5-x2k4q',
};

export const SESSION_LIST_EXAMPLE: SessionListDto = {
  total: 2,
  sessions: [
    SESSION_EXAMPLE,
    {
      id: 'b8e41d07-5c2a-4f93-8e16-6a0d9c3f2b75',
      transport: 'sse',
      era: '2024',
      protocolVersion: '2024-11-05',
      keyLabel: 'team-b',
      clientName: 'mcp-remote',
      clientVersion: '0.1.29',
      openedAt: '2026-07-14T13:05:40.733Z',
      lastActiveAt: '2026-07-14T13:06:02.118Z',
      hibernating: true,
      replica: 'aareguru-mcp-7d9f8c6b5-m8r2t',
    },
  ],
};

export const UPSTREAM_EXAMPLE: UpstreamStatusDto = {
  circuit: 'closed',
  lastSuccessAt: '2026-07-14T13:09:46.902Z',
  lastFailureAt: '2026-07-14T12:41:03.377Z',
  requests: 1843,
  failures: 3,
  recentFailures: [
    {
      at: '2026-07-14T12:41:03.377Z',
      endpoint: 'current',
      kind: 'timeout',
      message: 'no answer within 5000 ms',
    },
    {
      at: '2026-07-14T12:40:57.102Z',
      endpoint: 'widget',
      kind: 'http',
      message: 'HTTP 502',
    },
  ],
  cache: [
    { key: 'widget', ageSeconds: 37, fresh: true, bytes: 2911 },
    { key: 'current?city=bern', ageSeconds: 64, fresh: true, bytes: 31408 },
    { key: 'today?city=thun', ageSeconds: 151, fresh: false, bytes: 214 },
  ],
  cacheUsage: { entries: 3, bytes: 34533, maxEntries: 500, maxBytes: 67108864 },
};

export const INVALIDATE_EXAMPLE: InvalidateCacheResultDto = { removed: 2 };

export const CONFIG_EXAMPLE: EffectiveConfigDto = {
  env: 'production',
  server: { host: '0.0.0.0', port: 8000 },
  aareguru: {
    baseUrl: 'https://aareguru.existenz.ch',
    appName: 'aareguru-mcp',
    appVersion: '0.1.0',
    timeoutMs: 5000,
    deadlineMs: 10000,
    retries: 2,
    retryBaseDelayMs: 200,
    retryMaxDelayMs: 2000,
    breakerFailures: 5,
    breakerHalfOpenMs: 30000,
    maxSockets: 8,
    maxQueued: 64,
    queueWaitMs: 5000,
    historyMaxRangeDays: 366,
    historyConfirmDays: 31,
    historyEarliest: 1483228800,
  },
  cache: {
    ttlSeconds: 120,
    maxEntries: 500,
    maxBytes: 67108864,
    staleMaxSeconds: 86400,
    missesPerKeyPerMinute: 60,
  },
  logging: { level: 'info', format: 'json', destination: 'stdout' },
  mcp: {
    transport: 'http',
    publicBaseUrl: 'https://gw.example.com/aare',
    publicBasePath: '/aare',
    sseHeartbeatSeconds: 15,
    allowedHosts: ['gw.example.com'],
    allowedOrigins: ['localhost', '127.0.0.1', '[::1]'],
  },
  auth: {
    mode: 'both',
    oauth: {
      issuers: ['https://login.microsoftonline.com/2f4c8a1e-0d6b-4e8f-9a3c-5b7d1e2f3a4b/v2.0'],
      jwksUrl: null,
      resource: 'https://gw.example.com/aare/mcp',
      rootResource: 'https://gw.example.com/aare',
      audiences: [
        'https://gw.example.com/aare/mcp',
        'https://gw.example.com/aare',
        'api://7d9e2b4a-3c1f-4e6d-8a5b-9f0c2d4e6a8b',
      ],
      requiredScopes: ['aare.read'],
      adminScope: 'Aare.Admin',
      callerClaim: 'sub',
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 60,
      clients: [{ label: 'claude', clientId: 'c0ffee00-1234-4abc-9def-0123456789ab' }],
      jwksTimeoutMs: 5000,
      jwksCooldownMs: 30000,
    },
    keyless: false,
    keys: ['team-a', 'team-b'],
    adminKeys: ['ops'],
    metricsRequireKey: false,
    identityHeader: null,
  },
  http: {
    trustProxy: 1,
    corsOrigins: [],
    maxBodyBytes: 4194304,
    maxJsonDepth: 64,
    maxInitializeBytes: 65536,
    rateLimitPerMinute: 100,
    rateLimitPerHour: 1000,
    sessionOpenPerMinute: 30,
    headersTimeoutMs: 10000,
    requestTimeoutMs: 30000,
    keepAliveTimeoutMs: 65000,
    maxConnections: 20000,
  },
  sessions: {
    maxSessions: 10000,
    maxSessionsPerKey: 1000,
    idleTimeoutSeconds: 3600,
    hibernateAfterSeconds: 30,
    maxLifetimeSeconds: 0,
    maxListenStreams: 1000,
    maxListenStreamsPerKey: 100,
    listenStreamMaxSeconds: 3600,
    shutdownGraceSeconds: 10,
  },
  redis: {
    url: 'redis://:redacted@redis.aare.svc:6379/0',
    keyPrefix: 'aareguru-mcp:',
    replicaId: 'aareguru-mcp-7d9f8c6b5-x2k4q',
    commandTimeoutMs: 500,
  },
  live: {
    maxSubscriptionsPerSession: 32,
    maxSubscriptionsPerKey: 1000,
    pollLeaseMs: 15000,
    eventLogMaxEvents: 100,
    eventLogMaxBytes: 262144,
    streamRetryMs: 1000,
  },
};
