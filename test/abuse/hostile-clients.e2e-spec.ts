import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { InFlightService } from '../../src/common/in-flight.service';
import { SESSION_REGISTRY, SessionRegistry } from '../../src/sessions/session-registry.interface';
import { SessionLifecycleService } from '../../src/sessions/session-lifecycle.service';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { RunningApp, startApp } from '../support/http-app';
import { ManualClock } from '../support/manual-clock';
import { connectClient, eventually } from '../support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from '../support/mcp-messages';
import { scrapeMetrics } from '../support/metrics';
import { spawnServer, SpawnedServer } from '../support/spawn-server';

/**
 * Hostile and careless clients, in breadth: sessions opened and dropped, many streams, oversized
 * fields in every message kind, bodies that never end. After each, the server is alive (same
 * process), answers its liveness probe, and another key's calls still work.
 */

const KEY_A = 'hostile-a-0123456789abcdef';
const KEY_B = 'hostile-b-0123456789abcdef';
/** The key sending oversized fields, apart from the one that fills its session quota. */
const KEY_C = 'hostile-c-0123456789abcdef';
const KEYS = `team-a:${KEY_A},team-b:${KEY_B},team-c:${KEY_C}`;
/** Generous limits elsewhere, so only the bound a scenario is about is ever hit. */
const ROOMY_RATES = {
  RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_PER_HOUR: '100000',
  SESSION_OPEN_PER_MINUTE: '100000',
};
const PROTOCOL_2025 = '2025-11-25';

/** A 1 MB field, recognisable in any answer or log line that would carry it. */
const HUGE = `hostile-${'x'.repeat(1_000_000)}`;
/** Any 4 KB run of the huge field: an answer or log line holding one echoed it. */
const HUGE_RUN = 'x'.repeat(4096);
/** Most any answer to an oversized request may weigh: an error message, not the input. */
const ANSWER_BOUND_BYTES = 10 * 1024;

interface RpcAnswer {
  id?: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The JSON-RPC answer, from a JSON body or the last event of an event stream. */
  rpc?: RpcAnswer;
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const answer: Answer = { status: response.status, headers: response.headers, text };
  if (text.startsWith('{')) answer.rpc = JSON.parse(text) as RpcAnswer;
  const data = [...text.matchAll(/^data: (.*)$/gm)].pop();
  if (data) answer.rpc = JSON.parse(data[1]!) as RpcAnswer;
  return answer;
}

/** A raw 2025 session for a key: initialized, its headers ready for the next request. */
async function openSession(
  url: string,
  apiKey: string,
  protocolVersion = PROTOCOL_2025,
): Promise<Record<string, string>> {
  const initialize = { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion } };
  const opened = await post(url, initialize, { 'x-api-key': apiKey });
  expect(opened.status).toBe(200);
  const headers = {
    'x-api-key': apiKey,
    'mcp-session-id': opened.headers.get('mcp-session-id')!,
    'mcp-protocol-version': protocolVersion,
  };
  const initialized = await post(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers,
  );
  expect(initialized.status).toBe(202);
  return headers;
}

/** An initialize that is never followed up: the session stays open on the server. */
function initializeOnly(url: string, apiKey: string): Promise<Answer> {
  return post(url, INITIALIZE, { 'x-api-key': apiKey });
}

const callTool = (id: number, name: string, args: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** One day of Bern's history, fixed dates: every `day` is a distinct uncached upstream request. */
function historyOfDay(day: number) {
  const date = (offset: number) =>
    new Date(Date.UTC(2025, 4, 1) + (day + offset) * 86_400_000).toISOString().slice(0, 10);
  return { city: 'bern', start: date(0), end: date(1) };
}

/** Key B's call, over a fresh 2026-07-28 client: what every other client would see. */
async function keyBCallWorks(url: string): Promise<void> {
  const b = await connectClient('streamable-2026', { url, apiKey: KEY_B });
  try {
    const result = (await b.client.callTool({
      name: 'get_current_temperature',
      arguments: { city: 'bern' },
    })) as CallToolResult;
    expect(result.isError ? JSON.stringify(result.content) : undefined).toBeUndefined();
    expect(result.structuredContent).toMatchObject({ city: 'bern' });
  } finally {
    await b.close();
  }
}

/** A request whose response is read as it arrives; resolves with the status and what came. */
function openStream(
  target: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body?: unknown,
) {
  let req!: http.ClientRequest;
  let status = 0;
  const head = new Promise<number>((resolveHead, reject) => {
    req = http.request(
      `${target}`,
      { method, headers: { accept: ACCEPT_BOTH, ...headers } },
      (res) => {
        status = res.statusCode!;
        resolveHead(status);
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => endResolve(text));
        res.on('error', () => endResolve(text));
      },
    );
    req.on('error', reject);
    if (body !== undefined) {
      req.setHeader('content-type', 'application/json');
      req.end(JSON.stringify(body));
    } else req.end();
  });
  let endResolve!: (text: string) => void;
  const ended = new Promise<string>((resolve) => (endResolve = resolve));
  // A stream the test drops itself fails its request: that is no failure of the test.
  head.catch(() => undefined);
  return { head, ended, status: () => status, close: () => req.destroy() };
}

