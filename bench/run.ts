/**
 * npm run bench — how fast and how lean the server is, next to the platform's ceiling (raw
 * node:http) and a plain SDK server, measured side by side in one run. See bench/README.md.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeAareguru } from '../test/fake-upstream/fake-aareguru';
import { metric, metricTotal, option } from './lib/cli';
import { baselineCheckout, BenchUsageError, Baseline, revision } from './lib/baseline';
import { captureModernRequest, LoadResult, replayLoad, statefulLoad } from './lib/load';
import { replicaBench, replicaSettings } from './lib/replica-bench';
import {
  BENCH_ADMIN_KEY,
  BENCH_API_KEY,
  benchServerEnv,
  CACHED_CALL,
  cachedCallResult,
} from './lib/our-server';
import {
  collectGarbage,
  openFileLimit,
  pinLoadGenerator,
  rssBytes,
  startServer,
  Started,
} from './lib/processes';
import {
  agent,
  closedLoop,
  openGetStream,
  openStreamableSession,
  post,
  RoundTrips,
  send,
  SseSession,
} from './lib/raw-sessions';
import { fmt, fmtSpread, percentile, spread, Spread } from './lib/stats';

const ROUNDS = Number(option('rounds', '3'));
const SECONDS = Number(option('seconds', '10'));
const WARMUP = Number(option('warmup', '15'));
const CONNECTIONS = Number(option('connections', '50'));
const IDLE_SESSIONS = option('sessions', '1000,5000,10000').split(',').map(Number);
const PARTS = new Set(option('only', 'calls,other,handshakes,upstream,idle,cold').split(','));
const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const AUTH = { 'x-api-key': BENCH_API_KEY };
const CALL = CACHED_CALL;
const OUR_ENV = benchServerEnv;

/** Our server and, with `--baseline`, the older build it is compared with, started alike. */
interface OurBuilds {
  ours: Started;
  baseline?: Started;
}

type Contender = (seconds: number) => Promise<LoadResult>;

interface Row {
  scenario: string;
  ours: string;
  baseline?: string;
  sdk?: string;
  raw?: string;
  ratio?: string;
}

