/**
 * npm run soak -- --clients 50 --minutes 30: the design's load target. Mixed traffic over every
 * transport against the production build, with a reconnection storm and a slow-upstream phase.
 * Exits non-zero when a target is missed: RSS < 500 MB, average latency < 500 ms, zero errors,
 * sessions back to zero after the clients leave, no heap growth (live heap after a full GC).
 *
 * With --replicas N the same clients go through a round-robin proxy to N replicas on Redis, and
 * halfway through one replica is killed (SIGKILL) and started again: only calls in flight on it
 * may fail, and they are counted apart.
 */
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeAareguru } from '../test/fake-upstream/fake-aareguru';
import { REDIS_URL, requireRedis } from '../test/support/redis';
import { ReplicaSet, type RoundRobinProxy } from '../test/support/replicas';
import { metric, option } from './lib/cli';
import { corePlan, sessionsShared } from './lib/fleet';
import { BENCH_ADMIN_KEY, BENCH_API_KEY, benchServerEnv } from './lib/our-server';
import { collectGarbage, pinLoadGenerator, rssBytes, startServer } from './lib/processes';
import { agent, post, send } from './lib/raw-sessions';

const CLIENTS = Number(option('clients', '50'));
const MINUTES = Number(option('minutes', '30'));
const THINK_MS = Number(option('think', '100'));
const HEAP_GROWTH_LIMIT_MB = Number(option('heap-growth-mb', '30'));
const REPLICAS = Number(option('replicas', '1'));
/** In the test suite only what noise cannot flip is checked; timings are reported, not judged. */
const STABLE_CHECKS_ONLY = process.argv.includes('--stable-only');
const CITIES = ['brienz', 'interlaken', 'thun', 'bern', 'hagneck', 'biel', 'olten', 'brugg'];
const log = (message: string) =>
  process.stderr.write(`[soak ${new Date().toISOString()}] ${message}\n`);

type Kind = 'streamable-2025' | 'streamable-2026' | 'sse';

interface Stats {
  calls: number;
  errors: number;
  latencyTotal: number;
  errorSamples: string[];
  /** Every failed call, for sorting out those in flight on a killed replica. */
  failures: Failure[];
}

interface Failure {
  kind: Kind;
  started: number;
  ended: number;
  message: string;
  /** When the call's connection lost its stream (legacy SSE: where its answer was to come). */
  streamLostAt?: number;
}

const stats: Stats = { calls: 0, errors: 0, latencyTotal: 0, errorSamples: [], failures: [] };

function withKey(apiKey: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('X-API-Key', apiKey);
    return fetch(input, { ...init, headers });
  };
}

interface Connection {
  client: Client;
  /** Set when the transport reported an error or closed: the next call connects afresh. */
  broken: boolean;
  /** When a legacy SSE client's stream failed (ms since the epoch). */
  streamLostAt?: number;
  end(): Promise<void>;
}

/**
 * A legacy SSE client whose stream ends or fails (its replica went away) closes at once and
 * reconnects before its next call, as a real one would: its answers came on that stream, so calls
 * awaiting them fail now instead of at their timeout, and its EventSource would otherwise
 * reconnect to a new session nobody initialized. A 2025 client does not: its session must go on
 * on another replica (the SDK client reopens its GET stream by itself), so it connects afresh
 * only after a failed call.
 */
function watched(client: Client, end: () => Promise<void>, streamIsSession = false): Connection {
  const connection: Connection = { client, broken: false, end };
  if (streamIsSession) {
    client.onerror = () => {
      connection.broken = true;
      connection.streamLostAt ??= Date.now();
      void client.close().catch(() => undefined);
    };
  }
  client.onclose = () => (connection.broken = true);
  return connection;
}