/** After every scenario: alive, the same process, and another key served. */
async function expectStillServing(url: string, spawned?: { server: SpawnedServer; pid: number }) {
  if (spawned) {
    expect(spawned.server.process.exitCode).toBeNull();
    expect(spawned.server.process.signalCode).toBeNull();
    expect(spawned.server.process.pid).toBe(spawned.pid);
  }
  const live = await fetch(`${url}/health/live`);
  expect(live.status).toBe(200);
  await keyBCallWorks(url);
}

/**
 * A full garbage collection in the spawned server, through its inspector, then its live memory as
 * /metrics reports it: the JS heap plus the memory outside it (Buffers: request bodies being read
 * live there). The inspector is spoken to from a small Node process: WebSocket is global there
 * with --experimental-websocket (Node 20), not in this test process.
 */
const COLLECT_GARBAGE = `
const socket = new WebSocket(process.argv[1]);
socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
socket.onmessage = (event) => { if (String(event.data).includes('"id":1')) { socket.close(); process.exit(0); } };
socket.onerror = () => process.exit(1);
`;
async function liveMemoryBytes(server: SpawnedServer): Promise<number> {
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(server.stderr())?.[1];
  if (!inspector) throw new Error('the server did not open its inspector');
  await promisify(execFile)(process.execPath, [
    '--experimental-websocket',
    '--no-warnings',
    '-e',
    COLLECT_GARBAGE,
    inspector,
  ]);
  const metrics = await scrapeMetrics(server.url);
  const live =
    metrics.value('nodejs_heap_size_used_bytes') + metrics.value('nodejs_external_memory_bytes');
  expect(live).toBeGreaterThan(0);
  return live;
}
const MB = 2 ** 20;

