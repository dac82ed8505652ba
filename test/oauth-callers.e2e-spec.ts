import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { loadConfiguration, ConfigValidationError } from '../src/config/configuration';
import { FakeIdentityProvider } from './support/fake-identity-provider';
import { RunningApp, startApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import type { ConnectedClient } from './support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE, LIST_TOOLS } from './support/mcp-messages';
import { scrapeMetrics } from './support/metrics';
import {
  connectWithToken,
  MCP_RESOURCE,
  PUBLIC_BASE,
  REQUIRED_SCOPE,
  resourceServerEnv,
} from './support/oauth-clients';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { SpawnedServer, spawnServer } from './support/spawn-server';

let idp: FakeIdentityProvider;
const apps: RunningApp[] = [];
const clients: ConnectedClient[] = [];

beforeAll(async () => {
  idp = await FakeIdentityProvider.start();
});
afterAll(() => idp.close());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(env: NodeJS.ProcessEnv, clock?: ManualClock, fake?: FakeAareguru) {
  const app = await startApp(env, fake, clock);
  apps.push(app);
  return app;
}

/** A token of `idp` for /mcp, with the required scope, of `sub`. */
const tokenOf = (sub: string, claims: Record<string, unknown> = {}) =>
  idp.token({ aud: MCP_RESOURCE, scope: REQUIRED_SCOPE, sub, ...claims });

async function connectAs(app: RunningApp, token: string) {
  const connected = await connectWithToken('streamable-2025', app.url, token);
  clients.push(connected);
  return connected;
}

const bearer = (token: string) => `Bearer ${token}`;

const initialize = (app: RunningApp, token: string) =>
  request(app.url)
    .post('/mcp')
    .set('Accept', ACCEPT_BOTH)
    .set('Authorization', bearer(token))
    .send(INITIALIZE);

/** A request that passes every limit check and then fails for want of a session (400). */
const ping = (app: RunningApp, token: string) =>
  request(app.url)
    .get('/mcp')
    .set('Accept', 'text/event-stream')
    .set('Authorization', bearer(token));

describe('sessions and limits belong to the caller a token names', () => {
  it("answers 404 to bob's token on alice's session", async () => {
    const app = await start(resourceServerEnv(idp));
    const alice = await connectAs(app, await tokenOf('alice'));
    const listOnAlicesSession = (token: string) =>
      request(app.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Mcp-Session-Id', alice.http!.sessionId!)
        .set('MCP-Protocol-Version', alice.http!.protocolVersion!)
        .set('Authorization', bearer(token))
        .send(LIST_TOOLS);
    const asBob = await listOnAlicesSession(await tokenOf('bob'));
    expect(asBob.status).toBe(404);
    // Another token of alice's (another jti) is still alice.
    await listOnAlicesSession(await tokenOf('alice', { jti: 'second' })).expect(200);
    expect((await alice.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("lists sessions under the caller's label, and answers 404 to bob on alice's SSE session", async () => {
    const admin = 'admin-key-0123456789ab';
    const app = await start(resourceServerEnv(idp, { ADMIN_API_KEYS: `ops:${admin}` }));
    const aliceToken = await idp.token({ aud: PUBLIC_BASE, scope: REQUIRED_SCOPE, sub: 'alice' });
    const alice = await connectWithToken('sse', app.url, aliceToken);
    clients.push(alice);
    const listed = await request(app.url)
      .get('/admin/sessions?transport=sse')
      .set('X-API-Key', admin)
      .expect(200);
    expect(listed.body.sessions).toEqual([
      expect.objectContaining({ transport: 'sse', keyLabel: 'oauth:alice' }),
    ]);
    const post = (token: string) =>
      request(app.url)
        .post(`/messages?sessionId=${listed.body.sessions[0].id}`)
        .set('Authorization', bearer(token))
        .send({ jsonrpc: '2.0', id: 9, method: 'ping' });
    await post(await idp.token({ aud: PUBLIC_BASE, scope: REQUIRED_SCOPE, sub: 'bob' })).expect(
      404,
    );
    await post(aliceToken).expect(202);
    expect((await alice.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('keeps apart two issuers that both name an alice', async () => {
    const second = await FakeIdentityProvider.start();
    try {
      const app = await start(
        resourceServerEnv(idp, { OAUTH_ISSUERS: `${idp.issuer},${second.issuer}` }),
      );
      const alice = await connectAs(app, await tokenOf('alice'));
      const otherAlice = await second.token({
        aud: MCP_RESOURCE,
        scope: REQUIRED_SCOPE,
        sub: 'alice',
      });
      const onFirstSession = await request(app.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Mcp-Session-Id', alice.http!.sessionId!)
        .set('MCP-Protocol-Version', alice.http!.protocolVersion!)
        .set('Authorization', bearer(otherAlice))
        .send(LIST_TOOLS);
      expect(onFirstSession.status).toBe(404);
      await initialize(app, otherAlice).expect(200);
    } finally {
      await second.close();
    }
  });

  it('counts MAX_SESSIONS_PER_KEY per caller', async () => {
    const app = await start(resourceServerEnv(idp, { MAX_SESSIONS_PER_KEY: '1' }));
    const alice = await tokenOf('alice');
    await initialize(app, alice).expect(200);
    const second = await initialize(app, alice);
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBeDefined();
    expect(second.body.error.message).toMatch(/too many open sessions/);
    await initialize(app, await tokenOf('bob')).expect(200);
  });

  it('gives each caller a rate-limit window of its own', async () => {
    const app = await start(
      resourceServerEnv(idp, { RATE_LIMIT_PER_MINUTE: '2' }),
      new ManualClock(Date.now()),
    );
    const alice = await tokenOf('alice');
    await ping(app, alice).expect(400);
    await ping(app, alice).expect(400);
    const refused = await ping(app, alice);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body.error.message).toBe(
      'Too Many Requests: rate limit of 2 requests per minute exceeded; retry in 60 s',
    );
    // Another token of alice's is the same caller; bob is not.
    await ping(app, await tokenOf('alice', { jti: 'second' })).expect(429);
    await ping(app, await tokenOf('bob')).expect(400);
  });
});

describe('metrics by client application, never by person', () => {
  it('counts a configured client under its label and others as oauth', async () => {
    const app = await start(resourceServerEnv(idp, { OAUTH_CLIENTS: 'claude=claude-desktop-id' }));
    const before = await scrapeMetrics(app.url);
    const call = async (token: string) => {
      const { client } = await connectAs(app, token);
      const result = (await client.callTool({
        name: 'get_current_temperature',
        arguments: { city: 'bern' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
    };
    await call(await tokenOf('alice', { azp: 'claude-desktop-id' }));
    await call(await tokenOf('alice', { azp: 'some-other-app' }));
    await call(await tokenOf('bob', { azp: 'some-other-app' }));
    const after = await scrapeMetrics(app.url);
    const calls = (key: string) =>
      after.since(before, 'mcp_requests_total', { method: 'tools/call', key });
    expect(calls('oauth:claude')).toBe(1);
    expect(calls('oauth')).toBe(2);
    expect(after.text).not.toMatch(/alice|bob/);
  });
});

describe('/metrics behind METRICS_REQUIRE_KEY', () => {
  it('takes a token, and challenges without one as the server as a whole', async () => {
    const app = await start(resourceServerEnv(idp, { METRICS_REQUIRE_KEY: 'true' }));
    const refused = await request(app.url).get('/metrics').expect(401);
    expect(refused.headers['www-authenticate']).toBe(
      // No scope is needed to read metrics, and an admin key opens them as well.
      'Bearer resource_metadata="https://aare.example.test/.well-known/oauth-protected-resource", ApiKey header="X-API-Key"',
    );
    await request(app.url)
      .get('/metrics')
      .set('Authorization', bearer(await tokenOf('alice')))
      .expect(200);
  });
});

describe('what the server logs of a token', () => {
  let fake: FakeAareguru;
  let server: SpawnedServer | undefined;

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });
  afterEach(async () => {
    if (server && server.process.exitCode === null) await server.stop();
    server = undefined;
    await fake.stop();
  });

  it('never writes a token or its signature, even at trace, and names the caller', async () => {
    server = await spawnServer({
      AAREGURU_BASE_URL: fake.baseUrl,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'trace',
      ...resourceServerEnv(idp),
    });
    const url = `http://127.0.0.1:${new URL(server.url).port}`;
    const good = await tokenOf('alice');
    const { client } = await connectAs({ url } as RunningApp, good);
    await client.callTool({ name: 'get_current_temperature', arguments: { city: 'bern' } });
    await client.close();
    const expired = await idp.token(
      { aud: MCP_RESOURCE, scope: REQUIRED_SCOPE, sub: 'alice' },
      { expiresIn: -60 },
    );
    const foreign = await idp.token({ aud: 'https://other.example.test/mcp', sub: 'alice' });
    const noScope = await idp.token({ aud: MCP_RESOURCE, sub: 'alice' });
    for (const token of [expired, foreign, noScope]) {
      const answer = await request(url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('Authorization', bearer(token))
        .send(INITIALIZE);
      expect([401, 403]).toContain(answer.status);
    }
    // A token in the query string is not taken (bearer_methods_supported: header) nor written.
    const inQuery = await idp.token({ aud: MCP_RESOURCE, scope: REQUIRED_SCOPE, sub: 'carol' });
    const queried = await request(url)
      .post(`/mcp?access_token=${inQuery}`)
      .set('Accept', ACCEPT_BOTH)
      .send(INITIALIZE);
    expect(queried.status).toBe(401);
    // Stopping flushes what the logger still buffers.
    expect((await server.stop()).code).toBe(0);
    const log = server.stdout() + server.stderr();
    expect(log).toContain('"keyLabel":"oauth:alice"');
    // The refusals are in the log, so what is absent below was there to be written.
    expect(log.match(/"statusCode":40[13]/g)?.length).toBeGreaterThanOrEqual(4);
    expect(log).toContain('/mcp?access_token=[redacted]');
    for (const token of [good, expired, foreign, noScope, inQuery]) {
      const [header, payload, signature] = token.split('.');
      expect(log).not.toContain(signature);
      expect(log).not.toContain(`${header}.${payload}`);
    }
  });
});

describe('callers named by a gateway (IDENTITY_HEADER)', () => {
  const gateway = {
    AUTH_DISABLED: 'true',
    IDENTITY_HEADER: 'X-Consumer-Username',
  };
  const as = (app: RunningApp, identity: string) =>
    request(app.url).post('/mcp').set('Accept', ACCEPT_BOTH).set('X-Consumer-Username', identity);

  it('refuses the header from an address TRUST_PROXY does not list', async () => {
    const app = await start({ ...gateway, TRUST_PROXY: '10.9.8.7' });
    const answer = await as(app, 'alice').send(INITIALIZE);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 403,
      body: {
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message:
            "Forbidden: the X-Consumer-Username header is believed only from the gateway's addresses (TRUST_PROXY)",
        },
        id: null,
      },
    });
  });

  it('believes it from a listed address and binds the session to that caller', async () => {
    const app = await start({ ...gateway, TRUST_PROXY: 'loopback' });
    const opened = await as(app, 'alice').send(INITIALIZE).expect(200);
    const sessionId = opened.headers['mcp-session-id'] as string;
    const version = '2025-11-25';
    const list = (identity: string) =>
      as(app, identity)
        .set('Mcp-Session-Id', sessionId)
        .set('MCP-Protocol-Version', version)
        .send(LIST_TOOLS);
    await as(app, 'alice')
      .set('Mcp-Session-Id', sessionId)
      .set('MCP-Protocol-Version', version)
      .send({ jsonrpc: '2.0', method: 'notifications/initialized' })
      .expect(202);
    await list('alice').expect(200);
    await list('bob').expect(404);
  });

  it('is refused at boot with a hop count in TRUST_PROXY', () => {
    const load = () => loadConfiguration({ ...gateway, TRUST_PROXY: '1' });
    expect(load).toThrow(ConfigValidationError);
    expect(load).toThrow(/TRUST_PROXY: IDENTITY_HEADER is believed only from the gateway's/);
  });
});

describe('per-caller limits shared by two instances through Redis', () => {
  const prefix = uniquePrefix('oauth-limits');

  beforeAll(() => requireRedis());
  afterAll(() => deletePrefix(prefix));

  it("counts alice's requests on both against one window, bob's apart", async () => {
    const fake = new FakeAareguru();
    await fake.start();
    try {
      const clock = new ManualClock(Date.now());
      const env = resourceServerEnv(idp, {
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: '4',
      });
      const a = await start({ ...env, REPLICA_ID: 'a' }, clock, fake);
      const b = await start({ ...env, REPLICA_ID: 'b' }, clock, fake);
      const alice = await tokenOf('alice');
      for (let i = 0; i < 4; i += 1) await ping(i % 2 ? b : a, alice).expect(400);
      expect((await ping(a, alice)).status).toBe(429);
      expect((await ping(b, alice)).status).toBe(429);
      const bob = await tokenOf('bob');
      await ping(a, bob).expect(400);
      await ping(b, bob).expect(400);
    } finally {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      await fake.stop();
    }
  });
});
