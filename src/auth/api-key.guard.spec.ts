import {
  BadRequestException,
  ForbiddenException,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Counter } from 'prom-client';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { AdminKeyGuard, ApiKeyGuard, MetricsKeyGuard } from './api-key.guard';
import { parseApiKeys } from '../config/api-keys.parser';
import type { AuthConfig, OAuthConfig } from '../config/configuration.types';
import { AUTH_TOKEN_CHECKS } from './auth.metrics';
import { AuthService, issuerTagOf } from './auth.service';
import { ProtectedResource } from './oauth/protected-resource';
import {
  IdentityProviderUnavailableError,
  type OAuthTokenVerifier,
  type VerifiedToken,
} from './oauth/token-verifier';
import type { AuthenticatedRequest } from './principal';

/** The rejection counter, in no registry: each guard under test gets its own. */
const rejected = () => new Counter({ ...HTTP_REJECTED_REQUESTS, registers: [] });

const USER = 'user-key-0123456789';
const ADMIN = 'admin-key-0123456789';

function contextFor(
  headers: Record<string, string>,
  remoteAddress = '127.0.0.1',
  path = '/mcp',
): {
  context: ExecutionContext;
  req: AuthenticatedRequest;
  sent: Map<string, unknown>;
} {
  const req = { headers, socket: { remoteAddress }, path } as unknown as AuthenticatedRequest;
  const sent = new Map<string, unknown>();
  const res = { setHeader: (name: string, value: unknown) => sent.set(name.toLowerCase(), value) };
  const context = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
  return { context, req, sent };
}

/** Runs a guard that must refuse with 401 and returns the response headers it set. */
async function refused(guard: CanActivate, headers: Record<string, string> = {}) {
  const { context, sent } = contextFor(headers);
  await expect(guard.canActivate(context)).rejects.toThrow(UnauthorizedException);
  return sent;
}

const CHALLENGE = 'ApiKey header="X-API-Key", Bearer';

function authConfig(
  options: {
    keys?: string;
    adminKeys?: string;
    metricsRequireKey?: boolean;
    identityHeader?: string;
    mode?: AuthConfig['mode'];
    oauth?: Partial<OAuthConfig>;
  } = {},
): AuthConfig {
  const mode = options.mode ?? 'api-key';
  const keys = parseApiKeys(options.keys ?? (mode === 'oauth' ? '' : `team:${USER}`));
  const oauth = mode === 'api-key' ? null : { ...OAUTH, ...options.oauth };
  return {
    mode,
    oauth,
    keys,
    adminKeys: parseApiKeys(options.adminKeys ?? `ops:${ADMIN}`),
    keyless: keys.length === 0 && oauth === null,
    metricsRequireKey: options.metricsRequireKey ?? false,
    identityHeader: options.identityHeader?.toLowerCase() ?? null,
    identityHeaderName: options.identityHeader ?? null,
  };
}

const OAUTH: OAuthConfig = {
  issuers: ['https://idp.example.com'],
  jwksUrl: null,
  resource: 'https://aare.example.com/mcp',
  rootResource: 'https://aare.example.com',
  audiences: ['https://aare.example.com/mcp', 'https://aare.example.com'],
  requiredScopes: ['aare.read'],
  adminScope: 'Aare.Admin',
  callerClaim: 'sub',
  algorithms: ['RS256'],
  clockSkewSeconds: 60,
  clients: [{ label: 'claude', clientId: 'claude-app' }],
  jwksTimeoutMs: 5000,
  jwksCooldownMs: 30000,
};

/** JWT-shaped bearer values the fake verifier knows. */
const TOKENS = {
  alice: 'eyJhbGciOiJSUzI1NiJ9.YWxpY2U.c2ln',
  aliceNoScope: 'eyJhbGciOiJSUzI1NiJ9.YWxpY2Utbm9zY29wZQ.c2ln',
  admin: 'eyJhbGciOiJSUzI1NiJ9.YWRtaW4.c2ln',
  expired: 'eyJhbGciOiJSUzI1NiJ9.ZXhwaXJlZA.c2ln',
  idpDown: 'eyJhbGciOiJSUzI1NiJ9.ZG93bg.c2ln',
  appWithRole: 'eyJhbGciOiJSUzI1NiJ9.YXBw.c2ln',
};