describe('Hostile clients against the production build (small heap)', () => {
  let fake: FakeAareguru;
  let server: SpawnedServer;
  let pid: number;
  let url: string;
  const MAX_SESSIONS_PER_KEY = 20;

  beforeAll(async () => {
    fake = new FakeAareguru();
    const upstream = await fake.start();
    server = await spawnServer({
      AAREGURU_BASE_URL: upstream,
      API_KEYS: KEYS,
      ...ROOMY_RATES,
      MAX_SESSIONS_PER_KEY: String(MAX_SESSIONS_PER_KEY),
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '1',
      // Everything the server logs, so no line that would carry an oversized field is skipped.
      LOG_LEVEL: 'debug',
      // A heap this small dies of what does not stay bounded; the inspector allows a full GC.
      NODE_OPTIONS: '--max-old-space-size=96 --inspect=127.0.0.1:0',
    });
    pid = server.process.pid!;
    url = server.url.replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await server?.stop();
    await fake?.stop();
  });

  afterEach(() => expectStillServing(url, { server, pid }));

  describe('oversized fields in every message kind', () => {
    let session: Record<string, string>;
    beforeAll(async () => {
      session = await openSession(url, KEY_C);
    });

    /** The request, answered with an error or an isError result, small and without the field. */
    async function expectRefusedBriefly(body: unknown, headers = session): Promise<Answer> {
      const answer = await post(url, body, headers);
      expect(answer.status).toBeLessThan(500);
      expect(answer.text.length).toBeLessThan(ANSWER_BOUND_BYTES);
      expect(answer.text).not.toContain(HUGE_RUN);
      const refused = answer.rpc?.error !== undefined || answer.rpc?.result?.isError === true;
      expect(refused).toBe(true);
      return answer;
    }

    const refusedKinds: [string, string, Record<string, unknown>][] = [
      [
        'a tool argument',
        'tools/call',
        { name: 'get_current_temperature', arguments: { city: HUGE } },
      ],
      ['a tool name', 'tools/call', { name: HUGE, arguments: {} }],
      [
        'a history date',
        'tools/call',
        { name: 'get_historical_data', arguments: { city: 'bern', start: HUGE, end: HUGE } },
      ],
      ['a resource URI', 'resources/read', { uri: `aareguru://current/${HUGE}` }],
      ['an unknown resource URI', 'resources/read', { uri: `aareguru://${HUGE}` }],
      [
        'a prompt argument',
        'prompts/get',
        { name: 'daily-swimming-report', arguments: { city: HUGE } },
      ],
      ['a prompt name', 'prompts/get', { name: HUGE }],
      [
        'a completion reference',
        'completion/complete',
        { ref: { type: 'ref/prompt', name: HUGE }, argument: { name: 'city', value: 'b' } },
      ],
      ['a logging level', 'logging/setLevel', { level: HUGE }],
      ['a method name', HUGE, {}],
    ];

    it.each(refusedKinds)(
      '%s: a clear refusal that does not echo it',
      async (_kind, method, params) => {
        await expectRefusedBriefly({ jsonrpc: '2.0', id: 3, method, params });
      },
    );

    // Fields the server has no use for, or matches against nothing: served as if absent.
    const ignoredKinds: [string, string, Record<string, unknown>][] = [
      ['an argument name', 'tools/call', { name: 'list_cities', arguments: { [HUGE]: 1 } }],
      [
        'a completion value',
        'completion/complete',
        {
          ref: { type: 'ref/prompt', name: 'daily-swimming-report' },
          argument: { name: 'city', value: HUGE },
        },
      ],
      ['a list cursor', 'tools/list', { cursor: HUGE }],
    ];

    it.each(ignoredKinds)('%s: served as if absent, not echoed', async (_kind, method, params) => {
      const answer = await post(url, { jsonrpc: '2.0', id: 5, method, params }, session);
      expect(answer.status).toBe(200);
      expect(answer.rpc?.error).toBeUndefined();
      expect(answer.rpc?.result?.isError).toBeFalsy();
      expect(answer.text).not.toContain(HUGE_RUN);
    });

    it('_meta: ignored, the request served, nothing echoed', async () => {
      const answer = await post(
        url,
        { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: { note: HUGE } } },
        session,
      );
      expect(answer.status).toBe(200);
      expect(answer.rpc?.result?.tools).toHaveLength(7);
      expect(answer.text).not.toContain(HUGE_RUN);
    });

    it('notifications: accepted without an answer', async () => {
      const cancelled = await post(
        url,
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: HUGE, reason: HUGE },
        },
        session,
      );
      expect(cancelled.status).toBe(202);
      expect(cancelled.text).toBe('');
    });

    it('a JSON-RPC id: answered, the id echoed as the protocol requires (bounded by MAX_BODY_BYTES)', async () => {
      const answer = await post(url, { jsonrpc: '2.0', id: HUGE, method: 'ping' }, session);
      expect(answer.status).toBe(200);
      expect(answer.rpc).toEqual({ jsonrpc: '2.0', id: HUGE, result: {} });
    });

    it('on the 2026-07-28 path: a tool argument, a tool name, a prompt argument, not echoed', async () => {
      const b = await connectClient('streamable-2026', { url, apiKey: KEY_C });
      const outcomeOf = (call: Promise<unknown>) =>
        call.then(
          (result) => JSON.stringify(result),
          (error: Error) => error.message,
        );
      try {
        const outcomes = await Promise.all([
          outcomeOf(
            b.client.callTool({ name: 'get_current_temperature', arguments: { city: HUGE } }),
          ),
          outcomeOf(b.client.callTool({ name: HUGE, arguments: {} })),
          outcomeOf(
            b.client.getPrompt({ name: 'daily-swimming-report', arguments: { city: HUGE } }),
          ),
        ]);
        for (const outcome of outcomes) {
          expect(outcome.length).toBeLessThan(ANSWER_BOUND_BYTES);
          expect(outcome).not.toContain(HUGE_RUN);
        }
      } finally {
        await b.close();
      }
    });

    it('never logs an oversized field whole', () => {
      expect(server.stdout().length).toBeGreaterThan(0);
      expect(server.stdout()).not.toContain(HUGE_RUN);
      expect(server.stderr()).not.toContain(HUGE_RUN);
    });
  });

  describe('sessions opened and dropped without DELETE', () => {
    it('refuses more with 503, Retry-After and a JSON-RPC error, in bounded memory', async () => {
      const before = await liveMemoryBytes(server);
      const opened = await Promise.all(
        Array.from({ length: MAX_SESSIONS_PER_KEY }, () => initializeOnly(url, KEY_A)),
      );
      expect(opened.map((a) => a.status)).toEqual(opened.map(() => 200));

      // 200 more attempts from the same key: each refused, none kept.
      for (let round = 0; round < 10; round += 1) {
        const refused = await Promise.all(
          Array.from({ length: 20 }, () => initializeOnly(url, KEY_A)),
        );
        for (const answer of refused) {
          expect(answer.status).toBe(503);
          expect(answer.headers.get('retry-after')).toBe('30');
          expect(answer.rpc?.error?.message).toMatch(/too many open sessions/);
        }
      }
      const sse = await fetch(`${url}/sse`, { headers: { 'x-api-key': KEY_A } });
      expect(sse.status).toBe(503);
      await sse.text();
      // Another key opens sessions as usual.
      await openSession(url, KEY_B);

      const after = await liveMemoryBytes(server);
      // Twenty sessions and 200 refusals: a few MB at most; a leak per refusal would show.
      expect((after - before) / MB).toBeLessThan(16);
    });
  });

  describe('bodies that never end', () => {
    /** A socket that sends a request head and part of its body, then nothing. */
    function stalledRequest(head: string, part: string | Buffer) {
      const { port } = new URL(url);
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      const closed = new Promise<string>((resolve) => {
        socket.on('data', (chunk) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.on('error', () => undefined);
      });
      socket.write(head.replace(/\n/g, '\r\n') + '\r\n\r\n');
      socket.write(part);
      return { socket, closed };
    }

    const headOf = (extra: string) =>
      `POST /mcp HTTP/1.1\nhost: 127.0.0.1\ncontent-type: application/json\naccept: ${ACCEPT_BOTH}\nx-api-key: ${KEY_A}\n${extra}`;

    it('cuts them at HTTP_REQUEST_TIMEOUT_SECONDS, serving others meanwhile, memory bounded', async () => {
      const before = await liveMemoryBytes(server);
      const nearlyFull = Buffer.alloc(3 * MB, 'x');
      const stalled = [
        // A declared length never reached, with most of it sent: 3 MB held per socket at most.
        ...Array.from({ length: 8 }, () =>
          stalledRequest(headOf(`content-length: ${4 * MB - 1}`), nearlyFull),
        ),
        // A chunked body whose last chunk never comes.
        ...Array.from({ length: 8 }, () =>
          stalledRequest(
            headOf('transfer-encoding: chunked'),
            `100000\r\n${'x'.repeat(0x100000)}\r\n`,
          ),
        ),
      ];
      const started = Date.now();
      // Meanwhile another key's call is served.
      await keyBCallWorks(url);

      const answers = await Promise.all(stalled.map((s) => s.closed));
      // 1 s allowed, checked every 250 ms: cut well within 5 s on a busy machine.
      expect(Date.now() - started).toBeLessThan(5000);
      // Each told why, not dropped silently and never a 5xx.
      expect(answers.map((answer) => answer.split('\r\n')[0])).toEqual(
        answers.map(() => 'HTTP/1.1 408 Request Timeout'),
      );
      const after = await liveMemoryBytes(server);
      // 8 × 3 MB and 8 × 1 MB were held while the sockets were open (33 MB more live memory, as
      // measured): none of it stays.
      expect((after - before) / MB).toBeLessThan(12);
    });
  });
});

