import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  blankLeaves,
  changeCity,
  FakeData,
  Json,
  JsonObject,
  LiveChange,
  loadFakeData,
  phpJson,
} from './fixtures';

export type Fault =
  /** Answer with this status and a short body. */
  | { kind: 'status'; status: number }
  /** Never answer (until the client gives up or the fake stops). */
  | { kind: 'hang' }
  /** Answer normally after a delay. */
  | { kind: 'slow'; delayMs: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** Drop the connection without an answer. */
  | { kind: 'reset' }
  /** 200 with the usual structure but every value null. */
  | { kind: 'nulls' };

export interface FaultRule {
  fault: Fault;
  /** e.g. "/v2018/current"; every path when omitted. */
  path?: string;
  /** Only requests for this city. */
  city?: string;
  /** How many requests it applies to; forever when omitted. */
  times?: number;
}

export interface RecordedRequest {
  path: string;
  query: Record<string, string>;
  at: number;
}

const CONTROL_PREFIX = '/__fake';

/**
 * A real HTTP server that answers like the Aareguru API (v2018) from recorded samples, including
 * its traps: Bern's data for an unknown or mis-cased city on /current and /today, 400 on /history
 * for an unknown city or non-numeric times, nulls where the samples have them. Faults can be
 * injected in-process or over HTTP (POST /__fake/faults) and every request is counted. A city's
 * live measurement can be changed, in-process (setCity) or over HTTP (POST /__fake/cities/:city).
 */
export class FakeAareguru {
  private readonly data: FakeData;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rules: (FaultRule & { remaining: number })[] = [];
  readonly requests: RecordedRequest[] = [];

  constructor(fixturesDir?: string) {
    this.data = loadFakeData(fixturesDir);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Resolves to the base URL to use as AAREGURU_BASE_URL. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.baseUrl;
  }

  get baseUrl(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(rule: FaultRule): void {
    this.rules.push({ ...rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** Requests counted so far, optionally for one path ("/v2018/current") and city. */
  count(path?: string, city?: string): number {
    return this.requests.filter(
      (r) =>
        (path === undefined || r.path === path) && (city === undefined || r.query.city === city),
    ).length;
  }

  /**
   * A new measurement for a city: its `/current` and everything derived from it in `/widget`,
   * `/cities` and `/today` change together. Without a timestamp the measurement is 600 s after
   * the last. Throws for a city the fake does not serve; `reset()` keeps the change.
   */
  setCity(city: string, change: LiveChange): void {
    if (!changeCity(this.data, city, change)) throw new Error(`unknown city: ${city}`);
  }

  reset(): void {
    this.clearFaults();
    this.requests.length = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      this.control(req, res, url.pathname.slice(CONTROL_PREFIX.length));
      return;
    }
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ path: url.pathname, query, at: Date.now() });

    const fault = this.takeFault(url.pathname, query.city);
    switch (fault?.kind) {
      case 'hang':
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'status':
        return send(res, fault.status, 'text/plain', `fake failure ${fault.status}`);
      case 'malformed':
        return send(res, 200, 'application/json', '{"aare": {"temperature": 12.5,');
      case 'slow': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.answer(res, url, query, false);
        }, fault.delayMs);
        this.timers.add(timer);
        return;
      }
      default:
        this.answer(res, url, query, fault?.kind === 'nulls');
    }
  }

  private takeFault(path: string, city: string | undefined): Fault | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.path === undefined || r.path === path) &&
        (r.city === undefined || r.city === city),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  private answer(
    res: ServerResponse,
    url: URL,
    query: Record<string, string>,
    nulls: boolean,
  ): void {
    const result = this.route(url.pathname, query);
    if ('error' in result) return send(res, result.status, 'text/plain', result.error);
    const body = nulls ? blankLeaves(result.body) : result.body;
    if (query.values) {
      return send(res, 200, 'text/plain; charset=utf-8', extractValues(body, query.values));
    }
    send(res, 200, 'application/json', phpJson(body));
  }

  private route(
    path: string,
    query: Record<string, string>,
  ): { body: Json } | { status: number; error: string } {
    const ids = this.data.cities.map((c) => c.city);
    // Upstream's trap: an unknown, empty or mis-cased city silently gets Bern.
    const cityOrBern = ids.includes(query.city ?? '') ? query.city : 'bern';
    switch (path) {
      case '/v2018/cities':
        return { body: this.data.cities };
      case '/v2018/widget':
        return { body: this.data.widget };
      case '/v2018/current':
        return { body: this.data.current.get(cityOrBern)! };
      case '/v2018/today':
        return { body: this.data.today.get(cityOrBern)! };
      case '/v2018/history':
        return this.history(query, ids);
      default:
        return { status: 404, error: 'Not Found' };
    }
  }

  /**
   * Bern's recorded 10-minute series (about 48 h), shifted so that it ends at `end`, repeated
   * back in time as often as the range needs and cut at `start`: a year-long range gets a year of
   * points (about 2 MB of JSON), as upstream's would.
   */
  private history(query: Record<string, string>, ids: string[]) {
    const { city, start, end } = query;
    if (!city || !ids.includes(city)) return { status: 400, error: 'Invalid city' };
    if (!/^\d+$/.test(start ?? '') || !/^\d+$/.test(end ?? '')) {
      return { status: 400, error: 'Invalid start or end' };
    }
    const [from, to] = [Number(start), Number(end)];
    if (from >= to) return { status: 400, error: 'start must be before end' };
    const recorded = (this.data.history.data as Record<string, [number, number | null][]>) ?? {};
    const firstRecorded = recorded.temperature[0][0];
    const lastRecorded = recorded.temperature.at(-1)![0];
    const period = lastRecorded - firstRecorded + 600;
    const shift = Math.floor(to / 600) * 600 - lastRecorded;
    const copies = Math.max(1, Math.ceil((lastRecorded + shift - from) / period));
    const shifted = (series: [number, number | null][]) => {
      const points: [number, number | null][] = [];
      for (let copy = copies - 1; copy >= 0; copy -= 1) {
        for (const [t, v] of series) {
          const at = t + shift - copy * period;
          if (at >= from) points.push([at, v]);
        }
      }
      return points;
    };
    return {
      body: {
        status: 'success',
        city,
        start,
        end,
        data: { temperature: shifted(recorded.temperature), flow: shifted(recorded.flow) },
      },
    };
  }

  private control(req: IncomingMessage, res: ServerResponse, path: string): void {
    const reply = (status: number, body: unknown) =>
      send(res, status, 'application/json', JSON.stringify(body));
    if (req.method === 'GET' && path === '/requests') {
      const counts: Record<string, number> = {};
      for (const r of this.requests) {
        const key = r.query.city ? `${r.path}?city=${r.query.city}` : r.path;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return reply(200, { total: this.requests.length, counts });
    }
    if (req.method === 'POST' && path === '/reset') {
      this.reset();
      return reply(200, { ok: true });
    }
    if (req.method === 'DELETE' && path === '/faults') {
      this.clearFaults();
      return reply(200, { ok: true });
    }
    if (req.method === 'POST' && path === '/faults') {
      return readJson(req, reply, (body) => {
        const rule = body as FaultRule;
        if (!rule?.fault?.kind) throw new Error('a fault rule needs fault.kind');
        this.inject(rule);
        reply(201, { ok: true });
      });
    }
    const city = /^\/cities\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'POST' && city !== undefined) {
      const id = decodeURIComponent(city);
      if (!this.data.current.has(id)) return reply(404, { error: `unknown city: ${id}` });
      return readJson(req, reply, (body) => {
        this.setCity(id, liveChangeOf(body));
        reply(200, { ok: true, aare: this.data.current.get(id)!.aare });
      });
    }
    reply(404, { error: 'unknown control path' });
  }
}