function verified(
  caller: string,
  scopes: string[],
  extra: Partial<VerifiedToken['extra']> = {},
): VerifiedToken {
  return {
    token: '',
    clientId: caller,
    scopes,
    expiresAt: Date.now() / 1000 + 300,
    resource: new URL(OAUTH.resource),
    extra: { issuer: OAUTH.issuers[0], caller, roles: [], clientApp: null, ...extra },
  };
}

/** Stands in for the JWT verifier (specified on its own): a fixed answer per token. */
const fakeVerifier: OAuthTokenVerifier = {
  verifyAccessToken(token: string): Promise<VerifiedToken> {
    switch (token) {
      case TOKENS.alice:
        return Promise.resolve(verified('alice', ['aare.read'], { clientApp: 'claude-app' }));
      case TOKENS.aliceNoScope:
        return Promise.resolve(verified('alice', ['profile']));
      case TOKENS.appWithRole:
        return Promise.resolve(verified('reports-app', [], { roles: ['aare.read'] }));
      case TOKENS.admin:
        return Promise.resolve(verified('carol', ['aare.read'], { roles: ['Aare.Admin'] }));
      case TOKENS.idpDown:
        return Promise.reject(new IdentityProviderUnavailableError('the key set did not answer'));
      case TOKENS.expired:
        return Promise.reject(new OAuthError(OAuthErrorCode.InvalidToken, 'The token has expired'));
      default:
        return Promise.reject(
          new OAuthError(OAuthErrorCode.InvalidToken, "The token's signature does not verify"),
        );
    }
  },
};

const TRUST_LOOPBACK = { trustProxy: ['loopback'] };

function authService(options: Parameters<typeof authConfig>[0] = {}) {
  const config = authConfig(options);
  return new AuthService(config, TRUST_LOOPBACK, config.oauth ? fakeVerifier : null);
}

function resourceOf(auth: AuthService): ProtectedResource {
  return new ProtectedResource({ oauth: auth.oauth }, { publicBasePath: '' });
}

const userGuard = (auth = authService(), counter = rejected()) =>
  new ApiKeyGuard(auth, resourceOf(auth), counter);

describe('ApiKeyGuard', () => {
  it('lets a valid key through and records who it is', async () => {
    const { context, req } = contextFor({ 'x-api-key': USER });
    await expect(userGuard().canActivate(context)).resolves.toBe(true);
    expect(req.principal).toEqual({ label: 'team', admin: false });
  });

  it('accepts the key as a bearer token too', async () => {
    const { context, req } = contextFor({ authorization: `Bearer ${USER}` });
    await userGuard().canActivate(context);
    expect(req.principal?.label).toBe('team');
  });

  it.each<Record<string, string>>([{}, { 'x-api-key': 'wrong-key-0000000000' }])(
    'refuses %p with 401 and counts it',
    async (headers) => {
      const counter = rejected();
      const { context } = contextFor(headers);
      await expect(userGuard(authService(), counter).canActivate(context)).rejects.toThrow(
        UnauthorizedException,
      );
      expect((await counter.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'auth' }, value: 1 }),
      ]);
    },
  );

  it.each<Record<string, string>>([
    {},
    { 'x-api-key': 'wrong-key-0000000000' },
    { authorization: 'Bearer wrong-key-0000000000' },
    // Without OAuth a JWT is just a key nobody configured.
    { authorization: `Bearer ${TOKENS.alice}` },
  ])('tells a refused %p how to authenticate', async (headers) => {
    const sent = await refused(userGuard(), headers);
    expect(sent.get('www-authenticate')).toBe(CHALLENGE);
  });

  it('sets no challenge on a request it lets through', async () => {
    const { context, sent } = contextFor({ 'x-api-key': USER });
    await userGuard().canActivate(context);
    expect(sent.size).toBe(0);
  });

  it('lets everyone through as "anonymous" when the server is keyless', async () => {
    const { context, req } = contextFor({});
    await expect(userGuard(authService({ keys: '' })).canActivate(context)).resolves.toBe(true);
    expect(req.principal?.label).toBe('anonymous');
  });
});

