import http from 'node:http';
import request from 'supertest';
import { InFlightService } from '../../src/common/in-flight.service';
import { SESSION_REGISTRY, SessionRegistry } from '../../src/sessions/session-registry.interface';
import { RunningApp, startApp } from '../support/http-app';
import { connectClient, eventually } from '../support/mcp-clients';
import { ACCEPT_BOTH, INITIALIZE } from '../support/mcp-messages';
import { scrapeMetrics } from '../support/metrics';

/** Longest a call's stream may stay open once its only request is cancelled. */
const STREAM_END_BOUND_MS = 2000;

const CALL_ID = 7;
const SLOW_CALL = {
  jsonrpc: '2.0',
  id: CALL_ID,
  method: 'tools/call',
  params: { name: 'get_current_temperature', arguments: { city: 'thun' } },
};

/** A POST whose event stream is read as it arrives, to see how (and whether) it ends. */
interface OpenStream {
  /** Resolves when the server ends the stream, with what it carried. */
  ended: Promise<string>;
  /** What arrived so far. */
  received(): string;
  /** The client goes away without waiting. */
  disconnect(): void;
}

function postStream(
  url: string,
  sessionId: string,
  body: unknown,
  protocolVersion = '2025-11-25',
): OpenStream {
  const target = new URL('/mcp', url);
  let text = '';
  let req!: http.ClientRequest;
  const ended = new Promise<string>((resolve, reject) => {
    req = http.request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: ACCEPT_BOTH,
          'mcp-session-id': sessionId,
          'mcp-protocol-version': protocolVersion,
        },
      },
      (res) => {
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  ended.catch(() => undefined);
  return { ended, received: () => text, disconnect: () => req.destroy() };
}

/** The JSON-RPC messages an event stream carried. */
function eventsOf(text: string): { id?: number; result?: Record<string, unknown> }[] {
  return [...text.matchAll(/^event: message\n(?:id: .*\n)?data: (.*)$/gm)].map(
    (match) => JSON.parse(match[1]!) as { id?: number; result?: Record<string, unknown> },
  );
}

/** The stream's end, or what it had carried when the bound passed while it stayed open. */
async function endWithin(stream: OpenStream, boundMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const stillOpen = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const keepAlives = stream.received().match(/^: keep-alive/gm)?.length ?? 0;
      reject(
        new Error(
          `the stream is still open after ${boundMs} ms (${keepAlives} keep-alive comments)`,
        ),
      );
    }, boundMs);
  });
  try {
    return await Promise.race([stream.ended, stillOpen]);
  } finally {
    clearTimeout(timer);
  }
}