/** Reads a JSON body and hands it on; a bad body, or what `use` throws, is a 400. */
function readJson(
  req: IncomingMessage,
  reply: (status: number, body: unknown) => void,
  use: (body: unknown) => void,
): void {
  let text = '';
  req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  req.on('end', () => {
    try {
      use(JSON.parse(text || '{}'));
    } catch (error) {
      reply(400, { error: (error as Error).message });
    }
  });
}

/** `{ temperature?, flow?, timestamp? }`, each a number (temperature and flow may be null). */
function liveChangeOf(body: unknown): LiveChange {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Error('a city change is an object');
  }
  const { temperature, flow, timestamp } = body as Record<string, unknown>;
  const measure = (name: string, value: unknown) => {
    if (value !== undefined && value !== null && typeof value !== 'number') {
      throw new Error(`${name} must be a number or null`);
    }
  };
  measure('temperature', temperature);
  measure('flow', flow);
  if (timestamp !== undefined && !Number.isInteger(timestamp)) {
    throw new Error('timestamp must be whole Unix seconds');
  }
  return { temperature, flow, timestamp } as LiveChange;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': '*',
  });
  res.end(body);
}

/** `values=a.b,c.0.d`: one value per line in request order, empty for a missing path. */
function extractValues(body: Json, paths: string): string {
  return paths
    .split(',')
    .map((path) => {
      let node: Json | undefined = body;
      for (const part of path.split('.')) {
        node = node !== null && typeof node === 'object' ? (node as JsonObject)[part] : undefined;
      }
      return node === undefined || node === null || typeof node === 'object' ? '' : String(node);
    })
    .join('\n');
}
