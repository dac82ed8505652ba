import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from './api-keys.parser';
import { ConfigValidationError, DEFAULT_CONFIG_DIR, loadConfiguration } from './configuration';

function problemsOf(env: NodeJS.ProcessEnv, dir?: string): string[] {
  try {
    loadConfiguration(env, dir);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfiguration', () => {
  it('reads the documented defaults from config/default.yaml', () => {
    const config = loadConfiguration({});
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(config.aareguru).toMatchObject({
      baseUrl: 'https://aareguru.existenz.ch',
      appName: 'aareguru-mcp',
      timeoutMs: 5000,
      deadlineMs: 10000,
      historyMaxRangeDays: 366,
      historyEarliest: Date.UTC(2017, 0, 1) / 1000,
    });
    expect(config.aareguru.appVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.cache.ttlSeconds).toBe(120);
    expect(config.logging).toEqual({ level: 'info', format: 'json', destination: 'stdout' });
  });

  it('lets environment variables override the files, ignoring empty ones', () => {
    const config = loadConfiguration({
      PORT: '9001',
      AAREGURU_BASE_URL: 'http://127.0.0.1:8010/',
      CACHE_TTL_SECONDS: '5',
      LOG_LEVEL: '',
    });
    expect(config.server.port).toBe(9001);
    expect(config.aareguru.baseUrl).toBe('http://127.0.0.1:8010');
    expect(config.cache.ttlSeconds).toBe(5);
    expect(config.logging.level).toBe('info');
  });

  it('reads CONFIG_DIR, and takes an empty one as unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aareguru-config-'));
    copyFileSync(join(DEFAULT_CONFIG_DIR, 'default.yaml'), join(dir, 'default.yaml'));
    writeFileSync(join(dir, 'production.yaml'), 'PORT: 8200\n');
    expect(loadConfiguration({ CONFIG_DIR: dir, NODE_ENV: 'production' }).server.port).toBe(8200);
    expect(loadConfiguration({ CONFIG_DIR: '' }).server.port).toBe(8000);
  });

  it('applies the file named after NODE_ENV over the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aareguru-config-'));
    copyFileSync(join(DEFAULT_CONFIG_DIR, 'default.yaml'), join(dir, 'default.yaml'));
    writeFileSync(join(dir, 'staging.yaml'), 'PORT: 8100\nLOG_FORMAT: pretty\n');
    const config = loadConfiguration({ NODE_ENV: 'staging' }, dir);
    expect(config.server.port).toBe(8100);
    expect(config.logging.format).toBe('pretty');
    expect(config.env).toBe('staging');
    expect(loadConfiguration({ NODE_ENV: 'staging', PORT: '1234' }, dir).server.port).toBe(1234);
  });

  it('reads MCP settings: lists, base path, and logs to stderr in stdio mode', () => {
    const config = loadConfiguration({
      ALLOWED_HOSTS: 'mcp.example.com, GW.example.com',
      PUBLIC_BASE_URL: 'https://gw.example.com/aare/',
      MCP_TRANSPORT: 'stdio',
    });
    expect(config.mcp).toEqual({
      transport: 'stdio',
      publicBaseUrl: 'https://gw.example.com/aare',
      publicBasePath: '/aare',
      sseHeartbeatSeconds: 15,
      allowedHosts: ['mcp.example.com', 'gw.example.com'],
      allowedOrigins: ['localhost', '127.0.0.1', '[::1]'],
    });
    expect(config.logging.destination).toBe('stderr');
    expect(loadConfiguration({ PUBLIC_BASE_URL: '/prefix' }).mcp.publicBasePath).toBe('/prefix');
    expect(loadConfiguration({}).mcp.publicBasePath).toBe('');
    expect(problemsOf({ PUBLIC_BASE_URL: 'ftp://x' })).toEqual([
      'PUBLIC_BASE_URL: must be empty, an http(s) URL or a path starting with / (got "ftp://x")',
    ]);
  });

  it('lists every problem, one per key, with the value it got', () => {
    const problems = problemsOf({
      PORT: 'abc',
      AAREGURU_TIMEOUT_MS: '0',
      LOG_FORMAT: 'xml',
      AAREGURU_BASE_URL: 'ftp://example.test',
    });
    expect(problems).toEqual([
      'PORT: must be an integer number (got "abc")',
      'AAREGURU_BASE_URL: must be a URL address (got "ftp://example.test")',
      'AAREGURU_TIMEOUT_MS: must not be less than 1 (got "0")',
      'LOG_FORMAT: must be one of the following values: json, pretty (got "xml")',
    ]);
    expect(() => loadConfiguration({ PORT: '70000' })).toThrow(
      'Invalid configuration:\n  - PORT: must not be greater than 65535 (got "70000")',
    );
  });

  it('rejects a deadline shorter than one attempt', () => {
    expect(problemsOf({ AAREGURU_TIMEOUT_MS: '5000', AAREGURU_DEADLINE_MS: '1000' })).toEqual([
      'AAREGURU_DEADLINE_MS: must be at least AAREGURU_TIMEOUT_MS (5000) (got 1000)',
    ]);
  });

  it('caps the wait for an upstream connection so a whole attempt still fits in the deadline', () => {
    const timings = { AAREGURU_TIMEOUT_MS: '1000', AAREGURU_DEADLINE_MS: '4000' };
    expect(
      loadConfiguration({ ...timings, AAREGURU_QUEUE_WAIT_MS: '2000' }).aareguru.queueWaitMs,
    ).toBe(2000);
    expect(
      loadConfiguration({ ...timings, AAREGURU_QUEUE_WAIT_MS: '9000' }).aareguru.queueWaitMs,
    ).toBe(3000);
  });

  it('bounds the cache in entries and bytes', () => {
    expect(loadConfiguration({}).cache).toMatchObject({ maxEntries: 500, maxBytes: 67108864 });
    expect(loadConfiguration({ CACHE_MAX_BYTES: '1048576' }).cache.maxBytes).toBe(1048576);
    expect(problemsOf({ CACHE_MAX_BYTES: '0', CACHE_MAX_ENTRIES: '2000000' })).toEqual([
      'CACHE_MAX_ENTRIES: must not be greater than 1000000 (got "2000000")',
      'CACHE_MAX_BYTES: must not be less than 1 (got "0")',
    ]);
  });

  it('reports unknown keys in files and missing values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aareguru-config-'));
    writeFileSync(join(dir, 'default.yaml'), 'PROT: 8000\n');
    const problems = problemsOf({}, dir);
    expect(problems[0]).toBe(`${join(dir, 'default.yaml')}: unknown key PROT`);
    expect(problems).toContain('PORT: is required but not set');
    expect(problems).toContain('HOST: is required but not set');
  });

  it('runs keyless only on loopback unless AUTH_DISABLED says so', () => {
    expect(loadConfiguration({ HOST: '127.0.0.1' }).auth.keyless).toBe(true);
    expect(problemsOf({ HOST: '0.0.0.0' })).toEqual([
      'API_KEYS: required when HOST is not a loopback address (got HOST "0.0.0.0"); set AUTH_DISABLED=true to run without keys on purpose',
    ]);
    expect(loadConfiguration({ HOST: '0.0.0.0', AUTH_DISABLED: 'true' }).auth.keyless).toBe(true);
    const keyed = loadConfiguration({ HOST: '0.0.0.0', API_KEYS: 'team:0123456789abcdefgh' });
    expect(keyed.auth).toMatchObject({ keyless: false, keys: [{ label: 'team' }] });
    expect(problemsOf({ AUTH_DISABLED: 'maybe' })).toEqual([
      'AUTH_DISABLED: must be a boolean value (got "maybe")',
    ]);
  });

  it('reports unusable API keys', () => {
    expect(problemsOf({ API_KEYS: 'short' })).toEqual([
      'API_KEYS: entry 1 is shorter than 16 characters',
    ]);
    expect(problemsOf({ ADMIN_API_KEYS: 'sha256:nothex' })).toEqual([
      'ADMIN_API_KEYS: entry 1 is not a valid sha256:<64 hex digits>',
    ]);
  });

  it('bounds the HTTP server, a request timeout never shorter than the headers timeout', () => {
    expect(
      loadConfiguration({
        HTTP_HEADERS_TIMEOUT_SECONDS: '2',
        HTTP_REQUEST_TIMEOUT_SECONDS: '3',
        HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '4',
        HTTP_MAX_CONNECTIONS: '50',
      }).http,
    ).toMatchObject({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      keepAliveTimeoutMs: 4000,
      maxConnections: 50,
    });
    expect(
      problemsOf({ HTTP_HEADERS_TIMEOUT_SECONDS: '20', HTTP_REQUEST_TIMEOUT_SECONDS: '10' }),
    ).toEqual([
      'HTTP_REQUEST_TIMEOUT_SECONDS: must be at least HTTP_HEADERS_TIMEOUT_SECONDS (20) (got 10)',
    ]);
  });

  it('reports unusable keys in both lists at once', () => {
    expect(problemsOf({ API_KEYS: 'short', ADMIN_API_KEYS: 'sha256:nothex' })).toEqual([
      'API_KEYS: entry 1 is shorter than 16 characters',
      'ADMIN_API_KEYS: entry 1 is not a valid sha256:<64 hex digits>',
    ]);
  });

  it('reads HISTORY_EARLIEST_DATE as midnight UTC and refuses anything but a real date', () => {
    expect(
      loadConfiguration({ HISTORY_EARLIEST_DATE: '2020-02-29' }).aareguru.historyEarliest,
    ).toBe(Date.UTC(2020, 1, 29) / 1000);
    // A date left unquoted in a YAML file arrives as a Date.
    const dir = mkdtempSync(join(tmpdir(), 'aareguru-config-'));
    copyFileSync(join(DEFAULT_CONFIG_DIR, 'default.yaml'), join(dir, 'default.yaml'));
    writeFileSync(join(dir, 'staging.yaml'), 'HISTORY_EARLIEST_DATE: 2018-06-01\n');
    expect(loadConfiguration({ NODE_ENV: 'staging' }, dir).aareguru.historyEarliest).toBe(
      Date.UTC(2018, 5, 1) / 1000,
    );
    for (const value of ['2021-02-29', '2017', '2017-01-01T12:00:00Z', 'soon']) {
      expect(problemsOf({ HISTORY_EARLIEST_DATE: value })).toEqual([
        `HISTORY_EARLIEST_DATE: must be a date (YYYY-MM-DD) (got "${value}")`,
      ]);
    }
  });

  describe('refuses a label or a key that API_KEYS and ADMIN_API_KEYS share', () => {
    const USER_KEY = 'user-key-0123456789';
    const ADMIN_KEY = 'admin-key-0123456789';
    const derived = (key: string) => `key-${sha256(key).toString('hex').slice(0, 8)}`;

    it.each([
      [
        'the same explicit label',
        { API_KEYS: `ops:${USER_KEY}`, ADMIN_API_KEYS: `ops:${ADMIN_KEY}` },
        'ADMIN_API_KEYS: the label "ops" is also used in API_KEYS; labels must differ between the two lists',
      ],
      [
        'an explicit user label equal to a derived admin label',
        { API_KEYS: `${derived(ADMIN_KEY)}:${USER_KEY}`, ADMIN_API_KEYS: ADMIN_KEY },
        `ADMIN_API_KEYS: the label "${derived(ADMIN_KEY)}" is also used in API_KEYS; labels must differ between the two lists`,
      ],
      [
        'a derived user label equal to an explicit admin label',
        { API_KEYS: USER_KEY, ADMIN_API_KEYS: `${derived(USER_KEY)}:${ADMIN_KEY}` },
        `ADMIN_API_KEYS: the label "${derived(USER_KEY)}" is also used in API_KEYS; labels must differ between the two lists`,
      ],
      [
        'the same unlabelled key',
        { API_KEYS: USER_KEY, ADMIN_API_KEYS: `sha256:${sha256(USER_KEY).toString('hex')}` },
        `ADMIN_API_KEYS: the key labelled "${derived(USER_KEY)}" is also in API_KEYS; a key belongs in one list`,
      ],
      [
        'the same key under two labels',
        { API_KEYS: `team:${USER_KEY}`, ADMIN_API_KEYS: `ops:${USER_KEY}` },
        'ADMIN_API_KEYS: the key labelled "ops" is also in API_KEYS (as "team"); a key belongs in one list',
      ],
    ])('%s', (_case, env, problem) => {
      expect(problemsOf(env)).toEqual([problem]);
    });

    it('names every shared label, one per line', () => {
      expect(() =>
        loadConfiguration({
          API_KEYS: `ops:${USER_KEY},team:${USER_KEY}x`,
          ADMIN_API_KEYS: `ops:${ADMIN_KEY},team:${ADMIN_KEY}x`,
        }),
      ).toThrow(/- ADMIN_API_KEYS: the label "ops" .*\n {2}- ADMIN_API_KEYS: the label "team" /);
    });

    it('accepts distinct labels and keys', () => {
      const config = loadConfiguration({ API_KEYS: USER_KEY, ADMIN_API_KEYS: ADMIN_KEY });
      expect(config.auth.keys.map((k) => k.label)).toEqual([derived(USER_KEY)]);
      expect(config.auth.adminKeys.map((k) => k.label)).toEqual([derived(ADMIN_KEY)]);
    });
  });

  it('reads the HTTP edge and session settings', () => {
    const config = loadConfiguration({
      TRUST_PROXY: '2',
      CORS_ORIGINS: 'https://app.example.com/',
      SESSION_MAX_LIFETIME_SECONDS: '600',
    });
    expect(config.http).toMatchObject({
      trustProxy: 2,
      corsOrigins: ['https://app.example.com'],
      maxBodyBytes: 4 * 1024 * 1024,
      maxJsonDepth: 64,
      maxInitializeBytes: 64 * 1024,
      // Keyless on loopback: a developer's machine.
      rateLimitPerMinute: 1000,
      rateLimitPerHour: 20000,
      sessionOpenPerMinute: 30,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 20_000,
    });
    // A browser app allowed by CORS passes the Origin check too.
    expect(config.mcp.allowedOrigins).toContain('app.example.com');
    expect(config.sessions).toEqual({
      maxSessions: 10000,
      maxSessionsPerKey: 1000,
      idleTimeoutSeconds: 3600,
      hibernateAfterSeconds: 30,
      maxLifetimeSeconds: 600,
      maxListenStreams: 1000,
      maxListenStreamsPerKey: 100,
      listenStreamMaxSeconds: 3600,
      shutdownGraceSeconds: 10,
    });
    expect(loadConfiguration({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.1',
    ]);
    expect(loadConfiguration({}).http.trustProxy).toBe(false);
  });

  describe('rate limits', () => {
    const KEY = 'team:0123456789abcdef0123';
    const limits = (env: NodeJS.ProcessEnv) => {
      const { rateLimitPerMinute, rateLimitPerHour } = loadConfiguration(env).http;
      return [rateLimitPerMinute, rateLimitPerHour];
    };

    it('default to production limits for keys and for keyless servers off loopback', () => {
      expect(limits({ API_KEYS: KEY })).toEqual([100, 1000]);
      expect(limits({ API_KEYS: KEY, HOST: '0.0.0.0' })).toEqual([100, 1000]);
      expect(limits({ HOST: '0.0.0.0', AUTH_DISABLED: 'true' })).toEqual([100, 1000]);
    });

    it('default to limits a developer does not hit for a keyless server on loopback', () => {
      expect(limits({})).toEqual([1000, 20000]);
      expect(limits({ HOST: '::1' })).toEqual([1000, 20000]);
      expect(limits({ HOST: 'localhost', AUTH_DISABLED: 'false' })).toEqual([1000, 20000]);
    });

    it('default to production limits behind a gateway on loopback (AUTH_DISABLED=true)', () => {
      // A sidecar gateway reaches the server on loopback and serves many callers through it.
      expect(limits({ HOST: '127.0.0.1', AUTH_DISABLED: 'true' })).toEqual([100, 1000]);
      expect(limits({ HOST: 'localhost', AUTH_DISABLED: 'true' })).toEqual([100, 1000]);
      expect(
        limits({
          HOST: '127.0.0.1',
          AUTH_DISABLED: 'true',
          IDENTITY_HEADER: 'X-Consumer-Username',
          TRUST_PROXY: 'loopback',
        }),
      ).toEqual([100, 1000]);
    });

    it('take what is set, wherever the server runs', () => {
      expect(limits({ RATE_LIMIT_PER_MINUTE: '5' })).toEqual([5, 20000]);
      expect(limits({ API_KEYS: KEY, RATE_LIMIT_PER_HOUR: '50' })).toEqual([100, 50]);
      expect(problemsOf({ RATE_LIMIT_PER_MINUTE: 'many' })).toEqual([
        expect.stringMatching(/^RATE_LIMIT_PER_MINUTE: must be an integer number \(got "many"\)/),
      ]);
      expect(problemsOf({ RATE_LIMIT_PER_HOUR: '0' })[0]).toMatch(
        /^RATE_LIMIT_PER_HOUR: must not be less than 1/,
      );
    });
  });

  describe('IDENTITY_HEADER', () => {
    const gateway = { HOST: '0.0.0.0', AUTH_DISABLED: 'true', TRUST_PROXY: '10.0.0.0/8' };

    it('is read, lower-cased and as written, behind a gateway that authenticates', () => {
      const { auth } = loadConfiguration({ ...gateway, IDENTITY_HEADER: 'X-Consumer-Username' });
      expect(auth.identityHeader).toBe('x-consumer-username');
      expect(auth.identityHeaderName).toBe('X-Consumer-Username');
      expect(loadConfiguration(gateway).auth).toMatchObject({
        identityHeader: null,
        identityHeaderName: null,
      });
    });

    it('is refused unless the server leaves authentication to the gateway', () => {
      expect(problemsOf({ IDENTITY_HEADER: 'X-Consumer-Username' })).toEqual([
        'IDENTITY_HEADER: only allowed with AUTH_DISABLED=true and no API_KEYS, behind a gateway that authenticates (got "X-Consumer-Username")',
      ]);
      expect(
        problemsOf({
          ...gateway,
          API_KEYS: 'team:0123456789abcdef0123',
          IDENTITY_HEADER: 'X-User',
        }),
      ).toHaveLength(1);
    });

    it('is believed only from proxies named by address', () => {
      const problem =
        /^TRUST_PROXY: IDENTITY_HEADER is believed only from the gateway's addresses; list them/;
      const withHeader = { ...gateway, IDENTITY_HEADER: 'X-User' };
      expect(problemsOf({ ...withHeader, TRUST_PROXY: '' })[0]).toMatch(problem);
      expect(problemsOf({ ...withHeader, TRUST_PROXY: '1' })[0]).toMatch(problem);
      expect(problemsOf({ ...withHeader, TRUST_PROXY: '10.0.0.0/33' })[0]).toMatch(problem);
      // Networks so wide they hold everyone would believe anyone's header.
      for (const everyone of ['0.0.0.0/0', '10.0.0.0/7', '::/0', 'fc00::/7'])
        expect(problemsOf({ ...withHeader, TRUST_PROXY: everyone })[0]).toMatch(problem);
      for (const trustProxy of ['loopback', '10.1.2.3', '10.0.0.0/8, fd00::/8', 'uniquelocal'])
        expect(problemsOf({ ...withHeader, TRUST_PROXY: trustProxy })).toEqual([]);
      expect(
        loadConfiguration({ ...withHeader, TRUST_PROXY: 'loopback, 10.1.2.3' }).http,
      ).toMatchObject({ trustProxy: ['loopback', '10.1.2.3'] });
    });

    it('must be a header name, and not a credential header', () => {
      expect(problemsOf({ ...gateway, IDENTITY_HEADER: 'X User' })[0]).toMatch(
        /^IDENTITY_HEADER: must be empty or a header name/,
      );
      expect(problemsOf({ ...gateway, IDENTITY_HEADER: 'Authorization' })[0]).toMatch(
        /not a credential header/,
      );
    });
  });

  describe('AUTH_MODE and OAuth', () => {
    const oauth = {
      HOST: '0.0.0.0',
      AUTH_MODE: 'oauth',
      OAUTH_ISSUERS: 'https://login.example.com/tenant/v2.0',
      PUBLIC_BASE_URL: 'https://aare.example.com/aare/',
    };

    it('defaults to API keys, with no OAuth settings', () => {
      expect(loadConfiguration({}).auth).toMatchObject({ mode: 'api-key', oauth: null });
    });

    it('reads the resource server settings, with the resource URLs from PUBLIC_BASE_URL', () => {
      const { auth, http } = loadConfiguration({
        ...oauth,
        OAUTH_AUDIENCES: 'api://7d9e2b4a, https://aare.example.com/aare/mcp',
        OAUTH_REQUIRED_SCOPES: 'aare.read, aare.call aare.read',
        OAUTH_ADMIN_SCOPE: 'Aare.Admin',
        OAUTH_CALLER_CLAIM: 'azp',
        OAUTH_ALGORITHMS: 'RS256, ES256',
        OAUTH_CLIENTS: 'claude=abc-123, ide=def',
        OAUTH_JWKS_COOLDOWN_SECONDS: '10',
      });
      expect(auth).toMatchObject({ mode: 'oauth', keyless: false });
      expect(auth.oauth).toEqual({
        issuers: ['https://login.example.com/tenant/v2.0'],
        jwksUrl: null,
        resource: 'https://aare.example.com/aare/mcp',
        rootResource: 'https://aare.example.com/aare',
        audiences: [
          'https://aare.example.com/aare/mcp',
          'https://aare.example.com/aare',
          'api://7d9e2b4a',
        ],
        requiredScopes: ['aare.read', 'aare.call'],
        adminScope: 'Aare.Admin',
        callerClaim: 'azp',
        algorithms: ['RS256', 'ES256'],
        clockSkewSeconds: 60,
        clients: [
          { label: 'claude', clientId: 'abc-123' },
          { label: 'ide', clientId: 'def' },
        ],
        jwksTimeoutMs: 5000,
        jwksCooldownMs: 10000,
      });
      // Tokens stand in for keys: off loopback without API_KEYS is fine, with production limits.
      expect(http.rateLimitPerMinute).toBe(100);
    });

    it('refuses what would leave tokens unchecked or checked against the wrong thing', () => {
      expect(problemsOf({ ...oauth, OAUTH_ISSUERS: '' })).toEqual([
        'OAUTH_ISSUERS: required with AUTH_MODE=oauth',
      ]);
      expect(problemsOf({ ...oauth, OAUTH_ISSUERS: 'http://idp.example.com' })[0]).toMatch(
        /^OAUTH_ISSUERS: must be an https URL \(http only on localhost\)/,
      );
      expect(problemsOf({ ...oauth, OAUTH_ISSUERS: 'http://127.0.0.1:8080/realms/a' })).toEqual([]);
      expect(problemsOf({ ...oauth, PUBLIC_BASE_URL: '/aare' })[0]).toMatch(
        /^PUBLIC_BASE_URL: AUTH_MODE=oauth needs the absolute URL/,
      );
      expect(problemsOf({ ...oauth, OAUTH_ALGORITHMS: 'RS256,HS256' })).toEqual([
        'OAUTH_ALGORITHMS: "HS256" is not accepted; asymmetric algorithms only: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      ]);
      expect(problemsOf({ ...oauth, OAUTH_ALGORITHMS: 'none' })[0]).toMatch(
        /"none" is not accepted/,
      );
      expect(problemsOf({ ...oauth, API_KEYS: 'team:0123456789abcdef0123' })).toEqual([
        'API_KEYS: AUTH_MODE=oauth takes tokens only; set AUTH_MODE=both to accept API keys as well',
      ]);
      expect(problemsOf({ ...oauth, AUTH_DISABLED: 'true' })).toEqual([
        'AUTH_DISABLED: cannot be true with AUTH_MODE=oauth',
      ]);
      expect(problemsOf({ ...oauth, OAUTH_CLIENTS: 'claude' })[0]).toMatch(
        /^OAUTH_CLIENTS: each entry is label=client-id/,
      );
      expect(problemsOf({ ...oauth, OAUTH_CLIENTS: 'a=1,a=2' })[0]).toMatch(/repeats a label/);
      expect(
        problemsOf({ ...oauth, AUTH_MODE: 'api-key', API_KEYS: 'team:0123456789abcdef0123' }),
      ).toEqual([
        'OAUTH_ISSUERS: set, but AUTH_MODE is api-key; set AUTH_MODE=oauth or both to accept tokens',
      ]);
      expect(problemsOf({ ...oauth, AUTH_MODE: 'jwt' })[0]).toMatch(/^AUTH_MODE: must be one of/);
      expect(
        problemsOf({
          ...oauth,
          OAUTH_ISSUERS: 'https://a.example.com,https://b.example.com',
          OAUTH_JWKS_URL: 'https://a.example.com/keys',
        }),
      ).toEqual([
        'OAUTH_JWKS_URL: only with a single issuer; with several, each issuer publishes its own keys (leave it empty)',
      ]);
      expect(
        problemsOf({
          ...oauth,
          OAUTH_REQUIRED_SCOPES: 'aare.read',
          OAUTH_ADMIN_SCOPE: 'aare.read',
        }),
      ).toEqual([
        'OAUTH_ADMIN_SCOPE: "aare.read" is also required of every MCP caller, which would make each of them an admin',
      ]);
      expect(
        problemsOf({ API_KEYS: 'team:0123456789abcdef0123', OAUTH_REQUIRED_SCOPES: 'aare.read' }),
      ).toEqual([
        'OAUTH_REQUIRED_SCOPES: set, but AUTH_MODE is api-key; set AUTH_MODE=oauth or both to accept tokens',
      ]);
    });

    it('takes keys and tokens side by side in both mode', () => {
      const { auth } = loadConfiguration({
        ...oauth,
        AUTH_MODE: 'both',
        API_KEYS: 'team:0123456789abcdef0123',
      });
      expect(auth).toMatchObject({ mode: 'both', keyless: false, keys: [{ label: 'team' }] });
    });
  });

  it('never shows the value of a secret setting in a problem', () => {
    const secret = 'short secret\n';
    const problems = problemsOf({ REQUEST_STATE_KEY: secret });
    expect(problems).toEqual([
      'REQUEST_STATE_KEY: must be empty or 32 to 512 characters without spaces (value not shown)',
    ]);
    expect(problems.join('\n')).not.toContain('short secret');
  });

  it('reports a missing config directory', () => {
    expect(problemsOf({}, join(DEFAULT_CONFIG_DIR, 'nope'))[0]).toMatch(
      /default\.yaml: file not found/,
    );
  });
});
