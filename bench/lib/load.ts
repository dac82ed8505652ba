import autocannon from 'autocannon';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export const ACCEPT = 'application/json, text/event-stream';
export const PROTOCOL_2025 = '2025-11-25';

export interface LoadResult {
  callsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

export interface Call {
  method: string;
  params?: Record<string, unknown>;
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: PROTOCOL_2025,
    capabilities: {},
    clientInfo: { name: 'bench', version: '1' },
  },
};

function summarise(result: autocannon.Result, seconds: number): LoadResult {
  return {
    callsPerSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

/**
 * 2025-era stateful load: every connection opens its own session (initialize, initialized) and
 * then repeats one call. Autocannon keeps a per-connection context while it walks the request
 * list and starts over (a new session) when it wraps; it copies the list per connection, so the
 * list is long enough to wrap rarely but no longer.
 */
export async function statefulLoad(
  url: string,
  call: Call,
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  const base = { 'content-type': 'application/json', accept: ACCEPT, ...options.headers };
  type Ctx = { session?: string };
  const open = {
    method: 'POST' as const,
    setupRequest: (req: autocannon.Request) => ({
      ...req,
      headers: base,
      body: JSON.stringify(INITIALIZE),
    }),
    onResponse: (_status: number, _body: string, ctx: Ctx, headers: Record<string, string>) => {
      ctx.session = headers['mcp-session-id'];
    },
  };
  const withSession = (ctx: Ctx) => ({
    ...base,
    'mcp-session-id': ctx.session ?? '',
    'mcp-protocol-version': PROTOCOL_2025,
  });
  const initialized = {
    method: 'POST' as const,
    setupRequest: (req: autocannon.Request, ctx: Ctx) => ({
      ...req,
      headers: withSession(ctx),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    }),
  };
  let id = 1;
  const repeat = {
    method: 'POST' as const,
    setupRequest: (req: autocannon.Request, ctx: Ctx) => ({
      ...req,
      headers: withSession(ctx),
      body: JSON.stringify({ jsonrpc: '2.0', id: id++, ...call }),
    }),
  };
  const requests = [open, initialized, ...new Array(5_000).fill(repeat)];
  const result = await autocannon({
    url: `${url}/mcp`,
    connections: options.connections,
    duration: options.seconds,
    requests: requests as autocannon.Request[],
  });
  return summarise(result, options.seconds);
}

/** Replays one fixed request (stateless 2026-07-28 traffic, or the raw ceiling). */
export async function replayLoad(
  target: string,
  request: { headers: Record<string, string>; body: string },
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  const result = await autocannon({
    url: target,
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    headers: request.headers,
    body: request.body,
  });
  return summarise(result, options.seconds);
}

/**
 * The exact request a 2026-07-28 client sends for a call, captured from the official client
 * pinned to that revision (envelope, headers and all), for replaying under load.
 */
export async function captureModernRequest(
  url: string,
  call: { name: string; arguments: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<{ headers: Record<string, string>; body: string }> {
  let captured: { headers: Record<string, string>; body: string } | undefined;
  const recordingFetch: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const merged = new Headers(init?.headers);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    if (body.includes('"tools/call"')) {
      captured = { headers: Object.fromEntries(merged.entries()), body };
    }
    return fetch(input, { ...init, headers: merged });
  };
  const client = new Client(
    { name: 'bench', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { fetch: recordingFetch }),
  );
  await client.callTool(call);
  await client.close();
  if (!captured) throw new Error('no tools/call request was captured');
  return captured;
}
