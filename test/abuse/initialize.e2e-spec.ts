import type { CallToolResult } from '@modelcontextprotocol/client';
import http from 'node:http';
import request from 'supertest';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { RunningApp, startApp } from '../support/http-app';
import { ConnectedClient, connectClient, eventually } from '../support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from '../support/mcp-messages';
import { spawnServer, SpawnedServer } from '../support/spawn-server';

const KEY_A = 'team-a-key-0123456789';
const KEY_B = 'team-b-key-0123456789';
const ADMIN = 'admin-key-0123456789ab';
const KEYS = { API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`, ADMIN_API_KEYS: `ops:${ADMIN}` };
/** MAX_INITIALIZE_BYTES' default. */
const DEFAULT_LIMIT = 65536;

/**
 * An initialize of exactly `bytes` bytes (UTF-8), its bulk where a careless or hostile client
 * puts it: in `capabilities.experimental`, or in the client's name.
 */
function initializeOfSize(bytes: number, bulkIn: 'capabilities' | 'name' = 'capabilities'): string {
  const PAD = '"@pad@"';
  const params =
    bulkIn === 'capabilities'
      ? { ...INITIALIZE.params, capabilities: { experimental: { pad: { data: '@pad@' } } } }
      : { ...INITIALIZE.params, clientInfo: { name: '@pad@', version: '1.0.0' } };
  const base = JSON.stringify({ ...INITIALIZE, params });
  const pad = 'x'.repeat(bytes - Buffer.byteLength(base) + PAD.length - 2);
  const body = base.replace(PAD, `"${pad}"`);
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

function postInitialize(url: string, body: string, key = KEY_A) {
  return request(url)
    .post('/mcp')
    .set('Accept', ACCEPT_BOTH)
    .set('Content-Type', 'application/json')
    .set('X-API-Key', key)
    .send(body);
}

async function openSessions(url: string): Promise<number> {
  const listed = await request(url).get('/admin/sessions').set('X-API-Key', ADMIN).expect(200);
  return (listed.body as { total: number }).total;
}

/** Opens a legacy SSE stream and resolves with its /messages URL, and a way to end it. */
function openSse(url: string): Promise<{ messages: string; end: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/sse`, { headers: { 'X-API-Key': KEY_A } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const endpoint = /event: endpoint\ndata: (\S+)\n/.exec(text);
        if (endpoint) resolve({ messages: endpoint[1], end: () => res.destroy() });
      });
    });
    req.on('error', reject);
  });
}

const TOO_LARGE = {
  jsonrpc: '2.0',
  id: null,
  error: {
    code: -32600,
    message: `Invalid Request: the initialize message is ${DEFAULT_LIMIT + 1} bytes; at most ${DEFAULT_LIMIT} are accepted`,
  },
};