describe('Cancelled and abandoned calls on a Streamable HTTP session (2025 era)', () => {
  let running: RunningApp;
  let inFlight: InFlightService;
  let registry: SessionRegistry;
  let sessionId: string;
  const streams: OpenStream[] = [];

  beforeEach(async () => {
    running = await startApp({
      // Keep-alive comments every second: an open stream shows it is being kept alive.
      SSE_HEARTBEAT_SECONDS: '1',
      // A hanging upstream answer stays unanswered for the whole test.
      AAREGURU_TIMEOUT_MS: '60000',
      AAREGURU_DEADLINE_MS: '60000',
      AAREGURU_RETRIES: '0',
    });
    inFlight = running.app.get(InFlightService);
    registry = running.app.get(SESSION_REGISTRY);
    const init = await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .send(INITIALIZE)
      .expect(200);
    sessionId = init.headers['mcp-session-id'] as string;
    await notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    running.fake.inject({ fault: { kind: 'hang' }, path: '/v2018/current', city: 'thun' });
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.disconnect();
    await running.close();
  });

  const notify = (message: unknown) =>
    request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .set('Mcp-Session-Id', sessionId)
      .set('Mcp-Protocol-Version', '2025-11-25')
      .send(message as object)
      .expect(202);

  /** Starts the call and waits until it waits on upstream. */
  const startSlowCall = async (): Promise<OpenStream> => {
    const stream = postStream(running.url, sessionId, SLOW_CALL);
    streams.push(stream);
    await eventually(() => running.fake.count('/v2018/current', 'thun') === 1);
    expect(inFlight.active).toBe(1);
    return stream;
  };

  const CANCELLED_CALLS = ['mcp_tool_calls_total', { outcome: 'cancelled' }] as const;

  it('ends the call’s stream, without an answer, once the client cancels it', async () => {
    const before = await scrapeMetrics(running.url);
    const stream = await startSlowCall();

    await notify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: CALL_ID, reason: 'client timeout' },
    });

    expect(eventsOf(await endWithin(stream, STREAM_END_BOUND_MS))).toEqual([]);
    // The tool stops waiting for upstream: nothing holds shutdown or the session.
    await eventually(() => inFlight.active === 0, STREAM_END_BOUND_MS);
    await expect(registry.list()[0]!.hibernate()).resolves.toBe(true);
    expect((await scrapeMetrics(running.url)).since(before, ...CANCELLED_CALLS)).toBe(1);
  });

  it('ends a batch stream when its last open request is cancelled, after the others’ answers', async () => {
    const stream = postStream(running.url, sessionId, [
      { jsonrpc: '2.0', id: 8, method: 'ping' },
      SLOW_CALL,
    ]);
    streams.push(stream);
    await eventually(() => running.fake.count('/v2018/current', 'thun') === 1);

    await notify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: CALL_ID },
    });

    expect(eventsOf(await endWithin(stream, STREAM_END_BOUND_MS))).toEqual([
      { jsonrpc: '2.0', id: 8, result: {} },
    ]);
  });

  it('releases the call when a client that cannot resume drops its stream without cancelling', async () => {
    // A 2025-06-18 client gets no priming event, so it cannot resume the stream.
    const old = await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .send({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-06-18' } })
      .expect(200);
    const oldSession = old.headers['mcp-session-id'] as string;
    await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .set('Mcp-Session-Id', oldSession)
      .set('Mcp-Protocol-Version', '2025-06-18')
      .send({ jsonrpc: '2.0', method: 'notifications/initialized' })
      .expect(202);
    const before = await scrapeMetrics(running.url);
    const stream = postStream(running.url, oldSession, SLOW_CALL, '2025-06-18');
    streams.push(stream);
    await eventually(() => running.fake.count('/v2018/current', 'thun') === 1);
    expect(inFlight.active).toBe(1);

    stream.disconnect();

    // The answer could never be delivered: the call is cancelled.
    await eventually(() => inFlight.active === 0, STREAM_END_BOUND_MS);
    const held = registry.list().find((s) => s.info.id === oldSession)!;
    await expect(held.hibernate()).resolves.toBe(true);
    expect((await scrapeMetrics(running.url)).since(before, ...CANCELLED_CALLS)).toBe(1);
  });

  it('still serves the session after a cancelled call', async () => {
    const stream = await startSlowCall();
    await notify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: CALL_ID },
    });
    await endWithin(stream, STREAM_END_BOUND_MS);

    const next = postStream(running.url, sessionId, {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'get_current_temperature', arguments: { city: 'bern' } },
    });
    streams.push(next);
    const [answer] = eventsOf(await endWithin(next, STREAM_END_BOUND_MS));
    expect(answer).toMatchObject({ id: 9, result: { structuredContent: { city: 'bern' } } });
  });

  it('leaves nothing behind when the official client gives up on a call (request timeout)', async () => {
    const before = await scrapeMetrics(running.url);
    const client = await connectClient('streamable-2025', { url: running.url });
    try {
      const call = client.client.callTool(
        { name: 'get_current_temperature', arguments: { city: 'thun' } },
        { timeout: 300 },
      );
      await expect(call).rejects.toThrow(/timed out/i);

      await eventually(() => inFlight.active === 0, STREAM_END_BOUND_MS);
      expect((await scrapeMetrics(running.url)).since(before, ...CANCELLED_CALLS)).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('legacy HTTP+SSE: a cancelled call stops counting as in flight (its answer has no stream of its own)', async () => {
    const before = await scrapeMetrics(running.url);
    const sse = await connectClient('sse', { url: running.url });
    try {
      const controller = new AbortController();
      const call = sse.client.callTool(
        { name: 'get_current_temperature', arguments: { city: 'thun' } },
        { signal: controller.signal },
      );
      await eventually(() => running.fake.count('/v2018/current', 'thun') === 1);
      expect(inFlight.active).toBe(1);

      // The official client sends notifications/cancelled for an aborted call.
      controller.abort();
      await expect(call).rejects.toThrow();

      await eventually(() => inFlight.active === 0, STREAM_END_BOUND_MS);
      expect((await scrapeMetrics(running.url)).since(before, ...CANCELLED_CALLS)).toBe(1);
    } finally {
      await sse.close();
    }
  });
});
