import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { ACCEPT, INITIALIZE, PROTOCOL_2025 } from './load';
import { percentile } from './stats';

/** Many sockets, reused: the load generator must not be the bottleneck. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(url, 'POST', JSON.stringify(body), headers);
}

export function send(
  url: string,
  method: string,
  body: string | undefined,
  headers: Record<string, string>,
) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** initialize + initialized on Streamable HTTP; resolves to the session id. */
export async function openStreamableSession(
  base: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const init = await post(`${base}/mcp`, INITIALIZE, headers);
  const id = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof id !== 'string')
    throw new Error(`initialize answered ${init.status}`);
  const sessionHeaders = {
    ...headers,
    'mcp-session-id': id,
    'mcp-protocol-version': PROTOCOL_2025,
  };
  await post(
    `${base}/mcp`,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    sessionHeaders,
  );
  return id;
}

/** Opens the standalone GET stream of a session and keeps it open; resolves once headers arrive. */
export function openGetStream(
  base: string,
  sessionId: string,
  headers: Record<string, string> = {},
) {
  return openStream(`${base}/mcp`, {
    ...headers,
    accept: 'text/event-stream',
    'mcp-session-id': sessionId,
    'mcp-protocol-version': PROTOCOL_2025,
  });
}

interface OpenStream {
  req: http.ClientRequest;
  res: http.IncomingMessage;
  close(): void;
}

function openStream(url: string, headers: Record<string, string>): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      resolve({ req, res, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

/** A legacy SSE session: the stream, its POST URL, and awaiting answers by request id. */
export class SseSession {
  private buffer = '';
  private readonly waiting = new Map<number, () => void>();
  private nextId = 1;

  private constructor(
    private readonly stream: OpenStream,
    readonly postUrl: string,
    private readonly headers: Record<string, string>,
  ) {
    stream.res.setEncoding('utf8');
    stream.res.on('data', (chunk: string) => this.receive(chunk));
  }

  static async open(
    base: string,
    headers: Record<string, string> = {},
    initialize = true,
  ): Promise<SseSession> {
    const stream = await openStream(`${base}/sse`, { ...headers, accept: 'text/event-stream' });
    const endpoint = await new Promise<string>((resolve) => {
      let text = '';
      const onData = (chunk: Buffer | string) => {
        text += chunk.toString();
        const match = /event: endpoint\ndata: (\S+)/.exec(text);
        if (match) {
          stream.res.off('data', onData);
          resolve(match[1]);
        }
      };
      stream.res.on('data', onData);
    });
    const session = new SseSession(stream, new URL(endpoint, base).href, headers);
    if (initialize) {
      await session.request('initialize', INITIALIZE.params);
      await post(session.postUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    }
    return session;
  }

  /** Posts a request and resolves when its answer arrives on the stream. */
  request(method: string, params?: unknown): Promise<void> {
    const id = this.nextId++;
    const answered = new Promise<void>((resolve) => this.waiting.set(id, resolve));
    void post(this.postUrl, { jsonrpc: '2.0', id, method, params }, this.headers);
    return answered;
  }

  close(): void {
    this.stream.close();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const event = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (!data) continue;
      const id = (JSON.parse(data) as { id?: number }).id;
      if (typeof id === 'number') {
        this.waiting.get(id)?.();
        this.waiting.delete(id);
      }
    }
  }
}

export interface RoundTrips {
  callsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
}

/** Each worker repeats `once` back to back for `seconds`; latencies in ms. */
export async function closedLoop(
  workers: number,
  seconds: number,
  once: (worker: number) => Promise<void>,
): Promise<RoundTrips> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await once(worker);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    total: latencies.length,
  };
}
