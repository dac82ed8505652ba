import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import request from 'supertest';
import { RunningApp, startApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import { scrapeMetrics } from './support/metrics';
import { connectClient, type ClientKind, type ConnectedClient } from './support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from './support/mcp-messages';

const KEY = 'team-a-key-0123456789';
const CLIENT_INFO = { name: 'rate-limit-e2e', version: '1.0.0' };

let running: RunningApp | undefined;
const clients: ConnectedClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await running?.close();
  running = undefined;
});

/** A request that passes every limit check and then fails for want of a session (400). */
const ping = (url: string) =>
  request(url).get('/mcp').set('Accept', 'text/event-stream').set('X-API-Key', KEY);

/** The headers a client can read rate-limit information from, and nothing of the kind else. */
function rateLimitHeaders(headers: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => /ratelimit|retry-after/i.test(name)),
  );
}

describe('rate limits on a developer machine (keyless, loopback, defaults)', () => {
  it('let a client explore far beyond the production limits without a refusal', async () => {
    running = await startApp({ HOST: '127.0.0.1' });
    const explorer = await connectClient('streamable-2025', { url: running.url });
    clients.push(explorer);
    // Three and more runs over the whole surface: well beyond the 100 requests a minute keys get.
    for (let run = 0; run < 40; run += 1) {
      await explorer.client.listTools();
      await explorer.client.listResources();
      await explorer.client.listPrompts();
    }
    const answer = await request(running.url)
      .get('/mcp')
      .set('Accept', 'text/event-stream')
      .expect(400);
    expect(answer.headers['ratelimit-policy']).toBe('"minute";q=1000;w=60, "hour";q=20000;w=3600');
  });
});

describe('a keyed server at its limit', () => {
  it('answers with the draft standard headers, exactly, and no per-limit ones', async () => {
    const clock = new ManualClock();
    running = await startApp(
      { API_KEYS: `team-a:${KEY}`, RATE_LIMIT_PER_MINUTE: '2' },
      undefined,
      clock,
    );
    const first = await ping(running.url).expect(400);
    expect(rateLimitHeaders(first.headers)).toEqual({
      'ratelimit-policy': '"minute";q=2;w=60, "hour";q=1000;w=3600',
      ratelimit: '"minute";r=1;t=60, "hour";r=999;t=3600',
    });
    clock.advance(13_000);
    const second = await ping(running.url).expect(400);
    expect(second.headers.ratelimit).toBe('"minute";r=0;t=47, "hour";r=998;t=3587');
    const refused = await ping(running.url).expect(429);
    expect(rateLimitHeaders(refused.headers)).toEqual({
      'ratelimit-policy': '"minute";q=2;w=60, "hour";q=1000;w=3600',
      ratelimit: '"minute";r=0;t=60',
      'retry-after': '60',
    });
    expect(refused.body).toEqual({
      jsonrpc: '2.0',
      error: {
        code: -32000,
        message: 'Too Many Requests: rate limit of 2 requests per minute exceeded; retry in 60 s',
      },
      id: null,
    });
  });

  it('refuses opening sessions with the session-open limit listed after the request limits', async () => {
    const clock = new ManualClock();
    running = await startApp(
      { API_KEYS: `team-a:${KEY}`, SESSION_OPEN_PER_MINUTE: '1' },
      undefined,
      clock,
    );
    const open = () =>
      request(running!.url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('X-API-Key', KEY)
        .send(INITIALIZE);
    const opened = await open().expect(200);
    expect(rateLimitHeaders(opened.headers)).toEqual({
      'ratelimit-policy': '"minute";q=100;w=60, "hour";q=1000;w=3600, "session-open";q=1;w=60',
      ratelimit: '"minute";r=99;t=60, "hour";r=999;t=3600, "session-open";r=0;t=60',
    });
    const refused = await open().expect(429);
    expect(rateLimitHeaders(refused.headers)).toEqual({
      'ratelimit-policy': '"minute";q=100;w=60, "hour";q=1000;w=3600, "session-open";q=1;w=60',
      ratelimit: '"minute";r=98;t=60, "hour";r=998;t=3600, "session-open";r=0;t=60',
      'retry-after': '60',
    });
    expect(refused.body.error.message).toBe(
      'Too Many Requests: rate limit of 1 new sessions per minute exceeded; retry in 60 s',
    );
  });

  it.each<ClientKind>(['streamable-2025', 'sse'])(
    "makes the official %s client's error name the rate limit and the wait",
    async (kind) => {
      running = await startApp({ API_KEYS: `team-a:${KEY}`, RATE_LIMIT_PER_MINUTE: '6' });
      const connected = await connectClient(kind, { url: running.url, apiKey: KEY });
      clients.push(connected);
      let failure: Error | undefined;
      for (let i = 0; i < 10 && !failure; i += 1) {
        await connected.client.listTools().catch((error: Error) => (failure = error));
      }
      expect(failure?.message).toMatch(
        /Too Many Requests: rate limit of 6 requests per minute exceeded; retry in \d+ s/,
      );
    },
  );
});

/** The official client sending the gateway's identity header on every request. */
async function asCaller(url: string, identity: string, kind: 'streamable' | 'sse' = 'streamable') {
  const fetchAs: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('X-Consumer-Username', identity);
    return fetch(input, { ...init, headers });
  };
  const client = new Client(CLIENT_INFO);
  const transport =
    kind === 'sse'
      ? new SSEClientTransport(new URL(`${url}/sse`), { fetch: fetchAs })
      : new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { fetch: fetchAs });
  await client.connect(transport);
  clients.push({ client, kind: 'streamable-2025', close: () => client.close() });
  return { client, transport };
}