const rows: Row[] = [];
const json: Record<string, unknown> = {};
const t0 = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${message}\n`);

async function main(): Promise<void> {
  if (process.argv.includes('--replicas')) return replicaBench(replicaSettings(ROOT, MAIN));
  const checkout = process.argv.includes('--baseline')
    ? baselineCheckout(option('baseline', ''), ROOT)
    : undefined;
  if (checkout?.staleBuild) log(`baseline: ${checkout.staleBuild}`);
  pinLoadGenerator(1);
  const fake = new FakeAareguru();
  const upstream = await fake.start();
  const resultFile = join(mkdtempSync(join(tmpdir(), 'bench-')), 'result.json');
  // Every server started so far, stopped at the end even when a later one fails to start.
  const running: Started[] = [];
  const start = async (...args: Parameters<typeof startServer>) => {
    const server = await startServer(...args);
    running.push(server);
    return server;
  };

  try {
    const ours = await start('ours', [MAIN], OUR_ENV(upstream), 0, ROOT);
    const ourResult = await cachedCallResult(ours.url);
    writeFileSync(resultFile, JSON.stringify(ourResult));
    // The same configuration, upstream and core as ours: only the code differs.
    const baseline =
      checkout && (await start('baseline', [checkout.main], OUR_ENV(upstream), 0, checkout.dir));
    if (baseline && comparable(await cachedCallResult(baseline.url)) !== comparable(ourResult)) {
      log('baseline: its cached-call result differs from ours, so the two answer different bytes');
    }
    const builds: OurBuilds = { ours, baseline };
    const sdk = await start(
      'plain SDK',
      [join(__dirname, 'servers', 'plain-sdk.mjs')],
      { RESULT_FILE: resultFile },
      0,
    );
    const raw = await start(
      'raw node:http',
      [join(__dirname, 'servers', 'raw-http.mjs')],
      { RESULT_FILE: resultFile },
      0,
    );

    if (PARTS.has('calls')) await cachedToolCalls(builds, sdk, raw);
    if (PARTS.has('other')) await otherCalls(builds);
    if (PARTS.has('handshakes')) await handshakes(builds, sdk);
    // The baseline shares the fake upstream, whose request count comes next.
    await baseline?.stop();
    if (PARTS.has('upstream')) await upstreamEconomy(ours, fake);
    await ours.stop();
    await sdk.stop();
    if (PARTS.has('idle')) await idleSessions(upstream, resultFile);
    if (PARTS.has('cold')) await coldStart(upstream);
  } finally {
    await Promise.allSettled(running.map((server) => server.stop()));
    await fake.stop();
    agent.destroy();
  }
  report(checkout);
}

/** A result as JSON without when its data was fetched, which differs between any two servers. */
const comparable = (result: unknown) =>
  JSON.stringify(result, (key, value: unknown) =>
    key === 'fetchedAt' || key === 'ageSeconds' ? undefined : value,
  );

const perSecond = (r: LoadResult) => r.callsPerSecond;

/**
 * Warms each contender up for `warmup` seconds (none when 0), then runs them for --seconds each
 * in alternating order for several rounds.
 */
async function rounds(contenders: Record<string, Contender>, warmup: number) {
  const names = Object.keys(contenders);
  if (warmup > 0) for (const name of names) await contenders[name](warmup);
  const results: Record<string, LoadResult[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(await contenders[name](SECONDS));
  }
  return results;
}

/** The same load on our server and, with --baseline, on the baseline build. */
function oursAndBaseline(
  builds: OurBuilds,
  load: (server: Started) => Contender,
): Record<string, Contender> {
  const contenders: Record<string, Contender> = { ours: load(builds.ours) };
  if (builds.baseline) contenders.baseline = load(builds.baseline);
  return contenders;
}

function describe(results: LoadResult[]): {
  rate: Spread;
  p50: Spread;
  p99: Spread;
  errors: number;
} {
  return {
    rate: spread(results.map(perSecond)),
    p50: spread(results.map((r) => r.p50)),
    p99: spread(results.map((r) => r.p99)),
    errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
  };
}

type Described = ReturnType<typeof describe>;

const cell = (d: Described) =>
  `${fmtSpread(d.rate)} calls/s, p50 ${fmt(d.p50.median)} ms, p99 ${fmt(d.p99.median)} ms${d.errors ? `, ${d.errors} errors` : ''}`;

/** Our figures and, with --baseline, the baseline's and the ratio of the median rates. */
function versusBaseline(results: Record<string, LoadResult[]>): {
  ours: Described;
  baseline?: Described;
  oursPerBaseline?: number;
} {
  const ours = describe(results.ours);
  if (!results.baseline) return { ours };
  const baseline = describe(results.baseline);
  return { ours, baseline, oursPerBaseline: ours.rate.median / baseline.rate.median };
}

const baselineRatio = (oursPerBaseline: number | undefined) =>
  oursPerBaseline === undefined ? undefined : `${fmt(oursPerBaseline, 2)}× baseline`;

/** A scenario only our builds run: our figures alone, or both builds' and their ratio. */
function buildsRow(scenario: string, key: string, results: Record<string, LoadResult[]>): void {
  const { ours, baseline, oursPerBaseline } = versusBaseline(results);
  json[key] = baseline ? { ours, baseline, oursPerBaseline } : ours;
  rows.push({
    scenario,
    ours: cell(ours),
    baseline: baseline && cell(baseline),
    ratio: baselineRatio(oursPerBaseline),
  });
}

async function cachedToolCalls(builds: OurBuilds, sdk: Started, raw: Started) {
  log(
    `cached tools/call: ${CONNECTIONS} sessions, ${ROUNDS} rounds × ${SECONDS} s, warm-up ${WARMUP} s`,
  );
  const rawRequest = {
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...CALL }),
  };
  const results = await rounds(
    {
      ...oursAndBaseline(
        builds,
        (server) => (seconds) =>
          statefulLoad(server.url, CALL, { connections: CONNECTIONS, seconds, headers: AUTH }),
      ),
      sdk: (seconds) => statefulLoad(sdk.url, CALL, { connections: CONNECTIONS, seconds }),
      raw: (seconds) => replayLoad(raw.url, rawRequest, { connections: CONNECTIONS, seconds }),
    },
    WARMUP,
  );
  const { ours: o, baseline: b, oursPerBaseline } = versusBaseline(results);
  const [s, r] = [describe(results.sdk), describe(results.raw)];
  json.cachedToolCall = { ours: o, sdk: s, raw: r, ...(b && { baseline: b, oursPerBaseline }) };
  rows.push({
    scenario: `Cached tools/call, Streamable HTTP 2025 (stateful), ${CONNECTIONS} sessions`,
    ours: cell(o),
    baseline: b && cell(b),
    sdk: cell(s),
    raw: cell(r),
    ratio: [
      baselineRatio(oursPerBaseline),
      `${fmt(o.rate.median / s.rate.median, 2)}× SDK`,
      `${fmt(o.rate.median / r.rate.median, 2)}× raw`,
    ]
      .filter(Boolean)
      .join(', '),
  });
}

async function otherCalls(builds: OurBuilds) {
  log('2026-07-28 stateless tools/call');
  // Captured once and replayed to both builds: the same bytes from the same client.
  const modern = await captureModernRequest(
    builds.ours.url,
    { name: 'get_current_temperature', arguments: { city: 'bern' } },
    AUTH,
  );
  buildsRow(
    `Cached tools/call, 2026-07-28 stateless, ${CONNECTIONS} connections`,
    'statelessToolCall',
    await rounds(
      oursAndBaseline(
        builds,
        (server) => (seconds) =>
          replayLoad(`${server.url}/mcp`, modern, { connections: CONNECTIONS, seconds }),
      ),
      WARMUP,
    ),
  );

  log('legacy SSE tools/call round trips');
  const sseSessions = new Map<Started, SseSession[]>();
  for (const server of [builds.ours, builds.baseline].filter((s) => s !== undefined)) {
    sseSessions.set(
      server,
      await Promise.all(
        Array.from({ length: CONNECTIONS }, () => SseSession.open(server.url, AUTH)),
      ),
    );
  }
  const sse = await rounds(
    oursAndBaseline(builds, (server) => {
      const sessions = sseSessions.get(server)!;
      return (seconds) =>
        closedLoop(CONNECTIONS, seconds, (i) =>
          sessions[i].request('tools/call', CALL.params),
        ).then(asLoad);
    }),
    WARMUP,
  );
  for (const sessions of sseSessions.values()) sessions.forEach((s) => s.close());
  buildsRow(`Cached tools/call, legacy SSE, ${CONNECTIONS} sessions`, 'sseToolCall', sse);

  for (const [label, call] of [
    ['tools/list', { method: 'tools/list' }],
    [
      'resources/read aareguru://current/bern',
      { method: 'resources/read', params: { uri: 'aareguru://current/bern' } },
    ],
    [
      'compare_cities (fan-out, all cities)',
      { method: 'tools/call', params: { name: 'compare_cities', arguments: {} } },
    ],
  ] as const) {
    log(label);
    const results = await rounds(
      oursAndBaseline(
        builds,
        (server) => (seconds) =>
          statefulLoad(server.url, call, { connections: CONNECTIONS, seconds, headers: AUTH }),
      ),
      0,
    );
    buildsRow(`${label}, ${CONNECTIONS} sessions`, label, results);
  }
}

async function handshakes(builds: OurBuilds, sdk: Started) {
  log('session handshakes (initialize + initialized + DELETE)');
  const handshake = (url: string, headers: Record<string, string>) => async () => {
    const id = await openStreamableSession(url, headers);
    await send(`${url}/mcp`, 'DELETE', undefined, { ...headers, 'mcp-session-id': id });
  };
  const workers = 10;
  const results = await rounds(
    {
      ...oursAndBaseline(
        builds,
        (server) => (seconds) =>
          closedLoop(workers, seconds, handshake(server.url, AUTH)).then(asLoad),
      ),
      sdk: (seconds) => closedLoop(workers, seconds, handshake(sdk.url, {})).then(asLoad),
    },
    SECONDS,
  );
  const { ours: o, baseline: b, oursPerBaseline } = versusBaseline(results);
  const s = describe(results.sdk);
  json.handshakes = { ours: o, sdk: s, ...(b && { baseline: b, oursPerBaseline }) };
  const hs = (d: Described) => `${fmtSpread(d.rate)} /s, p99 ${fmt(d.p99.median)} ms`;
  rows.push({
    scenario: `Session handshakes, ${workers} concurrent`,
    ours: hs(o),
    baseline: b && hs(b),
    sdk: hs(s),
    ratio: [baselineRatio(oursPerBaseline), `${fmt(o.rate.median / s.rate.median, 2)}× SDK`]
      .filter(Boolean)
      .join(', '),
  });
}

const asLoad = (r: RoundTrips): LoadResult => ({ ...r, errors: 0, non2xx: 0 });

async function upstreamEconomy(ours: Started, fake: FakeAareguru) {
  log('upstream requests per 1,000 tool calls');
  const cities = ['brienz', 'interlaken', 'thun', 'bern', 'hagneck', 'biel', 'olten', 'brugg'];
  const sessions = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => openStreamableSession(ours.url, AUTH)),
  );
  let n = 0;
  const thousand = () =>
    closedLoopCount(1000, CONNECTIONS, async (w) => {
      const city = cities[n++ % cities.length];
      await post(
        `${ours.url}/mcp`,
        {
          jsonrpc: '2.0',
          id: n,
          method: 'tools/call',
          params: { name: 'get_current_conditions', arguments: { city } },
        },
        { ...AUTH, 'mcp-session-id': sessions[w], 'mcp-protocol-version': '2025-11-25' },
      );
    });
  await thousand(); // everything cached
  fake.reset();
  await thousand();
  const steady = fake.requests.length;
  await post(`${ours.url}/admin/cache/invalidate`, {}, { 'x-api-key': BENCH_ADMIN_KEY });
  fake.reset();
  await thousand();
  const cold = fake.requests.length;
  const pairs = new Set(fake.requests.map((r) => `${r.path}?${r.query.city ?? ''}`)).size;
  json.upstreamPer1000 = { steady, cold, distinctEndpointCityPairs: pairs };
  rows.push({
    scenario: '1,000 get_current_conditions calls over 8 cities, 50 at a time: upstream requests',
    ours: `${steady} at steady state, ${cold} from a cold cache (${pairs} distinct endpoint+city pairs)`,
  });
}

/** Runs `total` calls with `workers` in parallel. */
async function closedLoopCount(
  total: number,
  workers: number,
  once: (worker: number) => Promise<void>,
) {
  let started = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (started < total) {
        started += 1;
        await once(w);
      }
    }),
  );
}

interface IdleEntry {
  count: number;
  kind: string;
  rssMb: number;
  rssPerSessionKb: number;
  heapPerSessionKb: number;
  probeP50: number;
  probeP99: number;
  /** Ours, just after opening, before the sessions hibernated. */
  awakeRssMb: number;
  awakeRssPerSessionKb: number;
  awakeHeapPerSessionKb: number;
}
const idleEntries: IdleEntry[] = [];

async function idleSessions(upstream: string, resultFile: string) {
  // The npm script raises the limit to the hard limit; below this, sockets would run out.
  const needed = Math.max(...IDLE_SESSIONS) + 1000;
  if (openFileLimit() < needed) {
    throw new Error(
      `the open-file limit is ${openFileLimit()}; ${needed} are needed: raise it (ulimit -n) or lower --sessions`,
    );
  }
  for (const count of IDLE_SESSIONS) {
    for (const kind of ['streamable', 'sse', 'sdk'] as const) {
      log(`${count} idle sessions (${kind})`);
      // Memory is measured after a full GC (through the inspector), for every server alike.
      const inspect = '--inspect=127.0.0.1:0';
      const server =
        kind === 'sdk'
          ? await startServer(
              'plain SDK',
              [inspect, join(__dirname, 'servers', 'plain-sdk.mjs')],
              { RESULT_FILE: resultFile },
              0,
            )
          : await startServer('ours', [inspect, MAIN], OUR_ENV(upstream), 0);
      const headers = kind === 'sdk' ? {} : AUTH;
      try {
        if (kind !== 'sdk') await cachedCallResult(server.url); // warm the cache and the code
        log(`  ${kind}: server up`);
        await collectGarbage(server);
        const rssBefore = rssBytes(server.pid);
        const heapBefore =
          kind === 'sdk' ? NaN : await metric(server.url, 'nodejs_heap_size_used_bytes');
        const closers: (() => void)[] = [];
        const opening = 100;
        for (let i = 0; i < count; i += opening) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(opening, count - i) }, async () => {
              if (kind === 'sse') {
                const session = await SseSession.open(server.url, headers);
                return () => session.close();
              }
              const id = await openStreamableSession(server.url, headers);
              const stream = await openGetStream(server.url, id, headers);
              return () => stream.close();
            }),
          );
          closers.push(...batch);
        }
        log(`  ${kind}: ${closers.length} open`);
        await collectGarbage(server);
        let awake: { rss: number; heap: number } | undefined;
        if (kind !== 'sdk') {
          // Ours: the figures just after opening, then once every session has gone to sleep.
          awake = {
            rss: rssBytes(server.pid),
            heap: await metric(server.url, 'nodejs_heap_size_used_bytes'),
          };
          await hibernated(server.url, count);
          log(`  ${kind}: all hibernating`);
          await collectGarbage(server);
        }
        const rssAfter = rssBytes(server.pid);
        const heapAfter =
          kind === 'sdk' ? NaN : await metric(server.url, 'nodejs_heap_size_used_bytes');
        const probeSession = await openStreamableSession(server.url, headers);
        const probe: number[] = [];
        for (let i = 0; i < 200; i += 1) {
          const started = performance.now();
          await post(
            `${server.url}/mcp`,
            { jsonrpc: '2.0', id: i + 1, ...CALL },
            { ...headers, 'mcp-session-id': probeSession, 'mcp-protocol-version': '2025-11-25' },
          );
          probe.push(performance.now() - started);
        }
        probe.sort((a, b) => a - b);
        const entry = {
          count,
          kind,
          rssMb: rssAfter / 2 ** 20,
          rssPerSessionKb: (rssAfter - rssBefore) / count / 1024,
          heapPerSessionKb: (heapAfter - heapBefore) / count / 1024,
          probeP50: percentile(probe, 50),
          probeP99: percentile(probe, 99),
          awakeRssMb: awake ? awake.rss / 2 ** 20 : NaN,
          awakeRssPerSessionKb: awake ? (awake.rss - rssBefore) / count / 1024 : NaN,
          awakeHeapPerSessionKb: awake ? (awake.heap - heapBefore) / count / 1024 : NaN,
        };
        idleEntries.push(entry);
        closers.forEach((close) => close());
      } finally {
        await server.stop();
      }
    }
  }
  json.idleSessions = idleEntries;
  const entries = idleEntries;
  for (const count of IDLE_SESSIONS) {
    const of = (kind: string) => entries.find((e) => e.count === count && e.kind === kind)!;
    const show = (e: IdleEntry) =>
      `RSS ${fmt(e.rssMb)} MB, ${fmt(e.rssPerSessionKb, 1)} KB/session` +
      (Number.isFinite(e.heapPerSessionKb) ? ` (heap ${fmt(e.heapPerSessionKb, 1)} KB)` : '') +
      `, probe p99 ${fmt(e.probeP99, 1)} ms` +
      (Number.isFinite(e.awakeRssMb)
        ? `; just opened, before hibernating: RSS ${fmt(e.awakeRssMb)} MB, ` +
          `${fmt(e.awakeRssPerSessionKb, 1)} KB/session (heap ${fmt(e.awakeHeapPerSessionKb, 1)} KB)`
        : '');
    rows.push({
      scenario: `${count} idle sessions, Streamable HTTP with a GET stream each`,
      ours: show(of('streamable')),
      sdk: show(of('sdk')),
      ratio: `${fmt(of('streamable').rssPerSessionKb / of('sdk').rssPerSessionKb, 2)}× SDK memory/session`,
    });
    rows.push({ scenario: `${count} idle sessions, legacy SSE streams`, ours: show(of('sse')) });
  }
}

/** Waits until the server reports this many sessions hibernated. */
async function hibernated(url: string, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await metricTotal(url, 'mcp_sessions_hibernated_total')) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} sessions hibernated in 2 min`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function coldStart(upstream: string) {
  log('cold start to /health/ready');
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    // A known port, polled from the start: the log line naming the port may come later.
    const port = await freePort();
    const started = performance.now();
    const starting = startServer('ours', [MAIN], { ...OUR_ENV(upstream), PORT: String(port) }, 0);
    const ready = `http://127.0.0.1:${port}/health/ready`;
    while ((await send(ready, 'GET', undefined, {}).catch(() => ({ status: 0 }))).status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    times.push(performance.now() - started);
    await (await starting).stop();
  }
  json.coldStartMs = spread(times);
  rows.push({
    scenario: 'Cold start: process start → /health/ready 200',
    ours: `${fmtSpread(spread(times))} ms`,
  });
}

