/**
 * npm run soak -- --clients 50 --minutes 30: the design's load target. Mixed traffic over every
 * transport against the production build, with a reconnection storm and a slow-upstream phase.
 * Exits non-zero when a target is missed: RSS < 500 MB, average latency < 500 ms, zero errors,
 * sessions back to zero after the clients leave, no heap growth (live heap after a full GC).
 */
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeAareguru } from '../test/fake-upstream/fake-aareguru';
import { metric, option } from './lib/cli';
import { BENCH_ADMIN_KEY, BENCH_API_KEY, benchServerEnv } from './lib/our-server';
import { collectGarbage, pinLoadGenerator, rssBytes, startServer, Started } from './lib/processes';
import { agent, post, send } from './lib/raw-sessions';

const CLIENTS = Number(option('clients', '50'));
const MINUTES = Number(option('minutes', '30'));
const THINK_MS = Number(option('think', '100'));
const HEAP_GROWTH_LIMIT_MB = Number(option('heap-growth-mb', '30'));
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
}

const stats: Stats = { calls: 0, errors: 0, latencyTotal: 0, errorSamples: [] };

function withKey(apiKey: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('X-API-Key', apiKey);
    return fetch(input, { ...init, headers });
  };
}

async function connect(url: string, kind: Kind): Promise<{ client: Client; end(): Promise<void> }> {
  const fetch = withKey(BENCH_API_KEY);
  if (kind === 'sse') {
    const client = new Client({ name: 'soak', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${url}/sse`), { fetch }));
    return { client, end: () => client.close() };
  }
  const client = new Client(
    { name: 'soak', version: '1' },
    kind === 'streamable-2026' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { fetch });
  await client.connect(transport);
  return {
    client,
    end: async () => {
      if (kind === 'streamable-2025') await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** One client: connects, calls a varied mix until told to stop or to reconnect. */
class SoakClient {
  /** A promise, so the loop and a reconnect never open two connections at once. */
  private connection?: Promise<{ client: Client; end(): Promise<void> }>;
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
      try {
        const client = await this.ensure();
        await this.callOnce(client);
        stats.calls += 1;
        stats.latencyTotal += performance.now() - started;
      } catch (error) {
        stats.errors += 1;
        if (stats.errorSamples.length < 10)
          stats.errorSamples.push(`${this.kind}: ${(error as Error).message}`);
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

async function main(): Promise<number> {
  pinLoadGenerator(1);
  const fake = new FakeAareguru();
  const upstream = await fake.start();
  const server = await startServer(
    'soak server',
    [
      // The inspector (loopback, random port) lets the soak run a full GC before it measures.
      '--inspect=127.0.0.1:0',
      join(__dirname, '..', 'dist', 'main.js'),
    ],
    benchServerEnv(upstream),
    0,
  );
  const kinds: Kind[] = ['streamable-2025', 'streamable-2026', 'sse'];
  const clients = Array.from(
    { length: CLIENTS },
    (_, i) => new SoakClient(server.url, kinds[i % 3], i),
  );
  const totalMs = MINUTES * 60_000;
  const started = Date.now();
  const rss: number[] = [];
  const sampler = setInterval(
    () => {
      // A server that died shows as errors on every client; the sampler just stops.
      if (server.child.exitCode === null) rss.push(rssBytes(server.pid));
    },
    Math.max(1000, Math.min(10_000, totalMs / 60)),
  );

  log(`${CLIENTS} clients for ${MINUTES} min against ${server.url}`);
  clients.forEach((c) => c.start());
  const at = (fraction: number) =>
    new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, started + totalMs * fraction - Date.now())),
    );

  await at(0.25);
  const heapWarm = await liveHeapBytes(server);
  log(`live heap after a full GC, every client connected: ${mb(heapWarm)}`);

  await at(0.4);
  log('reconnection storm: every client drops and reconnects');
  await Promise.all(clients.map((c) => c.reconnect()));

  await at(0.6);
  log('slow upstream: 800 ms per answer, cache emptied');
  fake.inject({ fault: { kind: 'slow', delayMs: 800 } });
  await post(`${server.url}/admin/cache/invalidate`, {}, { 'x-api-key': BENCH_ADMIN_KEY });
  await at(0.7);
  fake.clearFaults();
  log('upstream back to normal');

  await at(1);
  clearInterval(sampler);
  await Promise.all(clients.map((c) => c.stop()));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const health = JSON.parse((await send(`${server.url}/health`, 'GET', undefined, {})).body) as {
    details?: { sessions?: { open?: number } };
  };
  const sessionsAfter = health.details?.sessions?.open ?? NaN;
  const heapEnd = await liveHeapBytes(server);
  log(`live heap after a full GC, every client gone: ${mb(heapEnd)}`);
  await server.stop();
  await fake.stop();
  agent.destroy();

  // Live heap once every client has gone, against a quarter into the run with every client in:
  // what the run's calls, sessions and storm left behind.
  const growthMb = (heapEnd - heapWarm) / 2 ** 20;
  // A missing reading (NaN) must fail the check, not slip through a comparison that is false.
  const heapMeasured = Number.isFinite(heapWarm) && Number.isFinite(heapEnd);
  const maxRssMb = Math.max(...rss) / 2 ** 20;
  const averageMs = stats.latencyTotal / Math.max(1, stats.calls);
  const checks: { name: string; ok: boolean; value: string; timing?: boolean }[] = [
    {
      name: 'RSS below 500 MB',
      ok: maxRssMb < 500,
      value: `${maxRssMb.toFixed(0)} MB max`,
      timing: true,
    },
    {
      name: 'average latency below 500 ms',
      ok: averageMs < 500,
      value: `${averageMs.toFixed(1)} ms`,
      timing: true,
    },
    {
      name: 'zero errors',
      ok: stats.errors === 0,
      value: `${stats.errors} of ${stats.calls + stats.errors}`,
    },
    { name: 'sessions back to zero', ok: sessionsAfter === 0, value: `${sessionsAfter} open` },
    {
      name: `no heap growth (live heap at the end < ${HEAP_GROWTH_LIMIT_MB} MB above a quarter in)`,
      ok: heapMeasured && growthMb < HEAP_GROWTH_LIMIT_MB,
      value: heapMeasured
        ? `${growthMb.toFixed(1)} MB`
        : `not measured: /metrics had no nodejs_heap_size_used_bytes (a quarter in: ${mb(heapWarm)}, at the end: ${mb(heapEnd)})`,
    },
  ];
  const judged = checks.filter((c) => !(STABLE_CHECKS_ONLY && c.timing));
  process.stdout.write(
    [
      `Soak: ${CLIENTS} clients, ${MINUTES} min, ${stats.calls} calls`,
      ...checks.map(
        (c) => `${judged.includes(c) ? (c.ok ? 'PASS' : 'FAIL') : 'INFO'}  ${c.name}: ${c.value}`,
      ),
      ...(stats.errorSamples.length ? ['Errors:', ...stats.errorSamples] : []),
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

/** The server's live heap: a full GC, then the heap as /metrics reports it. */
async function liveHeapBytes(server: Started): Promise<number> {
  await collectGarbage(server);
  return metric(server.url, 'nodejs_heap_size_used_bytes');
}