describe('ApiKeyGuard with OAuth (AUTH_MODE=oauth)', () => {
  const oauth = () => authService({ mode: 'oauth' });
  const METADATA = 'https://aare.example.com/.well-known/oauth-protected-resource/mcp';

  it('takes a token of a trusted issuer as its caller, and passes on no token', async () => {
    const { context, req } = contextFor({ authorization: `Bearer ${TOKENS.alice}` });
    await expect(userGuard(oauth()).canActivate(context)).resolves.toBe(true);
    expect(req.principal).toEqual({ label: 'oauth:alice', admin: false, metric: 'oauth:claude' });
    expect((req as unknown as { auth: unknown }).auth).toEqual({
      token: '',
      clientId: 'oauth:alice',
      scopes: ['aare.read'],
      extra: { metricLabel: 'oauth:claude' },
    });
  });

  it('counts a client application it does not know as oauth, never by person', async () => {
    const auth = authService({ mode: 'oauth', oauth: { clients: [] } });
    const { context, req } = contextFor({ authorization: `Bearer ${TOKENS.alice}` });
    await userGuard(auth).canActivate(context);
    expect(req.principal?.metric).toBe('oauth');
  });

  it('challenges a request without a token with where to get one, and no error code', async () => {
    const { context, sent } = contextFor({});
    await expect(userGuard(oauth()).canActivate(context)).rejects.toThrow(
      new UnauthorizedException(
        'Unauthorized: a bearer token from https://idp.example.com (Authorization: Bearer …) is required',
      ),
    );
    expect(sent.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${METADATA}", scope="aare.read"`,
    );
  });

  it('answers a token that is not valid with invalid_token and the reason', async () => {
    const { context, sent } = contextFor({ authorization: `Bearer ${TOKENS.expired}` });
    await expect(userGuard(oauth()).canActivate(context)).rejects.toThrow(
      new UnauthorizedException('Unauthorized: The token has expired'),
    );
    expect(sent.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="The token has expired", resource_metadata="${METADATA}", scope="aare.read"`,
    );
  });

  it('takes no API key, not even in X-API-Key', async () => {
    const auth = authService({ mode: 'oauth', keys: `team:${USER}` });
    const sent = await refused(userGuard(auth), { 'x-api-key': USER });
    expect(sent.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
    await refused(userGuard(auth), { authorization: `Bearer ${USER}` });
  });

  it('takes a role of the required name for the scope, as Entra ID grants applications', async () => {
    const { context, req } = contextFor({ authorization: `Bearer ${TOKENS.appWithRole}` });
    await expect(userGuard(oauth()).canActivate(context)).resolves.toBe(true);
    expect(req.principal?.label).toBe('oauth:reports-app');
  });

  it('answers a token without the required scope with 403 insufficient_scope', async () => {
    const counter = rejected();
    const { context, sent } = contextFor({ authorization: `Bearer ${TOKENS.aliceNoScope}` });
    await expect(userGuard(oauth(), counter).canActivate(context)).rejects.toThrow(
      new ForbiddenException(
        'Forbidden: the token is not granted "aare.read", which this server needs',
      ),
    );
    expect(sent.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="The token lacks the scope aare.read", resource_metadata="${METADATA}", scope="aare.read"`,
    );
    expect((await counter.get()).values[0]).toMatchObject({ value: 1 });
  });

  it('answers 503 with Retry-After, never 401, when the identity provider cannot be asked', async () => {
    const { context, sent } = contextFor({ authorization: `Bearer ${TOKENS.idpDown}` });
    await expect(userGuard(oauth()).canActivate(context)).rejects.toThrow(
      ServiceUnavailableException,
    );
    expect(sent.get('retry-after')).toBe('5');
    expect(sent.has('www-authenticate')).toBe(false);
  });

  it('points legacy SSE routes at the metadata of the server as a whole', async () => {
    const { context, sent } = contextFor({}, '127.0.0.1', '/sse');
    await expect(userGuard(oauth()).canActivate(context)).rejects.toThrow(UnauthorizedException);
    expect(sent.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://aare.example.com/.well-known/oauth-protected-resource", scope="aare.read"',
    );
  });
});