describe('Initialize payloads', () => {
  describe('MAX_INITIALIZE_BYTES', () => {
    let running: RunningApp;
    beforeAll(async () => {
      running = await startApp(KEYS);
    });
    afterAll(() => running.close());

    it('refuses a larger initialize with a JSON-RPC error, before any session exists', async () => {
      const refused = await postInitialize(running.url, initializeOfSize(DEFAULT_LIMIT + 1));
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(TOO_LARGE);
      expect(refused.headers['mcp-session-id']).toBeUndefined();
      // The same inside a batch.
      const batch = `[${initializeOfSize(DEFAULT_LIMIT - 1)}]`;
      const refusedBatch = await postInitialize(running.url, batch);
      expect(refusedBatch.status).toBe(400);
      expect(refusedBatch.body).toEqual(TOO_LARGE);
      expect(await openSessions(running.url)).toBe(0);

      // One of exactly the limit opens a session.
      const accepted = await postInitialize(running.url, initializeOfSize(DEFAULT_LIMIT));
      expect(accepted.status).toBe(200);
      expect(accepted.headers['mcp-session-id']).toEqual(expect.any(String));
      expect(await openSessions(running.url)).toBe(1);
    });

    it('refuses it over legacy SSE too; the session can still be initialized properly', async () => {
      const sse = await openSse(running.url);
      const post = (body: string) =>
        request(running.url)
          .post(sse.messages)
          .set('Content-Type', 'application/json')
          .set('X-API-Key', KEY_A)
          .send(body);
      const refused = await post(initializeOfSize(DEFAULT_LIMIT + 1));
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(TOO_LARGE);
      expect((await post(JSON.stringify(INITIALIZE))).status).toBe(202);
      sse.end();
    });
  });

  describe('memory, in the production build with a small heap', () => {
    let fake: FakeAareguru;
    let server: SpawnedServer;
    let other: ConnectedClient | undefined;
    beforeAll(async () => {
      fake = new FakeAareguru();
      await fake.start();
    });
    afterEach(async () => {
      await other?.close().catch(() => undefined);
      if (server?.process.exitCode === null) await server.stop();
    });
    afterAll(() => fake.stop());

    it('stays up through many large initializes, and another key keeps being served', async () => {
      server = await spawnServer({
        ...KEYS,
        AAREGURU_BASE_URL: fake.baseUrl,
        NODE_OPTIONS: '--max-old-space-size=96',
        SESSION_OPEN_PER_MINUTE: '10000',
        RATE_LIMIT_PER_MINUTE: '10000',
        RATE_LIMIT_PER_HOUR: '100000',
      });
      other = await connectClient('streamable-2025', { url: server.url, apiKey: KEY_B });
      const temperature = async () =>
        (await other!.client.callTool({
          name: 'get_current_temperature',
          arguments: { city: 'bern' },
        })) as CallToolResult;
      expect((await temperature()).isError).toBeFalsy();

      // Just under MAX_BODY_BYTES (4 MiB): 40 of these held whole need far more than the heap.
      const huge = initializeOfSize(3_800_000);
      const alive = () => server.process.exitCode === null && server.process.signalCode === null;
      const answers: (number | string)[] = [];
      for (let i = 0; i < 40 && alive(); i += 1) {
        answers.push(
          await postInitialize(server.url, huge).then(
            (response) => response.status,
            (error: Error) => error.message,
          ),
        );
      }
      expect({ alive: alive(), signal: server.process.signalCode }).toEqual({
        alive: true,
        signal: null,
      });
      expect(answers).toEqual(Array(40).fill(400));
      // The largest initialize allowed, again and again: every one opens a session.
      const largest = initializeOfSize(DEFAULT_LIMIT);
      for (let i = 0; i < 150; i += 1) {
        const response = await postInitialize(server.url, largest);
        expect(response.status).toBe(200);
      }

      expect(alive()).toBe(true);
      expect(await openSessions(server.url)).toBe(151);
      const result = await temperature();
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ city: 'bern' });
    }, 60000);

    it('keeps only what the server reads of each initialize, however large it was', async () => {
      // The limit as high as the body limit: only what sessions keep bounds the memory.
      server = await spawnServer({
        ...KEYS,
        AAREGURU_BASE_URL: fake.baseUrl,
        NODE_OPTIONS: '--max-old-space-size=96',
        MAX_INITIALIZE_BYTES: String(4 * 1024 * 1024),
        SESSION_OPEN_PER_MINUTE: '10000',
        RATE_LIMIT_PER_MINUTE: '10000',
        RATE_LIMIT_PER_HOUR: '100000',
      });
      const alive = () => server.process.exitCode === null && server.process.signalCode === null;
      const bodies = [initializeOfSize(3_800_000), initializeOfSize(3_800_000, 'name')];
      const answers: (number | string)[] = [];
      // 60 of 3.8 MB: held whole, or by a substring, more than twice the heap.
      for (let i = 0; i < 60 && alive(); i += 1) {
        answers.push(
          await postInitialize(server.url, bodies[i % 2]).then(
            (response) => response.status,
            (error: Error) => error.message,
          ),
        );
      }
      expect({ alive: alive(), signal: server.process.signalCode }).toEqual({
        alive: true,
        signal: null,
      });
      expect(answers).toEqual(Array(60).fill(200));
      expect(await openSessions(server.url)).toBe(60);
    }, 60000);
  });

  describe('client-chosen strings', () => {
    let server: SpawnedServer;
    afterEach(async () => {
      if (server?.process.exitCode === null) await server.stop();
    });

    it('never logs or shows a 1 MB client name whole', async () => {
      // A limit high enough for the name to get through: its length is bounded downstream.
      server = await spawnServer({
        ...KEYS,
        AAREGURU_BASE_URL: 'http://127.0.0.1:9',
        MAX_INITIALIZE_BYTES: String(4 * 1024 * 1024),
      });
      const name = 'N'.repeat(1024 * 1024);
      const body = JSON.stringify({
        ...INITIALIZE,
        params: { ...INITIALIZE.params, clientInfo: { name, version: name } },
      });
      const opened = await postInitialize(server.url, body);
      expect(opened.status).toBe(200);

      const listed = await request(server.url)
        .get('/admin/sessions')
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(listed.body.sessions).toEqual([
        expect.objectContaining({ clientName: 'N'.repeat(128), clientVersion: 'N'.repeat(128) }),
      ]);
      const id = opened.headers['mcp-session-id'] as string;
      const one = await request(server.url)
        .get(`/admin/sessions/${id}`)
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(one.body.clientName).toBe('N'.repeat(128));

      await eventually(() => server.stdout().includes('"msg":"session opened"'));
      const output = server.stdout() + server.stderr();
      expect(output).toContain(`"client":"${'N'.repeat(128)}"`);
      expect(output).not.toContain('N'.repeat(129));
    });

    it('never logs a 1 MB string quoted back by a refused 2026-07-28 request whole', async () => {
      server = await spawnServer({ ...KEYS, AAREGURU_BASE_URL: 'http://127.0.0.1:9' });
      const huge = 'M'.repeat(1024 * 1024);
      const envelope = (protocolVersion: string) => ({
        'io.modelcontextprotocol/protocolVersion': protocolVersion,
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'raw-http', version: '1.0.0' },
      });
      // The SDK refuses both, quoting the method name or the version in its error.
      for (const body of [
        { jsonrpc: '2.0', id: 1, method: huge, params: { _meta: envelope('2026-07-28') } },
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: envelope(huge) } },
      ]) {
        const refused = await request(server.url)
          .post('/mcp')
          .set('Accept', ACCEPT_BOTH)
          .set('Mcp-Protocol-Version', '2026-07-28')
          .set('X-API-Key', KEY_A)
          .send(body);
        expect(refused.status).toBe(400);
      }
      await eventually(() => (server.stdout().match(/modern request failed/g) ?? []).length === 2);
      const lines = (server.stdout() + server.stderr()).split('\n');
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(4096);
    });
  });
});
