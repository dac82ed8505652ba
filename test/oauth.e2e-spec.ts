import {
  type CallToolResult,
  checkResourceAllowed,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/client';
import request from 'supertest';
import { FakeIdentityProvider } from './support/fake-identity-provider';
import { RunningApp, startApp } from './support/http-app';
import { type ClientKind, type ConnectedClient, connectClient } from './support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE, LIST_TOOLS } from './support/mcp-messages';
import { freePort } from './support/redis';
import {
  challengeParams,
  connectWithToken,
  MCP_RESOURCE,
  PUBLIC_BASE,
  REQUIRED_SCOPE,
  resourceServerEnv,
} from './support/oauth-clients';

const BASE = PUBLIC_BASE;
const MCP_METADATA = `${BASE}/.well-known/oauth-protected-resource/mcp`;
const SERVER_METADATA = `${BASE}/.well-known/oauth-protected-resource`;
const SCOPE = REQUIRED_SCOPE;
const API_KEY = 'team-a-key-0123456789';
const ADMIN_KEY = 'admin-key-0123456789ab';

let idp: FakeIdentityProvider;
let running: RunningApp | undefined;
const clients: ConnectedClient[] = [];

beforeAll(async () => {
  idp = await FakeIdentityProvider.start();
});
afterAll(() => idp.close());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await running?.close();
  running = undefined;
});

const oauthEnv = (overrides: NodeJS.ProcessEnv = {}) => resourceServerEnv(idp, overrides);

/** A token `idp` issues for /mcp with the required scope; claims and options override. */
function tokenFor(
  claims: Record<string, unknown> = {},
  options: Parameters<FakeIdentityProvider['token']>[1] = {},
  from: FakeIdentityProvider = idp,
) {
  return from.token({ aud: MCP_RESOURCE, scope: SCOPE, ...claims }, options);
}

async function connect(kind: Exclude<ClientKind, 'stdio'>, token: string) {
  const connected = await connectWithToken(kind, running!.url, token);
  clients.push(connected);
  return connected;
}

const initialize = (token?: string) => {
  const req = request(running!.url).post('/mcp').set('Accept', ACCEPT_BOTH);
  return (token === undefined ? req : req.set('Authorization', `Bearer ${token}`)).send(INITIALIZE);
};

/** The JSON-RPC error body the MCP routes answer a refusal with. */
const rpcError = (message: string) => ({
  jsonrpc: '2.0',
  error: { code: -32000, message },
  id: null,
});

/** What a client meeting the refusal sees: status, challenge parameters, body. */
function seen(answer: request.Response) {
  return {
    status: answer.status,
    challenge: answer.headers['www-authenticate'] as string | undefined,
    body: answer.body as unknown,
  };
}

const invalidToken = (description: string, metadata = MCP_METADATA) =>
  `Bearer error="invalid_token", error_description="${description}", resource_metadata="${metadata}", scope="${SCOPE}"`;

