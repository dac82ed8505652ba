import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small round-robin reverse proxy in front of several replicas, so clients see one URL, as
 * behind a gateway or a Kubernetes Service. Bodies stream both ways (event streams go through
 * chunk by chunk, never buffered); a client's stream ends when the replica's ends; a replica that
 * refuses or drops a connection is marked dead and skipped until its /health/ready answers 200
 * again, and the request that hit it gets 502.
 */
export interface ProxyOptions {
  /**
   * The replicas' URLs, asked on every request: a replica restarted on a new port is picked up
   * as soon as the list names it.
   */
  targets: () => readonly string[];
  /**
   * Send a request that names a session (Mcp-Session-Id, or ?sessionId= on /messages) to the
   * replica that opened it, as a sticky gateway would; if that replica is dead, round-robin.
   * Off (the default): every request goes to the next replica, whatever it names.
   */
  sessionAffinity?: boolean;
  /** How often a dead replica's /health/ready is asked whether it is back. */
  probeIntervalMs?: number;
}

export interface ProxyTargetStats {
  /** Requests sent on to this replica. */
  forwarded: number;
  /** Requests it did not answer (connection refused or dropped before the response): 502. */
  badGateway: number;
  /** Responses it began and did not finish (a stream cut by the replica going away). */
  cut: number;
  /** When it was last marked dead (ms since the epoch). */
  markedDeadAt?: number;
}

/** Hop-by-hop headers: they describe one connection and are not passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

const BAD_GATEWAY_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: null,
  error: { code: -32603, message: 'Bad gateway: the replica did not answer' },
});

/** How many session→replica entries sticky routing remembers (oldest forgotten first). */
const AFFINITY_LIMIT = 100_000;

export class RoundRobinProxy {
  readonly stats = new Map<string, ProxyTargetStats>();
  /** Requests answered 502 because no replica was alive. */
  noTarget = 0;
  private next = 0;
  private readonly dead = new Set<string>();
  private readonly sessions = new Map<string, string>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  private readonly sockets = new Set<Socket>();
  private readonly prober: NodeJS.Timeout;
  private probing = false;

  private constructor(
    private readonly server: http.Server,
    private readonly options: ProxyOptions,
  ) {
    server.on('request', (req, res) => this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.prober = setInterval(() => void this.probeDead(), options.probeIntervalMs ?? 250);
    this.prober.unref();
  }

  /** Starts the proxy on a random loopback port. */
  static async start(options: ProxyOptions): Promise<RoundRobinProxy> {
    const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 });
    const proxy = new RoundRobinProxy(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Whether requests currently skip this replica. */
  isDead(target: string): boolean {
    return this.dead.has(target);
  }

  /** Totals over every replica the proxy has sent requests to. */
  totals(): ProxyTargetStats {
    const sum: ProxyTargetStats = { forwarded: 0, badGateway: 0, cut: 0 };
    for (const s of this.stats.values()) {
      sum.forwarded += s.forwarded;
      sum.badGateway += s.badGateway;
      sum.cut += s.cut;
    }
    return sum;
  }

  async close(): Promise<void> {
    clearInterval(this.prober);
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private statsOf(target: string): ProxyTargetStats {
    let s = this.stats.get(target);
    if (!s) {
      s = { forwarded: 0, badGateway: 0, cut: 0 };
      this.stats.set(target, s);
    }
    return s;
  }

  private markDead(target: string): void {
    if (this.dead.has(target)) return;
    this.dead.add(target);
    this.statsOf(target).markedDeadAt = Date.now();
  }

  /** The replica for this request: the session's own when sticky, else the next live one. */
  private pick(req: IncomingMessage): string | undefined {
    const targets = this.options.targets();
    if (this.options.sessionAffinity) {
      const owner = this.sessions.get(sessionOf(req) ?? '');
      if (owner && targets.includes(owner) && !this.dead.has(owner)) return owner;
    }
    for (let tried = 0; tried < targets.length; tried += 1) {
      const target = targets[this.next++ % targets.length];
      if (!this.dead.has(target)) return target;
    }
    return undefined;
  }

  private remember(sessionId: string, target: string): void {
    if (this.sessions.size >= AFFINITY_LIMIT) {
      this.sessions.delete(this.sessions.keys().next().value as string);
    }
    this.sessions.set(sessionId, target);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = this.pick(req);
    if (!target) {
      this.noTarget += 1;
      req.resume();
      return badGateway(res);
    }
    const stats = this.statsOf(target);
    stats.forwarded += 1;
    const base = new URL(target);
    const upstream = http.request({
      host: base.hostname,
      port: base.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req),
      agent: this.agent,
    });
    let clientGone = false;
    req.pipe(upstream);
    upstream.on('response', (answer) => {
      res.writeHead(
        answer.statusCode ?? 502,
        answer.statusMessage,
        withoutHopByHop(answer.headers),
      );
      // An event stream's headers go out at once (then each event as it comes); other answers
      // go out with their body, in one write.
      if (String(answer.headers['content-type']).startsWith('text/event-stream')) {
        res.flushHeaders();
      }
      if (this.options.sessionAffinity) this.learnSession(req, answer, target);
      answer.pipe(res);
      answer.once('close', () => {
        if (answer.complete || clientGone) return;
        // The replica went away mid-response: the client's stream ends with it.
        stats.cut += 1;
        this.markDead(target);
        res.destroy();
      });
    });
    upstream.on('error', () => {
      if (res.headersSent || clientGone) return;
      // Nothing came back: the replica is gone (refused) or went away with the request.
      stats.badGateway += 1;
      this.markDead(target);
      req.resume();
      badGateway(res);
    });
    // A client that leaves ends its request on the replica too (a GET stream, say).
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
  }

  /** Sticky routing: which replica opened a session, from its answer. */
  private learnSession(req: IncomingMessage, answer: IncomingMessage, target: string): void {
    const id = answer.headers['mcp-session-id'];
    if (typeof id === 'string') return this.remember(id, target);
    if (req.method !== 'GET' || !req.url?.startsWith('/sse')) return;
    // Legacy SSE names its session in the first event (the POST endpoint): read it in passing.
    let head = '';
    const sniff = (chunk: Buffer) => {
      head += chunk.toString('utf8');
      const match = /sessionId=([\w-]+)/.exec(head);
      if (match || head.length > 4096) {
        answer.off('data', sniff);
        if (match) this.remember(match[1], target);
      }
    };
    answer.on('data', sniff);
  }

  /** Takes back a dead replica once it answers /health/ready with 200. */
  private async probeDead(): Promise<void> {
    if (this.probing || this.dead.size === 0) return;
    this.probing = true;
    try {
      const current = new Set(this.options.targets());
      await Promise.all(
        [...this.dead].map(async (target) => {
          if (!current.has(target)) return void this.dead.delete(target); // replaced
          if ((await statusOf(`${target}/health/ready`)) === 200) this.dead.delete(target);
        }),
      );
    } finally {
      this.probing = false;
    }
  }
}

/** The session a request names, on /mcp (header) or /messages (query). */
function sessionOf(req: IncomingMessage): string | undefined {
  const header = req.headers['mcp-session-id'];
  if (typeof header === 'string') return header;
  return /[?&]sessionId=([\w-]+)/.exec(req.url ?? '')?.[1];
}

function forwardedHeaders(req: IncomingMessage): http.OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${client}` : client;
  return headers;
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const kept: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

function badGateway(res: ServerResponse): void {
  res.writeHead(502, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(BAD_GATEWAY_BODY),
  });
  res.end(BAD_GATEWAY_BODY);
}

/** The status of a GET, or 0 when nothing answers within a second. */
export function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}