describe('Hostile clients in process', () => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    if (running) await expectStillServing(running.url);
    await running?.close();
    running = undefined;
  });

  it('sessions dropped without DELETE: refused beyond the key’s limit, reclaimed once idle', async () => {
    const clock = new ManualClock(Date.now());
    running = await startApp(
      {
        API_KEYS: KEYS,
        ...ROOMY_RATES,
        MAX_SESSIONS_PER_KEY: '10',
        SESSION_IDLE_TIMEOUT_SECONDS: '60',
      },
      undefined,
      clock,
    );
    const lifecycle = running.app.get(SessionLifecycleService);
    const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
    for (let i = 0; i < 10; i += 1)
      expect((await initializeOnly(running.url, KEY_A)).status).toBe(200);
    const refused = await initializeOnly(running.url, KEY_A);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.rpc).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    const sse = await fetch(`${running.url}/sse`, { headers: { 'x-api-key': KEY_A } });
    expect(sse.status).toBe(503);
    await sse.text();
    await keyBCallWorks(running.url);
    expect(registry.sizeOfKey('team-a')).toBe(10);

    clock.advance(60_000);
    expect(await lifecycle.sweep()).toBe(10);
    expect(registry.sizeOfKey('team-a')).toBe(0);
    expect((await initializeOnly(running.url, KEY_A)).status).toBe(200);
  });

  it('legacy SSE: a 1 MB tool name is refused on the stream without being echoed', async () => {
    running = await startApp({ API_KEYS: KEYS, ...ROOMY_RATES });
    const sse = await connectClient('sse', { url: running.url, apiKey: KEY_C });
    try {
      const outcome = await sse.client.callTool({ name: HUGE, arguments: {} }).then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
      expect(outcome).toMatch(/Tool hostile-x+…$/);
      expect(outcome.length).toBeLessThan(ANSWER_BOUND_BYTES);
    } finally {
      await sse.close();
    }
  });

  describe('cancellations and abandoned calls, many at once', () => {
    const CALLS = 20;
    let inFlight: InFlightService;
    let session: Record<string, string>;

    beforeEach(async () => {
      running = await startApp({
        API_KEYS: KEYS,
        ...ROOMY_RATES,
        // Upstream never answers within the test: only a cancellation ends a call. A cancelled
        // call's upstream request goes on until AAREGURU_TIMEOUT_MS (its answer would be cached),
        // holding its connection: enough of them that another key's call still gets one.
        AAREGURU_MAX_SOCKETS: String(CALLS + 4),
        AAREGURU_TIMEOUT_MS: '60000',
        AAREGURU_DEADLINE_MS: '60000',
        AAREGURU_RETRIES: '0',
      });
      inFlight = running.app.get(InFlightService);
      session = await openSession(running.url, KEY_A);
      running.fake.inject({ fault: { kind: 'hang' }, path: '/v2018/history' });
    });

    /** CALLS distinct history calls on one session, all waiting on (or queued for) upstream. */
    async function startHangingCalls() {
      const streams = Array.from({ length: CALLS }, (_, i) => {
        const body = callTool(200 + i, 'get_historical_data', historyOfDay(i));
        return openStream(`${running!.url}/mcp`, 'POST', session, body);
      });
      // (A call's stream sends its head with its first event: waiting on heads would wait on a
      // keep-alive.)
      await eventually(() => inFlight.active === CALLS);
      return streams;
    }

    it('cancelled: every stream ends without an answer, nothing stays in flight', async () => {
      const streams = await startHangingCalls();
      for (let i = 0; i < CALLS; i += 1) {
        const cancel = {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 200 + i },
        };
        expect((await post(running!.url, cancel, session)).status).toBe(202);
      }
      const texts = await Promise.all(streams.map((s) => s.ended));
      // Each stream carried its priming event (empty data) and no answer.
      expect(texts.filter((text) => /^data: \S/m.test(text))).toEqual([]);
      await eventually(() => inFlight.active === 0);
      // The session still serves.
      const cities = await post(running!.url, callTool(300, 'list_cities', {}), session);
      expect(cities.rpc?.result?.isError).toBeFalsy();
    });

    it('abandoned (streams dropped) by a client that cannot resume them: nothing stays in flight', async () => {
      // Before 2025-11-25 a client gets no priming event: a dropped stream's answers could never
      // be delivered, so its calls are cancelled.
      session = await openSession(running!.url, KEY_A, '2025-06-18');
      const streams = await startHangingCalls();
      streams.forEach((s) => s.close());
      await eventually(() => inFlight.active === 0);
      const cities = await post(running!.url, callTool(301, 'list_cities', {}), session);
      expect(cities.rpc?.result?.isError).toBeFalsy();
    });
  });

  describe('abandoned calls of a client that can resume its streams (2025-11-25)', () => {
    it('runs them on until the upstream deadline at most, then nothing stays in flight', async () => {
      running = await startApp({
        API_KEYS: KEYS,
        ...ROOMY_RATES,
        AAREGURU_TIMEOUT_MS: '400',
        AAREGURU_DEADLINE_MS: '800',
        AAREGURU_RETRIES: '0',
        // Ten timeouts in a row would open the circuit for the key that comes after.
        AAREGURU_BREAKER_FAILURES: '100',
      });
      const inFlight = running.app.get(InFlightService);
      const session = await openSession(running.url, KEY_A);
      running.fake.inject({ fault: { kind: 'hang' }, path: '/v2018/history' });
      const streams = Array.from({ length: 10 }, (_, i) =>
        openStream(`${running!.url}/mcp`, 'POST', session, {
          ...callTool(400 + i, 'get_historical_data', historyOfDay(i)),
        }),
      );
      await eventually(() => inFlight.active === 10);
      // Dropped after their priming event: the client may come back for the answers.
      streams.forEach((s) => s.close());
      await eventually(() => inFlight.active === 0, 5000);
      const cities = await post(running.url, callTool(410, 'list_cities', {}), session);
      expect(cities.rpc?.result?.isError).toBeFalsy();
    });
  });

  describe('many streams per session', () => {
    it('allows one GET stream per 2025 session: a second is 409', async () => {
      running = await startApp({ API_KEYS: KEYS, ...ROOMY_RATES });
      const session = await openSession(running.url, KEY_A);
      const first = openStream(`${running.url}/mcp`, 'GET', session);
      expect(await first.head).toBe(200);
      const seconds = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${running!.url}/mcp`, { headers: { accept: 'text/event-stream', ...session } }),
        ),
      );
      for (const second of seconds) {
        expect(second.status).toBe(409);
        const body = (await second.json()) as RpcAnswer;
        expect(body.error?.message).toBe('Conflict: Only one SSE stream is allowed per session');
      }
      first.close();
    });

    it('ends every one of many concurrent POST streams on a session once answered (slow upstream)', async () => {
      running = await startApp({ API_KEYS: KEYS, ...ROOMY_RATES, AAREGURU_MAX_SOCKETS: '4' });
      const session = await openSession(running.url, KEY_A);
      // Warm the city list, then make every upstream answer slow.
      expect(
        (await post(running.url, callTool(2, 'list_cities', {}), session)).rpc?.result?.isError,
      ).toBeFalsy();
      running.fake.inject({ fault: { kind: 'slow', delayMs: 200 } });

      const cities = ['bern', 'thun', 'brienz', 'interlaken', 'hagneck', 'biel', 'olten', 'brugg'];
      const streams = Array.from({ length: 40 }, (_, i) => {
        const body =
          i % 2 === 0
            ? callTool(100 + i, 'get_current_temperature', { city: cities[i % cities.length] })
            : callTool(100 + i, 'get_historical_data', historyOfDay(i));
        return openStream(`${running!.url}/mcp`, 'POST', session, body);
      });
      const texts = await Promise.all(streams.map((s) => s.ended));
      streams.forEach((s) => expect(s.status()).toBe(200));
      texts.forEach((text, i) => {
        // After the priming event (empty data), the answer.
        const answer = JSON.parse(/^data: (\{.*)$/m.exec(text)![1]!) as RpcAnswer;
        expect(answer.id).toBe(100 + i);
        expect(answer.result).toBeDefined();
        expect(answer.result?.isError).toBeFalsy();
      });
    });

    it('legacy SSE: many GET /sse streams from one key stop at its session limit', async () => {
      running = await startApp({ API_KEYS: KEYS, ...ROOMY_RATES, MAX_SESSIONS_PER_KEY: '5' });
      const streams = Array.from({ length: 12 }, () =>
        openStream(`${running!.url}/sse`, 'GET', {
          'x-api-key': KEY_A,
          accept: 'text/event-stream',
        }),
      );
      const statuses = await Promise.all(streams.map((s) => s.head));
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 503)).toHaveLength(7);
      const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
      expect(registry.sizeOfKey('team-a')).toBe(5);
      // Dropped streams free their sessions.
      streams.forEach((s) => s.close());
      await eventually(() => registry.sizeOfKey('team-a') === 0);
    });
  });
});