describe('the official client with a bearer token', () => {
  beforeEach(async () => {
    running = await startApp(oauthEnv());
  });

  it.each<Exclude<ClientKind, 'stdio'>>(['streamable-2025', 'streamable-2026', 'sse'])(
    'connects over %s, lists the tools and calls one',
    async (kind) => {
      // Legacy SSE clients ask for a token for the server as a whole; /mcp clients for /mcp.
      const token = await tokenFor(kind === 'sse' ? { aud: BASE } : {});
      const { client } = await connect(kind, token);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('get_current_temperature');
      const result = (await client.callTool({
        name: 'get_current_temperature',
        arguments: { city: 'bern' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { city: string }).city).toBe('bern');
    },
  );

  it('fails to connect with a token the server refuses, the 401 in its error', async () => {
    const expired = await tokenFor({}, { expiresIn: -60 });
    const failure = await connectWithToken('streamable-2025', running!.url, expired).then(
      () => new Error('connected'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/401|Unauthorized/);
  });
});

describe('refusals on /mcp', () => {
  let other: FakeIdentityProvider;

  beforeAll(async () => {
    other = await FakeIdentityProvider.start();
  });
  afterAll(() => other.close());
  beforeEach(async () => {
    running = await startApp(oauthEnv());
  });

  it('without a token: 401 pointing at the metadata and naming the scope', async () => {
    expect(seen(await initialize())).toEqual({
      status: 401,
      challenge: `Bearer resource_metadata="${MCP_METADATA}", scope="${SCOPE}"`,
      body: rpcError(
        `Unauthorized: a bearer token from ${idp.issuer} (Authorization: Bearer …) is required`,
      ),
    });
  });

  // The reason is a function where it names what is known only once the test runs.
  it.each<[string, () => Promise<string>, string | (() => string)]>([
    ['expired', () => tokenFor({}, { expiresIn: -60 }), 'The token has expired'],
    ['not valid yet', () => tokenFor({}, { notBefore: 60 }), 'The token is not valid yet'],
    [
      'for another audience',
      () => tokenFor({ aud: 'https://other.example.test/mcp' }),
      'The token was issued for another audience (https://other.example.test/mcp); this server accepts https://aare.example.test/mcp, https://aare.example.test',
    ],
    [
      'from an issuer not trusted',
      () => tokenFor({}, {}, other),
      () => `The token is issued by ${other.issuer}, which this server does not trust`,
    ],
    [
      'unsigned (alg none)',
      async () => idp.unsignedToken({ aud: MCP_RESOURCE, scope: SCOPE }),
      'The token is not signed; accepted: RS256, PS256, ES256, EdDSA',
    ],
    [
      'HS256 keyed with the public key',
      () => idp.hs256WithPublicKey({ aud: MCP_RESOURCE, scope: SCOPE }),
      'The token is signed with HS256; accepted: RS256, PS256, ES256, EdDSA',
    ],
    ['garbage', async () => 'not-a-jwt', 'The token is not a JWT'],
  ])('a token %s: 401 invalid_token with the reason', async (_, make, reason) => {
    const description = typeof reason === 'function' ? reason() : reason;
    expect(seen(await initialize(await make()))).toEqual({
      status: 401,
      challenge: invalidToken(description),
      body: rpcError(`Unauthorized: ${description}`),
    });
  });

  // OAUTH_CLOCK_SKEW_SECONDS is 5: clocks a little apart do not refuse a good token.
  it('a token expired 2 s ago: served', async () => {
    await initialize(await tokenFor({}, { expiresIn: -2 })).expect(200);
  });

  it('a token valid 2 s from now: served', async () => {
    await initialize(await tokenFor({}, { notBefore: 2 })).expect(200);
  });

  it('a token without the required scope: 403 insufficient_scope naming it', async () => {
    const token = await tokenFor({ scope: 'aare.other' });
    expect(seen(await initialize(token))).toEqual({
      status: 403,
      challenge: `Bearer error="insufficient_scope", error_description="The token lacks the scope ${SCOPE}", resource_metadata="${MCP_METADATA}", scope="${SCOPE}"`,
      body: rpcError(`Forbidden: the token is not granted "${SCOPE}", which this server needs`),
    });
  });

  it('the same challenges on the legacy SSE routes, pointing at the server metadata', async () => {
    const sse = await request(running!.url).get('/sse').set('Accept', 'text/event-stream');
    expect(sse.status).toBe(401);
    expect(sse.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${SERVER_METADATA}", scope="${SCOPE}"`,
    );
    const garbage = await request(running!.url)
      .get('/sse')
      .set('Accept', 'text/event-stream')
      .set('Authorization', 'Bearer not-a-jwt');
    expect(seen(garbage)).toEqual({
      status: 401,
      challenge: invalidToken('The token is not a JWT', SERVER_METADATA),
      body: rpcError('Unauthorized: The token is not a JWT'),
    });
    const expired = await tokenFor({ aud: BASE }, { expiresIn: -60 });
    const messages = await request(running!.url)
      .post('/messages?sessionId=nope')
      .set('Authorization', `Bearer ${expired}`)
      .send(LIST_TOOLS);
    expect(seen(messages)).toEqual({
      status: 401,
      challenge: invalidToken('The token has expired', SERVER_METADATA),
      body: rpcError('Unauthorized: The token has expired'),
    });
  });
});

describe('key rotation', () => {
  let rotating: FakeIdentityProvider;

  beforeEach(async () => {
    rotating = await FakeIdentityProvider.start();
    // No cooldown: an unknown kid sends the server to the key set again at once.
    running = await startApp(
      oauthEnv({ OAUTH_ISSUERS: rotating.issuer, OAUTH_JWKS_COOLDOWN_SECONDS: '0' }),
    );
  });
  afterEach(() => rotating.close());

  it('refuses a kid the issuer does not publish, and takes the next key once published', async () => {
    await initialize(await tokenFor({}, {}, rotating)).expect(200);
    const unknown = await tokenFor({}, { kid: 'unpublished' }, rotating);
    const refused = await initialize(unknown);
    expect(refused.status).toBe(401);
    expect(challengeParams(refused.headers['www-authenticate'])).toMatchObject({
      error: 'invalid_token',
      error_description: 'The token is signed with a key the issuer does not publish',
    });

    await rotating.rotate();
    const fetchesBefore = rotating.jwksRequests;
    await initialize(await tokenFor({}, {}, rotating)).expect(200);
    expect(rotating.jwksRequests).toBe(fetchesBefore + 1);
  });
});

describe('Protected Resource Metadata (RFC 9728)', () => {
  const document = (resource: string, base = BASE) => ({
    resource,
    authorization_servers: [idp.issuer],
    scopes_supported: [SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: 'Aareguru MCP: the Aare river in Switzerland',
    resource_documentation: `${base}/docs`,
  });

  it('serves one document per resource, readable from any origin', async () => {
    running = await startApp(oauthEnv());
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp', MCP_RESOURCE],
      ['/.well-known/oauth-protected-resource', `${BASE}/`],
    ]) {
      const answer = await request(running.url).get(path).expect(200);
      expect(answer.body).toEqual(document(resource));
      expect(answer.headers['access-control-allow-origin']).toBe('*');
    }
  });

  it.each([
    ['/mcp', () => initialize(), MCP_RESOURCE],
    ['/sse', () => request(running!.url).get('/sse').set('Accept', 'text/event-stream'), BASE],
  ])(
    'the 401 on %s sends the client to the document of the resource it asked for',
    async (_, ask, resource) => {
      running = await startApp(oauthEnv());
      const refused = await ask();
      const url = new URL(challengeParams(refused.headers['www-authenticate']).resource_metadata);
      expect(url.origin).toBe(BASE);
      const metadata = await request(running.url).get(url.pathname).expect(200);
      // The client checks that the document is about the resource it is talking to.
      expect(metadata.body.resource.replace(/\/$/, '')).toBe(resource);
    },
  );

  it.each([
    ['/mcp', BASE],
    ['/mcp', 'https://gw.example.test/aare'],
    ['/sse', BASE],
  ])("passes the official client's own discovery for %s under %s", async (route, base) => {
    running = await startApp(oauthEnv({ PUBLIC_BASE_URL: base }));
    // The gateway: the public URL in front, its path prefix stripped; the well-known
    // documents, at the root of the origin, passed on as they are.
    const origin = new URL(base).origin;
    const gateway = (input: string | URL, init?: RequestInit) => {
      const url = String(input);
      const behind = url.startsWith(`${base}/`)
        ? `${running!.url}${url.slice(base.length)}`
        : url.replace(origin, running!.url);
      return fetch(behind, init);
    };
    const serverUrl = new URL(`${base}${route}`);
    const refused = await gateway(serverUrl, {
      method: route === '/mcp' ? 'POST' : 'GET',
      headers: { Accept: ACCEPT_BOTH, 'Content-Type': 'application/json' },
      body: route === '/mcp' ? JSON.stringify(INITIALIZE) : undefined,
    });
    expect(refused.status).toBe(401);
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(refused);
    expect(scope).toBe(SCOPE);
    for (const opts of [{ resourceMetadataUrl }, {}]) {
      const metadata = await discoverOAuthProtectedResourceMetadata(serverUrl, opts, gateway);
      expect(metadata.authorization_servers).toEqual([idp.issuer]);
      expect(
        checkResourceAllowed({
          requestedResource: serverUrl,
          configuredResource: metadata.resource,
        }),
      ).toBe(true);
    }
  });

  it('with a path prefix in PUBLIC_BASE_URL: the challenge and both forms of the path', async () => {
    const base = 'https://gw.example.test/aare';
    running = await startApp(oauthEnv({ PUBLIC_BASE_URL: base }));
    const refused = await initialize();
    expect(challengeParams(refused.headers['www-authenticate']).resource_metadata).toBe(
      'https://gw.example.test/.well-known/oauth-protected-resource/aare/mcp',
    );
    for (const path of [
      '/.well-known/oauth-protected-resource/aare/mcp',
      // A gateway that strips the prefix forwards the path without it.
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const answer = await request(running.url).get(path).expect(200);
      expect(answer.body).toEqual(document(`${base}/mcp`, base));
    }
    const server = await request(running.url)
      .get('/.well-known/oauth-protected-resource/aare')
      .expect(200);
    expect(server.body).toEqual(document(base, base));
  });

  it('is not there when the server takes API keys only', async () => {
    running = await startApp({ API_KEYS: `team-a:${API_KEY}` });
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const answer = await request(running.url).get(path).expect(404);
      expect(answer.body).toEqual({
        statusCode: 404,
        message: 'This server takes no OAuth tokens (AUTH_MODE=api-key)',
        error: 'Not Found',
      });
    }
  });
});

describe('AUTH_MODE=both', () => {
  const ADMIN_ROLE = 'Aare.Admin';

  beforeEach(async () => {
    running = await startApp(
      oauthEnv({
        AUTH_MODE: 'both',
        API_KEYS: `team-a:${API_KEY}`,
        ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
        OAUTH_ADMIN_SCOPE: ADMIN_ROLE,
      }),
    );
  });

  it('serves an API key client and a token client side by side', async () => {
    const keyed = await connectClient('streamable-2025', { url: running!.url, apiKey: API_KEY });
    clients.push(keyed);
    const tokened = await connect('streamable-2025', await tokenFor());
    for (const { client } of [keyed, tokened]) {
      const result = (await client.callTool({
        name: 'get_current_temperature',
        arguments: { city: 'bern' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
    }
  });

  it('answers a bad token with both challenges, Bearer first', async () => {
    const expired = await tokenFor({}, { expiresIn: -60 });
    expect(seen(await initialize(expired))).toEqual({
      status: 401,
      challenge: `${invalidToken('The token has expired')}, ApiKey header="X-API-Key"`,
      body: rpcError('Unauthorized: The token has expired'),
    });
    const missing = await initialize();
    expect(missing.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${MCP_METADATA}", scope="${SCOPE}", ApiKey header="X-API-Key"`,
    );
    expect(missing.body).toEqual(
      rpcError(
        `Unauthorized: an API key (X-API-Key header) or a bearer token from ${idp.issuer} (Authorization: Bearer …) is required`,
      ),
    );
  });

  it('opens /admin to an admin key and to a token with the admin role or scope only', async () => {
    const config = () => request(running!.url).get('/admin/config');
    const userKey = await config().set('X-API-Key', API_KEY);
    expect({ status: userKey.status, message: userKey.body.message }).toEqual({
      status: 403,
      message: 'Forbidden: this key is not an admin key',
    });
    await config().set('X-API-Key', ADMIN_KEY).expect(200);

    const admin = await tokenFor({ roles: [ADMIN_ROLE] });
    await config().set('Authorization', `Bearer ${admin}`).expect(200);
    const adminByScope = await tokenFor({ scope: `${SCOPE} ${ADMIN_ROLE}` });
    await config().set('Authorization', `Bearer ${adminByScope}`).expect(200);

    const plain = await config().set('Authorization', `Bearer ${await tokenFor()}`);
    expect({
      status: plain.status,
      challenge: plain.headers['www-authenticate'],
      message: plain.body.message,
    }).toEqual({
      status: 403,
      // A 403: a key would not make this token any better, so no key scheme is offered.
      challenge: `Bearer error="insufficient_scope", error_description="The token lacks the scope ${ADMIN_ROLE}", resource_metadata="${SERVER_METADATA}", scope="${ADMIN_ROLE}"`,
      message: `Forbidden: the token is not granted "${ADMIN_ROLE}", which the admin API needs`,
    });
  });
});

describe('the identity provider out of reach', () => {
  const keysOutOfReach = async () => {
    const closed = `http://127.0.0.1:${await freePort()}/jwks`;
    running = await startApp(oauthEnv({ OAUTH_JWKS_URL: closed }));
    return initialize(await tokenFor());
  };

  it('answers 503 with Retry-After, not 401, when its keys cannot be fetched', async () => {
    const answer = await keysOutOfReach();
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.headers['www-authenticate']).toBeUndefined();
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', error: {}, id: null });
  });

  it('says in the JSON-RPC error that the identity provider is out of reach', async () => {
    const answer = await keysOutOfReach();
    // The reason, as the guard words it: not a server failure (-32603 "Internal error").
    expect(answer.body).toEqual({
      jsonrpc: '2.0',
      error: {
        code: -32000,
        message: expect.stringMatching(
          /^Service Unavailable: the identity provider could not be reached to check the token; try again shortly$/,
        ),
      },
      id: null,
    });
  });

  it('serves again once it is back', async () => {
    const flaky = await FakeIdentityProvider.start();
    try {
      running = await startApp(
        oauthEnv({ OAUTH_ISSUERS: flaky.issuer, OAUTH_JWKS_COOLDOWN_SECONDS: '0' }),
      );
      const token = await tokenFor({}, {}, flaky);
      flaky.setUnavailable(true);
      const down = await initialize(token);
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toBe('5');
      expect(down.body).toMatchObject({ jsonrpc: '2.0', error: {}, id: null });
      flaky.setUnavailable(false);
      await initialize(token).expect(200);
    } finally {
      await running?.close();
      running = undefined;
      await flaky.close();
    }
  });
});