describe('callers named by a gateway (IDENTITY_HEADER)', () => {
  const gateway = {
    HOST: '0.0.0.0',
    AUTH_DISABLED: 'true',
    IDENTITY_HEADER: 'X-Consumer-Username',
    TRUST_PROXY: 'loopback',
    ADMIN_API_KEYS: 'ops:admin-key-0123456789ab',
  };

  it('gives each identity its own rate-limit window', async () => {
    running = await startApp({ ...gateway, RATE_LIMIT_PER_MINUTE: '2' });
    const as = (identity: string) =>
      request(running!.url)
        .get('/mcp')
        .set('Accept', 'text/event-stream')
        .set('X-Consumer-Username', identity);
    await as('alice').expect(400);
    await as('alice').expect(400);
    await as('alice').expect(429);
    await as('bob').expect(400);
  });

  it('refuses a request without the header, or with an empty one, on every MCP route', async () => {
    running = await startApp(gateway);
    const url = running.url;
    const before = await scrapeMetrics(url);
    const missing = {
      jsonrpc: '2.0',
      error: {
        code: -32000,
        message:
          'Forbidden: the X-Consumer-Username header naming the caller is missing: requests must come through the gateway',
      },
      id: null,
    };
    const refusals = [
      request(url).post('/mcp').set('Accept', ACCEPT_BOTH).send(INITIALIZE),
      request(url)
        .post('/mcp')
        .set('Accept', ACCEPT_BOTH)
        .set('X-Consumer-Username', '')
        .send(INITIALIZE),
      request(url).get('/mcp').set('Accept', 'text/event-stream').set('X-Consumer-Username', '  '),
      request(url).get('/sse').set('Accept', 'text/event-stream'),
      request(url).post('/messages?sessionId=nope').send({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    ];
    for (const refusal of refusals) {
      const answer = await refusal;
      expect({ status: answer.status, body: answer.body }).toEqual({ status: 403, body: missing });
      expect(answer.headers['www-authenticate']).toBeUndefined();
    }
    const after = await scrapeMetrics(url);
    expect(after.since(before, 'http_rejected_requests_total', { reason: 'auth' })).toBe(5);
  });

  it("does not let one identity use another's session, and lists sessions by identity", async () => {
    running = await startApp(gateway);
    const alice = await asCaller(running.url, 'alice@example.com');
    const bob = await asCaller(running.url, 'bob', 'sse');
    const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId!;
    const asBob = await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .set('Mcp-Session-Id', sessionId)
      .set('X-Consumer-Username', 'bob')
      .send({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
    expect(asBob.status).toBe(404);
    const anonymous = await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .set('Mcp-Session-Id', sessionId)
      .send({ jsonrpc: '2.0', id: 8, method: 'tools/list' });
    expect(anonymous.status).toBe(403);
    expect((await alice.client.listTools()).tools.length).toBeGreaterThan(0);
    expect((await bob.client.listTools()).tools.length).toBeGreaterThan(0);

    const sessions = await request(running.url)
      .get('/admin/sessions')
      .set('X-API-Key', 'admin-key-0123456789ab')
      .expect(200);
    expect(sessions.body.sessions.map((s: { keyLabel: string }) => s.keyLabel).sort()).toEqual([
      'gateway:alice@example.com',
      'gateway:bob',
    ]);
  });

  it('refuses a malformed identity with a clear 400, never another caller', async () => {
    running = await startApp(gateway);
    const answer = await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .set('X-Consumer-Username', 'alice, bob')
      .send(INITIALIZE)
      .expect(400);
    expect(answer.body).toEqual({
      jsonrpc: '2.0',
      error: {
        code: -32000,
        message:
          'Bad Request: the X-Consumer-Username header is not a valid caller identity (1 to 64 letters, digits and ._@:+-)',
      },
      id: null,
    });
  });
});