async function connect(url: string, kind: Kind): Promise<Connection> {
  const fetch = withKey(BENCH_API_KEY);
  if (kind === 'sse') {
    const client = new Client({ name: 'soak', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${url}/sse`), { fetch }));
    return watched(client, () => client.close(), true);
  }
  const client = new Client(
    { name: 'soak', version: '1' },
    kind === 'streamable-2026' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { fetch });
  await client.connect(transport);
  return watched(client, async () => {
    if (kind === 'streamable-2025') await transport.terminateSession().catch(() => undefined);
    await client.close();
  });
}

/** One client: connects, calls a varied mix until told to stop or to reconnect. */
class SoakClient {
  /** A promise, so the loop and a reconnect never open two connections at once. */
  private connection?: Promise<Connection>;
  private running = true;
  private loop?: Promise<void>;
  private n = 0;

  constructor(
    private readonly url: string,
    private readonly kind: Kind,
    private readonly index: number,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private reconnectRequest?: () => void;

  /** Drops the connection between two calls (as a client that goes away would) and reconnects. */
  reconnect(): Promise<void> {
    return new Promise((resolve) => (this.reconnectRequest = resolve));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.connection?.then((c) => c.end()).catch(() => undefined);
  }

  private async ensure(): Promise<Client> {
    this.connection ??= connect(this.url, this.kind).catch((error: unknown) => {
      this.connection = undefined; // the next attempt connects afresh
      throw error;
    });
    return (await this.connection).client;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const current = this.connection && (await this.connection.catch(() => undefined));
      if (current?.broken) {
        // Its stream ended or failed (a replica went away): connect afresh, as a client would.
        this.connection = undefined;
        await current.end().catch(() => undefined);
      }
      if (this.reconnectRequest) {
        const done = this.reconnectRequest;
        this.reconnectRequest = undefined;
        const old = this.connection;
        this.connection = undefined;
        await old?.then((c) => c.end()).catch(() => undefined);
        await this.ensure().catch(() => undefined);
        done();
      }
      const started = performance.now();
      let connection: Connection | undefined;
      try {
        const client = await this.ensure();
        connection = await this.connection;
        await this.callOnce(client);
        stats.calls += 1;
        stats.latencyTotal += performance.now() - started;
      } catch (error) {
        stats.errors += 1;
        const message = (error as Error).message;
        const ended = Date.now();
        const tookMs = performance.now() - started;
        stats.failures.push({
          kind: this.kind,
          started: ended - tookMs,
          ended,
          message,
          streamLostAt: connection?.streamLostAt,
        });
        if (stats.errorSamples.length < 10) stats.errorSamples.push(`${this.kind}: ${message}`);
        // A failed call may mean a lost session or stream: the next call connects afresh.
        void this.connection?.then((c) => (c.broken = true)).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, THINK_MS));
    }
  }

  private async callOnce(client: Client): Promise<void> {
    const city = CITIES[(this.index + this.n++) % CITIES.length];
    switch (this.n % 5) {
      case 0:
        return void (await client.readResource({ uri: `aareguru://today/${city}` }));
      case 1:
        return void (await client.callTool({ name: 'compare_cities', arguments: {} }));
      case 2:
        return void (await client.callTool({
          name: 'get_current_conditions',
          arguments: { city },
        }));
      default: {
        const result = await client.callTool({
          name: 'get_current_temperature',
          arguments: { city },
        });
        if (result.isError) throw new Error('tool answered isError');
      }
    }
  }
}

/** A process the soak measures: its URL, pid, and output (for the inspector's URL). */
interface Measured {
  name: string;
  url: string;
  pid: number;
  output(): string;
}

/** What the clients talk to: one process, or N replicas on Redis behind a round-robin proxy. */
interface Deployment {
  url: string;
  /** The processes running now (a restarted replica's new process included). */
  servers(): Measured[];
  stop(): Promise<void>;
  /** With replicas: the set, its proxy, and how the proxy routes. */
  fleet?: { set: ReplicaSet; proxy: RoundRobinProxy; sessionsShared: boolean; routing: string };
}

const INSPECT = '--inspect=127.0.0.1:0';

async function singleProcess(upstream: string): Promise<Deployment> {
  pinLoadGenerator(1);
  const server = await startServer(
    'soak server',
    // The inspector (loopback, random port) lets the soak run a full GC before it measures.
    [INSPECT, join(__dirname, '..', 'dist', 'main.js')],
    benchServerEnv(upstream),
    0,
  );
  return {
    url: server.url,
    // A server that died shows as errors on every client; measuring just stops.
    servers: () => (server.child.exitCode === null ? [server] : []),
    stop: () => server.stop(),
  };
}

async function replicas(fake: FakeAareguru, upstream: string): Promise<Deployment> {
  await requireRedis(REDIS_URL);
  const plan = corePlan(REPLICAS);
  pinLoadGenerator(plan.loadCpu);
  const set = await ReplicaSet.start({
    count: REPLICAS,
    env: benchServerEnv(upstream),
    fake,
    nodeArgs: [INSPECT],
    cpus: plan.replicaCpus,
    keepLogs: process.env.BENCH_SERVER_LOG && `${process.env.BENCH_SERVER_LOG}.soak`,
  });
  const [first, second] = set.urls();
  const sharing = await sessionsShared(first, second, { 'x-api-key': BENCH_API_KEY });
  // Sessions pinned to the replica that opened them only while the fleet cannot share them.
  const proxy = await set.proxy({ sessionAffinity: !sharing.shared });
  const routing = sharing.shared
    ? `round-robin per request, no stickiness (${sharing.detail})`
    : `2025 and SSE sessions pinned to the replica that opened them, the rest round-robin, because ${sharing.detail}`;
  log(`${REPLICAS} replicas on ${REDIS_URL}; cores: ${plan.description}; ${set.pinning}`);
  log(`routing: ${routing}`);
  return {
    url: proxy.url,
    servers: () =>
      set.replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null),
    stop: () => set.stop(),
    fleet: { set, proxy, sessionsShared: sharing.shared, routing },
  };
}