function report(checkout: Baseline | undefined) {
  const columns = [
    'aareguru-mcp',
    ...(checkout ? [`baseline ${checkout.revision}`] : []),
    'plain SDK',
    'raw node:http',
  ];
  const header = [
    `| Scenario | ${columns.join(' | ')} | Ratio |`,
    `| --- | ${columns.map(() => '---').join(' | ')} | --- |`,
  ].join('\n');
  const lines = rows.map((r) => {
    const cells = [r.ours, ...(checkout ? [r.baseline] : []), r.sdk, r.raw, r.ratio];
    return `| ${r.scenario} | ${cells.map((c) => c ?? '').join(' | ')} |`;
  });
  const builds = checkout && {
    ours: { dir: ROOT, revision: revision(ROOT) },
    baseline: { dir: checkout.dir, revision: checkout.revision },
  };
  const meta = [
    `Node ${process.version}, ${ROUNDS} rounds × ${SECONDS} s after ${WARMUP} s warm-up, medians with (min–max); servers pinned to core 0, load generator to core 1.`,
    ...(builds
      ? [
          `Ours: ${builds.ours.dir} at ${builds.ours.revision}; baseline: ${builds.baseline.dir} at ${builds.baseline.revision}.`,
        ]
      : []),
  ].join(' ');
  const markdown = [
    `# Benchmark ${new Date().toISOString()}`,
    '',
    meta,
    '',
    header,
    ...lines,
    '',
  ].join('\n');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.md`), markdown);
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ meta, builds, ...json }, null, 2));
  writeFileSync(join(dir, 'latest.md'), markdown);
  process.stdout.write(`${markdown}\n`);
}

main().catch((error: unknown) => {
  // A mistake on the command line is one line; anything else keeps its stack.
  console.error(error instanceof BenchUsageError ? `bench: ${error.message}` : error);
  process.exit(error instanceof BenchUsageError ? 2 : 1);
});
