import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { eventually } from './support/mcp-clients';
import { RoundRobinProxy } from './support/round-robin-proxy';

/** A stand-in replica: answers with its name, streams events on demand, can die and come back. */
class Backend {
  server!: http.Server;
  readonly sockets = new Set<Socket>();
  /** Open event streams, to push events into or cut. */
  readonly streams: ServerResponse[] = [];
  streamsClosedByClient = 0;
  port = 0;

  constructor(readonly name: string) {}

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Gone at once, like a killed process: listener closed, every connection dropped. */
  async die(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.streams.length = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/health/ready') return void res.end('ok');
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      this.streams.push(res);
      res.once('close', () => {
        if (!res.writableEnded) this.streamsClosedByClient += 1;
      });
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const headers: Record<string, string> = { 'x-backend': this.name };
      if (req.url === '/open') headers['mcp-session-id'] = `session-of-${this.name}`;
      res.writeHead(200, headers);
      res.end(`${this.name}:${body}:${req.headers['mcp-session-id'] ?? ''}`);
    });
  }
}

interface Answer {
  status: number;
  backend?: string;
  body: string;
}

function request(url: string, path: string, body = '', headers = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          backend: res.headers['x-backend'] as string | undefined,
          body: text,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens an event stream through the proxy and collects what arrives. */
function openEvents(url: string) {
  const received: string[] = [];
  const state = { ended: false, failed: false, req: undefined as http.ClientRequest | undefined };
  state.req = http.get(`${url}/events`, { agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => received.push(chunk));
    res.on('end', () => (state.ended = true));
    res.on('error', () => (state.failed = true));
    res.on('aborted', () => (state.failed = true));
  });
  state.req.on('error', () => (state.failed = true));
  return { received, state };
}

describe('Round-robin proxy in front of replicas', () => {
  let a: Backend;
  let b: Backend;
  let proxy: RoundRobinProxy;
  const proxies: RoundRobinProxy[] = [];

  beforeEach(async () => {
    a = new Backend('a');
    b = new Backend('b');
    await Promise.all([a.start(), b.start()]);
    proxy = await RoundRobinProxy.start({ targets: () => [a.url, b.url], probeIntervalMs: 20 });
    proxies.push(proxy);
  });

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.allSettled([a.die(), b.die()]);
  });

  it('sends each request to the next replica, body and headers passed through', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await request(proxy.url, '/echo', `n${i}`));
    expect(answers.map((r) => `${r.status} ${r.body}`)).toEqual([
      '200 a:n0:',
      '200 b:n1:',
      '200 a:n2:',
      '200 b:n3:',
    ]);
  });

  it('passes events on as they come and ends the client stream when the replica ends it', async () => {
    const { received, state } = openEvents(proxy.url);
    await eventually(() => a.streams.length === 1);
    // The first event arrives while the replica keeps its stream open: nothing is buffered.
    await eventually(() => received.join('') === 'data: first\n\n');
    a.streams[0].write('data: second\n\n');
    await eventually(() => received.join('').endsWith('data: second\n\n'));
    expect(state.ended).toBe(false);
    a.streams[0].end();
    await eventually(() => state.ended);
  });

  it('ends the stream on the replica when the client leaves', async () => {
    const { received, state } = openEvents(proxy.url);
    await eventually(() => received.length > 0);
    state.req!.destroy();
    await eventually(() => a.streamsClosedByClient === 1);
    expect(proxy.isDead(a.url)).toBe(false);
  });

  it('cuts the client stream when the replica dies mid-stream, and counts it', async () => {
    const { received, state } = openEvents(proxy.url);
    await eventually(() => received.length > 0);
    await a.die();
    await eventually(() => state.failed || state.ended);
    expect(proxy.stats.get(a.url)).toMatchObject({ cut: 1 });
    expect(proxy.isDead(a.url)).toBe(true);
  });

  it('answers 502 for the request that hit a dead replica, skips it, and takes it back once ready', async () => {
    const port = a.port;
    await a.die();
    expect(await request(proxy.url, '/echo', 'x')).toMatchObject({ status: 502 });
    expect(proxy.isDead(a.url)).toBe(true);
    for (let i = 0; i < 3; i += 1) {
      expect(await request(proxy.url, '/echo', 'y')).toMatchObject({ status: 200, backend: 'b' });
    }
    expect(proxy.stats.get(a.url)).toMatchObject({ badGateway: 1 });

    // Started again on the same port: its /health/ready brings it back into the rotation.
    await a.start(port);
    await eventually(() => !proxy.isDead(a.url));
    const backends = new Set<string | undefined>();
    for (let i = 0; i < 4; i += 1) backends.add((await request(proxy.url, '/echo')).backend);
    expect([...backends].sort()).toEqual(['a', 'b']);
  });

  it('answers 502 when no replica is alive', async () => {
    await Promise.all([a.die(), b.die()]);
    await request(proxy.url, '/echo').catch(() => undefined);
    await request(proxy.url, '/echo').catch(() => undefined);
    expect(await request(proxy.url, '/echo')).toMatchObject({ status: 502 });
    expect(proxy.noTarget).toBeGreaterThan(0);
  });

  it('with session affinity, sends a session to the replica that opened it until it dies', async () => {
    const sticky = await RoundRobinProxy.start({
      targets: () => [a.url, b.url],
      sessionAffinity: true,
      probeIntervalMs: 20,
    });
    proxies.push(sticky);
    const opened = await request(sticky.url, '/open');
    expect(opened.backend).toBe('a');
    const session = { 'mcp-session-id': 'session-of-a' };
    for (let i = 0; i < 3; i += 1) {
      expect((await request(sticky.url, '/echo', '', session)).backend).toBe('a');
    }
    // Without affinity the same requests alternate.
    const spread = new Set<string | undefined>();
    for (let i = 0; i < 2; i += 1)
      spread.add((await request(proxy.url, '/echo', '', session)).backend);
    expect(spread.size).toBe(2);

    await a.die();
    await request(sticky.url, '/echo', '', session); // hits the dead one: 502, marked dead
    expect((await request(sticky.url, '/echo', '', session)).backend).toBe('b');
  });
});