interface Kill {
  at: number;
  id: string;
  url: string;
  /** What it held when it was killed, from its /health. */
  held: string;
  restartedId?: string;
  readyAfterMs?: number;
}

interface SessionCounts {
  open?: number;
  streamableHttp?: number;
  sse?: number;
}

async function sessionsOf(url: string): Promise<SessionCounts> {
  const health = JSON.parse((await send(`${url}/health`, 'GET', undefined, {})).body) as {
    details?: { sessions?: SessionCounts };
  };
  return health.details?.sessions ?? {};
}

/**
 * Kills the replica holding the most sessions with SIGKILL (so the kill tests as many as it can)
 * and starts it again, on a new port as a new pod would.
 */
async function killAndRestart(set: ReplicaSet): Promise<Kill> {
  const held = await Promise.all(set.replicas.map((r) => sessionsOf(r.url)));
  let index = set.replicas.length - 1;
  held.forEach((h, i) => {
    if ((h.open ?? 0) > (held[index].open ?? 0)) index = i;
  });
  const victim = set.replicas[index];
  const what = held[index];
  const kill: Kill = {
    at: Date.now(),
    id: victim.id,
    url: victim.url,
    held: `${what.streamableHttp ?? '?'} Streamable HTTP and ${what.sse ?? '?'} SSE sessions`,
  };
  log(`killing replica ${victim.id} (SIGKILL), which held ${kill.held}, and starting it again`);
  await set.kill(index, 'SIGKILL');
  const fresh = await set.restart(index);
  kill.restartedId = fresh.id;
  kill.readyAfterMs = Date.now() - kill.at;
  log(`replica ${fresh.id} ready at ${fresh.url}, ${kill.readyAfterMs} ms after the kill`);
  return kill;
}

/**
 * Sorts the failed calls: those in flight on the killed replica (begun before the proxy knew it
 * was dead and ended after the kill, or legacy SSE calls begun before the client saw its stream
 * there fail; at most as many as the requests the proxy lost there), 2025
 * and SSE sessions that lived on it when the fleet cannot share sessions (sticky routing), and
 * everything else, which must be nothing.
 */
/** When a failed call began and ended (and its stream was lost), relative to `origin`. */
function timing(f: Failure, origin: number): string {
  const at = (ms: number) => (ms - origin).toFixed(0);
  const lost = f.streamLostAt === undefined ? '' : `; ${at(f.streamLostAt)}`;
  return `${at(f.started)} → ${at(f.ended)}${lost}`;
}

function sortFailures(deployment: Deployment, kill: Kill | undefined) {
  const none = { inFlight: [] as Failure[], lostSessions: [] as Failure[], lostThere: 0 };
  if (!kill || !deployment.fleet) return { ...none, others: stats.failures };
  const there = deployment.fleet.proxy.stats.get(kill.url);
  const deadAt = Math.max(there?.markedDeadAt ?? kill.at, kill.at);
  const lostThere = (there?.badGateway ?? 0) + (there?.cut ?? 0);
  // A legacy SSE call's answer comes on its stream: one begun before the client saw that stream
  // fail (at or after the kill) was in flight there too, wherever its POST went.
  const inFlight = stats.failures
    .filter(
      (f) =>
        (f.started <= deadAt && f.ended >= kill.at) ||
        (f.streamLostAt !== undefined && f.streamLostAt >= kill.at && f.started <= f.streamLostAt),
    )
    .slice(0, lostThere);
  const rest = stats.failures.filter((f) => !inFlight.includes(f));
  const lostSessions = deployment.fleet.sessionsShared
    ? []
    : rest.filter((f) => f.ended >= kill.at && /\b404\b|session not found/i.test(f.message));
  const others = rest.filter((f) => !lostSessions.includes(f));
  return { inFlight, lostSessions, others, lostThere, there };
}