describe('ApiKeyGuard with keys and tokens side by side (AUTH_MODE=both)', () => {
  const both = () => authService({ mode: 'both' });

  it('takes a key in X-API-Key or Authorization, and a JWT as a token', async () => {
    const keyHeaders: Record<string, string>[] = [
      { 'x-api-key': USER },
      { authorization: `Bearer ${USER}` },
    ];
    for (const headers of keyHeaders) {
      const { context, req } = contextFor(headers);
      await userGuard(both()).canActivate(context);
      expect(req.principal?.label).toBe('team');
    }
    const { context, req } = contextFor({ authorization: `Bearer ${TOKENS.alice}` });
    await userGuard(both()).canActivate(context);
    expect(req.principal?.label).toBe('oauth:alice');
  });

  it('names both schemes, Bearer first, when refusing', async () => {
    const sent = await refused(userGuard(both()), { authorization: 'Bearer wrong-key-000000' });
    expect(sent.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://aare.example.com/.well-known/oauth-protected-resource/mcp", scope="aare.read", ApiKey header="X-API-Key"',
    );
    const { context } = contextFor({});
    await expect(userGuard(both()).canActivate(context)).rejects.toThrow(
      new UnauthorizedException(
        'Unauthorized: an API key (X-API-Key header) or a bearer token from https://idp.example.com (Authorization: Bearer …) is required',
      ),
    );
  });

  it('keeps the callers of two issuers apart', async () => {
    const auth = authService({
      mode: 'both',
      oauth: { issuers: ['https://other.example.com', 'https://idp.example.com'] },
    });
    const { context, req } = contextFor({ authorization: `Bearer ${TOKENS.alice}` });
    await userGuard(auth).canActivate(context);
    // The issuer's tag, not its place in the list: reordering OAUTH_ISSUERS renames no one.
    expect(req.principal?.label).toBe(`oauth:${issuerTagOf('https://idp.example.com')}:alice`);
    expect(issuerTagOf('https://idp.example.com')).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('ApiKeyGuard behind a gateway that names the caller (IDENTITY_HEADER)', () => {
  const guard = (counter = rejected()) =>
    userGuard(authService({ keys: '', identityHeader: 'X-Consumer-Username' }), counter);

  it('takes the caller from the header, trimmed, as gateway:<identity>', async () => {
    const { context, req } = contextFor({ 'x-consumer-username': '  alice@example.com ' });
    await expect(guard().canActivate(context)).resolves.toBe(true);
    expect(req.principal).toEqual({ label: 'gateway:alice@example.com', admin: false });
    expect((req as unknown as { auth: { clientId: string } }).auth.clientId).toBe(
      'gateway:alice@example.com',
    );
  });

  it('believes the header only from an address TRUST_PROXY names', async () => {
    const counter = rejected();
    const { context, req } = contextFor({ 'x-consumer-username': 'alice' }, '203.0.113.9');
    await expect(guard(counter).canActivate(context)).rejects.toThrow(
      new ForbiddenException(
        "Forbidden: the X-Consumer-Username header is believed only from the gateway's addresses (TRUST_PROXY)",
      ),
    );
    expect(req.principal).toBeUndefined();
    expect((await counter.get()).values[0]).toMatchObject({ value: 1 });
    const ipv6 = contextFor({ 'x-consumer-username': 'alice' }, '::1');
    await expect(guard().canActivate(ipv6.context)).resolves.toBe(true);
  });

  it.each<Record<string, string>>([
    {},
    { 'x-consumer-username': '' },
    { 'x-consumer-username': '   ' },
  ])(
    'refuses a request without the header (%p) with 403: it did not come through the gateway',
    async (headers) => {
      const counter = rejected();
      const { context, req, sent } = contextFor(headers);
      await expect(guard(counter).canActivate(context)).rejects.toThrow(
        new ForbiddenException(
          'Forbidden: the X-Consumer-Username header naming the caller is missing: requests must come through the gateway',
        ),
      );
      expect(req.principal).toBeUndefined();
      expect(sent.has('www-authenticate')).toBe(false);
      expect((await counter.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'auth' }, value: 1 }),
      ]);
    },
  );

  it.each(['a'.repeat(65), 'alice bob', 'alice,bob', 'ali\u00e7e', 'a/b', 'x;y'])(
    'refuses the identity %p with 400 rather than guess who it is',
    async (identity) => {
      const counter = rejected();
      const { context } = contextFor({ 'x-consumer-username': identity });
      await expect(guard(counter).canActivate(context)).rejects.toThrow(
        new BadRequestException(
          'Bad Request: the X-Consumer-Username header is not a valid caller identity (1 to 64 letters, digits and ._@:+-)',
        ),
      );
      expect((await counter.get()).values[0]).toMatchObject({
        labels: { reason: 'auth' },
        value: 1,
      });
    },
  );

  it('accepts 64 characters', async () => {
    const { context, req } = contextFor({ 'x-consumer-username': 'a'.repeat(64) });
    await guard().canActivate(context);
    expect(req.principal?.label).toBe(`gateway:${'a'.repeat(64)}`);
  });
});

describe('AdminKeyGuard', () => {
  const guard = (auth = authService()) => new AdminKeyGuard(auth, resourceOf(auth), rejected());

  it('admits an admin key', async () => {
    const { context, req } = contextFor({ 'x-api-key': ADMIN });
    await expect(guard().canActivate(context)).resolves.toBe(true);
    expect(req.principal).toEqual({ label: 'ops', admin: true });
  });

  it('answers a user key with 403 and no key with 401', async () => {
    await expect(guard().canActivate(contextFor({ 'x-api-key': USER }).context)).rejects.toThrow(
      ForbiddenException,
    );
    await expect(guard().canActivate(contextFor({}).context)).rejects.toThrow(
      UnauthorizedException,
    );
  });

  it('challenges only a missing or unknown key, not a user key', async () => {
    expect((await refused(guard())).get('www-authenticate')).toBe(CHALLENGE);
    expect(
      (await refused(guard(), { 'x-api-key': 'wrong-key-0000000000' })).get('www-authenticate'),
    ).toBe(CHALLENGE);
    const { context, sent } = contextFor({ 'x-api-key': USER });
    await expect(guard().canActivate(context)).rejects.toThrow(ForbiddenException);
    expect(sent.has('www-authenticate')).toBe(false);
  });

  it('does not exist without admin keys or an admin scope', async () => {
    await expect(
      guard(authService({ adminKeys: '' })).canActivate(contextFor({ 'x-api-key': ADMIN }).context),
    ).rejects.toThrow(NotFoundException);
    const scopeOnly = authService({ mode: 'oauth', adminKeys: '' });
    const { context, req } = contextFor({ authorization: `Bearer ${TOKENS.admin}` });
    await expect(guard(scopeOnly).canActivate(context)).resolves.toBe(true);
    expect(req.principal).toMatchObject({ label: 'oauth:carol', admin: true });
  });

  it('admits a token with the admin role, or an admin key, with OAuth', async () => {
    const auth = authService({ mode: 'oauth' });
    const token = contextFor({ authorization: `Bearer ${TOKENS.admin}` });
    await expect(guard(auth).canActivate(token.context)).resolves.toBe(true);
    const key = contextFor({ 'x-api-key': ADMIN });
    await expect(guard(auth).canActivate(key.context)).resolves.toBe(true);
    expect(key.req.principal).toEqual({ label: 'ops', admin: true });
  });

  it('answers a token without the admin scope with 403 insufficient_scope naming it', async () => {
    const auth = authService({ mode: 'oauth' });
    const { context, sent } = contextFor({ authorization: `Bearer ${TOKENS.alice}` });
    await expect(guard(auth).canActivate(context)).rejects.toThrow(
      new ForbiddenException(
        'Forbidden: the token is not granted "Aare.Admin", which the admin API needs',
      ),
    );
    expect(sent.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="The token lacks the scope Aare.Admin", resource_metadata="https://aare.example.com/.well-known/oauth-protected-resource", scope="Aare.Admin"',
    );
  });
});

describe('MetricsKeyGuard', () => {
  const metricsGuard = (metricsRequireKey: boolean, mode?: AuthConfig['mode']) => {
    const auth = authService({ metricsRequireKey, mode });
    return new MetricsKeyGuard(auth, resourceOf(auth), rejected());
  };

  it('is open unless told otherwise', async () => {
    await expect(metricsGuard(false).canActivate(contextFor({}).context)).resolves.toBe(true);
  });

  it('wants any valid key when told to', async () => {
    const guard = metricsGuard(true);
    await expect(guard.canActivate(contextFor({}).context)).rejects.toThrow(UnauthorizedException);
    await expect(guard.canActivate(contextFor({ 'x-api-key': USER }).context)).resolves.toBe(true);
    await expect(guard.canActivate(contextFor({ 'x-api-key': ADMIN }).context)).resolves.toBe(true);
  });

  it('takes a valid token too with OAuth', async () => {
    const guard = metricsGuard(true, 'oauth');
    const token = contextFor({ authorization: `Bearer ${TOKENS.aliceNoScope}` });
    await expect(guard.canActivate(token.context)).resolves.toBe(true);
    await expect(guard.canActivate(contextFor({ 'x-api-key': ADMIN }).context)).resolves.toBe(true);
    await expect(
      guard.canActivate(contextFor({ authorization: `Bearer ${TOKENS.expired}` }).context),
    ).rejects.toThrow(UnauthorizedException);
  });

  it('tells a refused caller how to authenticate', async () => {
    const guard = metricsGuard(true);
    expect((await refused(guard)).get('www-authenticate')).toBe(CHALLENGE);
    expect((await refused(guard, { authorization: 'Bearer nope' })).get('www-authenticate')).toBe(
      CHALLENGE,
    );
  });
});

describe('auth_token_checks_total', () => {
  it('counts each token checked once, by outcome, and no key', async () => {
    const checks = new Counter({ ...AUTH_TOKEN_CHECKS, registers: [] });
    const config = authConfig({ mode: 'both' });
    const auth = new AuthService(config, TRUST_LOOPBACK, fakeVerifier, checks);
    const guard = userGuard(auth);
    const admin = new AdminKeyGuard(auth, resourceOf(auth), rejected());
    const attempt = (g: CanActivate, headers: Record<string, string>) =>
      Promise.resolve(g.canActivate(contextFor(headers).context)).catch(() => false);
    await attempt(guard, { authorization: `Bearer ${TOKENS.alice}` });
    await attempt(guard, { authorization: `Bearer ${TOKENS.expired}` });
    await attempt(guard, { authorization: `Bearer ${TOKENS.aliceNoScope}` });
    await attempt(guard, { authorization: `Bearer ${TOKENS.idpDown}` });
    await attempt(guard, { 'x-api-key': USER });
    await attempt(admin, { authorization: `Bearer ${TOKENS.alice}` });
    await attempt(admin, { authorization: `Bearer ${TOKENS.admin}` });
    const counts = Object.fromEntries(
      (await checks.get()).values.map((v) => [v.labels.outcome, v.value]),
    );
    expect(counts).toEqual({
      accepted: 2,
      invalid: 1,
      insufficient_scope: 2,
      provider_unavailable: 1,
    });
  });
});