async function main(): Promise<number> {
  const fake = new FakeAareguru();
  const upstream = await fake.start();
  const deployment = REPLICAS > 1 ? await replicas(fake, upstream) : await singleProcess(upstream);
  const kinds: Kind[] = ['streamable-2025', 'streamable-2026', 'sse'];
  const clients = Array.from(
    { length: CLIENTS },
    (_, i) => new SoakClient(deployment.url, kinds[i % 3], i),
  );
  const totalMs = MINUTES * 60_000;
  const started = Date.now();
  // The highest RSS seen of each process, by name.
  const rss = new Map<string, number>();
  const sampler = setInterval(
    () => {
      for (const server of deployment.servers()) {
        const bytes = rssBytes(server.pid);
        if (Number.isFinite(bytes))
          rss.set(server.name, Math.max(rss.get(server.name) ?? 0, bytes));
      }
    },
    Math.max(1000, Math.min(10_000, totalMs / 60)),
  );

  log(`${CLIENTS} clients for ${MINUTES} min against ${deployment.url}`);
  clients.forEach((c) => c.start());
  const at = (fraction: number) =>
    new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, started + totalMs * fraction - Date.now())),
    );

  await at(0.25);
  const heapWarm = await liveHeaps(deployment.servers());
  log(`live heap after a full GC, every client connected: ${showHeaps(heapWarm)}`);

  await at(0.4);
  log('reconnection storm: every client drops and reconnects');
  await Promise.all(clients.map((c) => c.reconnect()));

  // The replica starts again while the run goes on (a slow start must not shift the phases).
  let killing: Promise<Kill> | undefined;
  if (deployment.fleet) {
    await at(0.5);
    killing = killAndRestart(deployment.fleet.set);
    killing.catch(() => undefined);
  }

  await at(0.6);
  log('slow upstream: 800 ms per answer, cache emptied');
  fake.inject({ fault: { kind: 'slow', delayMs: 800 } });
  for (const server of deployment.servers()) {
    await post(`${server.url}/admin/cache/invalidate`, {}, { 'x-api-key': BENCH_ADMIN_KEY });
  }
  await at(0.7);
  fake.clearFaults();
  log('upstream back to normal');

  await at(1);
  const kill = await killing;
  clearInterval(sampler);
  await Promise.all(clients.map((c) => c.stop()));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  let sessionsAfter = 0;
  for (const server of deployment.servers()) {
    sessionsAfter += (await sessionsOf(server.url)).open ?? NaN;
  }
  const heapEnd = await liveHeaps(deployment.servers());
  log(`live heap after a full GC, every client gone: ${showHeaps(heapEnd)}`);
  const sorted = sortFailures(deployment, kill);
  await deployment.stop();
  await fake.stop();
  agent.destroy();

  // Live heap once every client has gone, against a quarter into the run with every client in:
  // what the run's calls, sessions and storm left behind; for each process that ran throughout.
  const growth = [...heapWarm.keys()]
    .filter((name) => heapEnd.has(name))
    .map((name) => ({
      name,
      warm: heapWarm.get(name)!,
      end: heapEnd.get(name)!,
      mb: (heapEnd.get(name)! - heapWarm.get(name)!) / 2 ** 20,
    }));
  // A missing reading (NaN) must fail the check, not slip through a comparison that is false.
  const heapMeasured =
    growth.length > 0 && growth.every((g) => Number.isFinite(g.warm) && Number.isFinite(g.end));
  const maxRssMb = Math.max(...rss.values()) / 2 ** 20;
  const averageMs = stats.latencyTotal / Math.max(1, stats.calls);
  const total = stats.calls + stats.errors;
  const fleet = deployment.fleet;
  const checks: { name: string; ok: boolean; value: string; timing?: boolean; info?: boolean }[] = [
    {
      name: fleet ? 'RSS below 500 MB (each replica)' : 'RSS below 500 MB',
      ok: maxRssMb < 500,
      value: fleet
        ? [...rss].map(([name, bytes]) => `${name} ${(bytes / 2 ** 20).toFixed(0)} MB`).join(', ') +
          ' (max each)'
        : `${maxRssMb.toFixed(0)} MB max`,
      timing: true,
    },
    {
      name: 'average latency below 500 ms',
      ok: averageMs < 500,
      value: `${averageMs.toFixed(1)} ms`,
      timing: true,
    },
    fleet
      ? {
          name: 'zero errors apart from calls in flight on the killed replica',
          ok: sorted.others.length === 0,
          value: `${sorted.others.length} of ${total}`,
        }
      : { name: 'zero errors', ok: stats.errors === 0, value: `${stats.errors} of ${total}` },
    ...(fleet && kill
      ? [
          {
            name: `calls in flight on the killed replica ${kill.id}, which held ${kill.held} (allowed to fail)`,
            ok: true,
            info: true,
            value:
              `${sorted.inFlight.length} failed; the proxy answered 502 to ` +
              `${sorted.there?.badGateway ?? 0} requests and cut ${sorted.there?.cut ?? 0} ` +
              `responses there; ${kill.restartedId} was ready ${kill.readyAfterMs} ms after the kill`,
          },
        ]
      : []),
    ...(fleet && !fleet.sessionsShared
      ? [
          {
            name: 'calls on sessions lost with the killed replica (sticky routing: this build does not share sessions)',
            ok: true,
            info: true,
            value: `${sorted.lostSessions.length}`,
          },
        ]
      : []),
    { name: 'sessions back to zero', ok: sessionsAfter === 0, value: `${sessionsAfter} open` },
    {
      name: `no heap growth (live heap at the end < ${HEAP_GROWTH_LIMIT_MB} MB above a quarter in${fleet ? ', each replica that ran throughout' : ''})`,
      ok: heapMeasured && growth.every((g) => g.mb < HEAP_GROWTH_LIMIT_MB),
      value: heapMeasured
        ? growth.map((g) => `${fleet ? `${g.name} ` : ''}${g.mb.toFixed(1)} MB`).join(', ')
        : `not measured: /metrics had no nodejs_heap_size_used_bytes (a quarter in: ${showHeaps(heapWarm)}, at the end: ${showHeaps(heapEnd)})`,
    },
  ];
  const judged = checks.filter((c) => !c.info && !(STABLE_CHECKS_ONLY && c.timing));
  const samples = (fleet ? sorted.others : stats.failures).slice(0, 10);
  process.stdout.write(
    [
      `Soak: ${CLIENTS} clients, ${MINUTES} min, ${stats.calls} calls` +
        (fleet
          ? `, ${REPLICAS} replicas on Redis behind a round-robin proxy, the one holding the most sessions killed (SIGKILL) and restarted halfway`
          : ''),
      ...(fleet ? [`Routing: ${fleet.routing}`] : []),
      ...checks.map(
        (c) => `${judged.includes(c) ? (c.ok ? 'PASS' : 'FAIL') : 'INFO'}  ${c.name}: ${c.value}`,
      ),
      ...(samples.length
        ? [
            kill ? 'Errors, ms after the kill (begun → ended; stream lost):' : 'Errors:',
            ...samples.map(
              (f) => `${f.kind}: ${f.message}${kill ? ` (${timing(f, kill.at)})` : ''}`,
            ),
          ]
        : []),
      ...(kill && sorted.inFlight.length + sorted.lostSessions.length
        ? [
            'Allowed failures, ms after the kill (begun → ended):',
            ...[...sorted.inFlight, ...sorted.lostSessions]
              .slice(0, 20)
              .map(
                (f) =>
                  `${sorted.inFlight.includes(f) ? 'in flight' : 'lost session'} ${f.kind} ` +
                  `${(f.started - kill.at).toFixed(0)} → ${(f.ended - kill.at).toFixed(0)}: ${f.message.slice(0, 120)}`,
              ),
          ]
        : []),
      `${judged.filter((c) => c.ok).length} passed, ${judged.filter((c) => !c.ok).length} failed`,
      '',
    ].join('\n'),
  );
  return judged.every((c) => c.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Each server's live heap, by name: a full GC, then the heap as /metrics reports it. */
async function liveHeaps(servers: Measured[]): Promise<Map<string, number>> {
  const heaps = new Map<string, number>();
  for (const server of servers) {
    await collectGarbage(server);
    heaps.set(server.name, await metric(server.url, 'nodejs_heap_size_used_bytes'));
  }
  return heaps;
}

const showHeaps = (heaps: Map<string, number>) =>
  heaps.size === 1
    ? mb([...heaps.values()][0])
    : [...heaps].map(([name, bytes]) => `${name} ${mb(bytes)}`).join(', ');
