/**
 * npm run bench -- --replicas N: the fleet on Redis next to the in-memory single process, every
 * contender behind the same round-robin proxy (one URL for the clients, as behind a gateway), and
 * the upstream requests N replicas make per cache TTL. See bench/README.md, "Several replicas".
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAareguru } from '../../test/fake-upstream/fake-aareguru';
import { REDIS_URL, requireRedis } from '../../test/support/redis';
import { ReplicaSet, RoundRobinProxy } from '../../test/support/replicas';
import { BenchUsageError, revision } from './baseline';
import { option } from './cli';
import { corePlan, sessionsShared } from './fleet';
import { captureModernRequest, LoadResult, replayLoad, statefulLoad } from './load';
import {
  BENCH_ADMIN_KEY,
  BENCH_API_KEY,
  benchServerEnv,
  CACHED_CALL,
  cachedCallResult,
} from './our-server';
import { pinLoadGenerator, startServer, Started } from './processes';
import { agent, closedLoop, openStreamableSession, post, send } from './raw-sessions';
import { fmt, fmtSpread, spread, Spread } from './stats';

const AUTH = { 'x-api-key': BENCH_API_KEY };

interface Settings {
  replicas: number;
  rounds: number;
  seconds: number;
  warmup: number;
  connections: number;
  parts: Set<string>;
  root: string;
  main: string;
}

type Contender = (seconds: number) => Promise<LoadResult>;

/** The contenders, each reachable at one URL. */
interface Fleet {
  /** One process, no REDIS_URL, addressed directly: the proxy's cost shows against it. */
  memoryDirect: string;
  /** The same process behind the proxy. */
  memory: RoundRobinProxy;
  /** One replica on Redis behind the proxy: what Redis costs a process. */
  redisOne: RoundRobinProxy;
  /** N replicas on Redis behind the proxy. */
  redisN: RoundRobinProxy;
}

const COLUMNS = ['memoryDirect', 'memory', 'redisOne', 'redisN'] as const;
type Column = (typeof COLUMNS)[number];

interface Row {
  scenario: string;
  cells: Partial<Record<Column, string>>;
  ratio?: string;
}

const t0 = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${message}\n`);

export async function replicaBench(settings: Settings): Promise<void> {
  const n = settings.replicas;
  if (!Number.isInteger(n) || n < 2)
    throw new BenchUsageError('--replicas needs a number of 2 or more');
  await requireRedis(REDIS_URL);
  const plan = corePlan(n);
  pinLoadGenerator(plan.loadCpu);
  const fake = new FakeAareguru();
  const upstream = await fake.start();
  const env = benchServerEnv(upstream);
  const common = { env, fake, main: settings.main, cwd: settings.root };
  const keepLogs = process.env.BENCH_SERVER_LOG;
  const sets: ReplicaSet[] = [];
  const start = async (count: number, redisUrl: string | null, cpus: number[], name: string) => {
    const set = await ReplicaSet.start({
      ...common,
      count,
      redisUrl,
      cpus,
      keepLogs: keepLogs && `${keepLogs}.${name}`,
    });
    sets.push(set);
    return set;
  };
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  let raw: Started | undefined;
  try {
    log(`starting: 1 in-memory process, 1 replica on Redis, ${n} replicas on Redis (${REDIS_URL})`);
    const memorySet = await start(1, null, [plan.singleCpu], 'memory');
    const redisOneSet = await start(1, REDIS_URL, [plan.singleCpu], 'redis-1');
    const redisNSet = await start(n, REDIS_URL, plan.replicaCpus, `redis-${n}`);
    const sharing = await sessionsShared(redisNSet.urls()[0], redisNSet.urls()[1], AUTH);
    // Sessions pinned to the replica that opened them only while the fleet cannot share them.
    const proxyOptions = { sessionAffinity: !sharing.shared };
    const fleet: Fleet = {
      memoryDirect: memorySet.urls()[0],
      memory: await memorySet.proxy(proxyOptions),
      redisOne: await redisOneSet.proxy(proxyOptions),
      redisN: await redisNSet.proxy(proxyOptions),
    };
    const routing = sharing.shared
      ? `round-robin per request, no stickiness (${sharing.detail})`
      : `2025 sessions pinned to the replica that opened them, everything else round-robin, because ${sharing.detail}`;
    log(`routing: ${routing}`);
    json.setup = {
      replicas: n,
      redisUrl: REDIS_URL,
      cores: plan.description,
      pinning: redisNSet.pinning,
      routing,
      sessionsShared: sharing.shared,
    };

    const urlOf = (column: Column) =>
      column === 'memoryDirect' ? fleet.memoryDirect : fleet[column].url;
    const contenders = (load: (url: string) => Contender) =>
      Object.fromEntries(COLUMNS.map((c) => [c, load(urlOf(c))])) as Record<Column, Contender>;

    if (settings.parts.has('calls')) {
      log(`cached tools/call, 2025 sessions, ${settings.connections} connections`);
      const results = await rounds(
        settings,
        contenders(
          (url) => (seconds) =>
            statefulLoad(url, CACHED_CALL, {
              connections: settings.connections,
              seconds,
              headers: AUTH,
            }),
        ),
      );
      rows.push(
        row(`Cached tools/call, Streamable HTTP 2025, ${settings.connections} sessions`, results),
      );
      json.cachedToolCall = described(results);

      log('cached tools/call, 2026-07-28 stateless');
      const modern = await captureModernRequest(fleet.memoryDirect, CACHED_CALL.params, AUTH);
      const stateless = await rounds(
        settings,
        contenders(
          (url) => (seconds) =>
            replayLoad(`${url}/mcp`, modern, { connections: settings.connections, seconds }),
        ),
      );
      rows.push(
        row(
          `Cached tools/call, 2026-07-28 stateless, ${settings.connections} connections`,
          stateless,
        ),
      );
      json.statelessToolCall = described(stateless);

      log('the proxy alone: raw node:http direct and through the proxy');
      const resultFile = join(mkdtempSync(join(tmpdir(), 'bench-')), 'result.json');
      writeFileSync(resultFile, JSON.stringify(await cachedCallResult(fleet.memoryDirect)));
      raw = await startServer(
        'raw node:http',
        [join(__dirname, '..', 'servers', 'raw-http.mjs')],
        {
          RESULT_FILE: resultFile,
        },
        plan.singleCpu,
      );
      const rawUrl = raw.url;
      const rawProxy = await RoundRobinProxy.start({ targets: () => [rawUrl] });
      const rawRequest = {
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...CACHED_CALL }),
      };
      const proxied = await rounds(settings, {
        direct: (seconds) =>
          replayLoad(rawUrl, rawRequest, { connections: settings.connections, seconds }),
        proxy: (seconds) =>
          replayLoad(rawProxy.url, rawRequest, { connections: settings.connections, seconds }),
      });
      await rawProxy.close();
      const [d, p] = [describe(proxied.direct), describe(proxied.proxy)];
      json.proxyAlone = { direct: d, proxy: p };
      rows.push({
        scenario: 'The proxy alone: raw node:http answering the same bytes',
        cells: { memoryDirect: cell(d), memory: cell(p) },
        ratio: `proxy hop ${fmt(p.rate.median / d.rate.median, 2)}× direct`,
      });
    }

    if (settings.parts.has('handshakes')) {
      log('session handshakes (initialize + initialized + DELETE), 10 at a time');
      const handshake = (url: string) => async () => {
        const id = await openStreamableSession(url, AUTH);
        await send(`${url}/mcp`, 'DELETE', undefined, {
          ...AUTH,
          'mcp-session-id': id,
          'mcp-protocol-version': '2025-11-25',
        });
      };
      const results = await rounds(
        settings,
        contenders((url) => (seconds) => closedLoop(10, seconds, handshake(url)).then(asLoad)),
      );
      rows.push(row('Session handshakes, 10 concurrent', results, '/s'));
      json.handshakes = described(results);
    }

    if (settings.parts.has('upstream')) {
      const modern = await captureModernRequest(
        fleet.memoryDirect,
        { name: 'get_current_conditions', arguments: { city: 'bern' } },
        AUTH,
      );
      const cities = (
        JSON.parse((await send(`${upstream}/v2018/cities`, 'GET', undefined, {})).body) as {
          city: string;
        }[]
      ).map((c) => c.city);
      const economy: Record<string, UpstreamCount> = {};
      for (const [column, set] of [
        ['memory', memorySet],
        ['redisN', redisNSet],
      ] as const) {
        log(
          `upstream requests per TTL: ${set.replicas.length} process(es), cold, ${cities.length} cities`,
        );
        economy[column] = await upstreamPerTtl(set, fake, modern, cities);
      }
      json.upstreamPerTtl = economy;
      const show = (u: UpstreamCount) =>
        `${u.cold} from cold, ${u.warm} more within the TTL; ${u.pairs} endpoint+city pairs, at most ${u.maxPerPair} per pair` +
        (u.failedCalls ? `; ${u.failedCalls} calls failed (${u.failure})` : '');
      rows.push({
        scenario: `Upstream requests per TTL: ${cities.length} cities × 5 concurrent cold calls on every replica at once, then again`,
        cells: { memory: show(economy.memory), redisN: show(economy.redisN) },
        ratio: `target: at most 1 per pair (${economy.redisN.maxPerPair <= 1 ? 'met' : 'not met'} with ${n} replicas)`,
      });
    }

    report(settings, rows, json, plan.description, redisNSet.pinning, routing);
  } finally {
    await raw?.stop();
    await Promise.allSettled(sets.map((s) => s.stop()));
    await fake.stop();
    agent.destroy();
  }
}

/**
 * Warms each contender up, then runs them for --seconds each in alternating order for several
 * rounds (a shared machine is noisy: medians, with min–max).
 */
async function rounds<K extends string>(
  settings: Settings,
  contenders: Record<K, Contender>,
): Promise<Record<K, LoadResult[]>> {
  const names = Object.keys(contenders) as K[];
  if (settings.warmup > 0) for (const name of names) await contenders[name](settings.warmup);
  const results = Object.fromEntries(names.map((n) => [n, [] as LoadResult[]])) as Record<
    K,
    LoadResult[]
  >;
  for (let round = 0; round < settings.rounds; round += 1) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(await contenders[name](settings.seconds));
  }
  return results;
}

function describe(results: LoadResult[]) {
  return {
    rate: spread(results.map((r) => r.callsPerSecond)),
    p50: spread(results.map((r) => r.p50)),
    p99: spread(results.map((r) => r.p99)),
    errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
  };
}

type Described = ReturnType<typeof describe>;

const described = (results: Record<Column, LoadResult[]>) =>
  Object.fromEntries(COLUMNS.map((c) => [c, describe(results[c])]));

const cell = (d: Described, unit = 'calls/s') =>
  `${fmtSpread(d.rate)} ${unit}, p99 ${fmt(d.p99.median)} ms${d.errors ? `, ${d.errors} errors` : ''}`;

function row(scenario: string, results: Record<Column, LoadResult[]>, unit?: string): Row {
  const d = Object.fromEntries(COLUMNS.map((c) => [c, describe(results[c])])) as Record<
    Column,
    Described
  >;
  const ratio = (a: Spread, b: Spread) => fmt(a.median / b.median, 2);
  return {
    scenario,
    cells: Object.fromEntries(COLUMNS.map((c) => [c, cell(d[c], unit)])),
    ratio:
      `N on Redis ${ratio(d.redisN.rate, d.memory.rate)}× in-memory, ` +
      `1 on Redis ${ratio(d.redisOne.rate, d.memory.rate)}× in-memory; ` +
      `proxy hop ${ratio(d.memory.rate, d.memoryDirect.rate)}× direct`,
  };
}

const asLoad = (r: { callsPerSecond: number; p50: number; p99: number; total: number }) => ({
  ...r,
  errors: 0,
  non2xx: 0,
});

interface UpstreamCount {
  cold: number;
  warm: number;
  pairs: number;
  maxPerPair: number;
  perPair: Record<string, number>;
  failedCalls: number;
  /** The first failed call's answer. */
  failure?: string;
}

/**
 * Empties every replica's cache, then sends 5 concurrent 2026-07-28 get_current_conditions calls
 * per city to every replica at once (each addressed directly, so all of them are hit together),
 * and counts what reached the fake upstream; then the same again, still within the cache TTL.
 */
async function upstreamPerTtl(
  set: ReplicaSet,
  fake: FakeAareguru,
  modern: { headers: Record<string, string>; body: string },
  cities: string[],
): Promise<UpstreamCount> {
  for (const url of set.urls()) {
    await post(`${url}/admin/cache/invalidate`, {}, { 'x-api-key': BENCH_ADMIN_KEY });
  }
  fake.reset();
  const template = JSON.parse(modern.body) as { params: { arguments: { city: string } } };
  let failedCalls = 0;
  let failure: string | undefined;
  const burst = () =>
    Promise.all(
      set.urls().flatMap((url) =>
        cities.flatMap((city) =>
          Array.from({ length: 5 }, async () => {
            template.params.arguments.city = city;
            const answer = await send(
              `${url}/mcp`,
              'POST',
              JSON.stringify(template),
              modern.headers,
            );
            if (answer.status !== 200 || answer.body.includes('"isError":true')) {
              failedCalls += 1;
              failure ??= `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
            }
          }),
        ),
      ),
    );
  await burst();
  const cold = fake.requests.length;
  await burst();
  const perPair: Record<string, number> = {};
  for (const r of fake.requests) {
    const pair = `${r.path}${r.query.city ? `?city=${r.query.city}` : ''}`;
    perPair[pair] = (perPair[pair] ?? 0) + 1;
  }
  return {
    cold,
    warm: fake.requests.length - cold,
    pairs: Object.keys(perPair).length,
    maxPerPair: Math.max(...Object.values(perPair)),
    perPair,
    failedCalls,
    failure,
  };
}

function report(
  settings: Settings,
  rows: Row[],
  json: Record<string, unknown>,
  cores: string,
  pinning: string,
  routing: string,
): void {
  const n = settings.replicas;
  const header = [
    `| Scenario | 1 process, in-memory, direct | 1 process, in-memory, via proxy | 1 replica on Redis, via proxy | ${n} replicas on Redis, via proxy | Ratio |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${COLUMNS.map((c) => r.cells[c] ?? '').join(' | ')} | ${r.ratio ?? ''} |`,
  );
  const meta = [
    `Node ${process.version}, ${settings.rounds} rounds × ${settings.seconds} s after ${settings.warmup} s warm-up, medians with (min–max), at ${revision(settings.root)}.`,
    `Cores: ${cores}. Pinning of the ${n} replicas: ${pinning}.`,
    `Routing through the proxy: ${routing}.`,
  ];
  const markdown = [
    `# Benchmark with ${n} replicas ${new Date().toISOString()}`,
    '',
    ...meta.flatMap((m) => [m, '']),
    ...header,
    ...lines,
    '',
  ].join('\n');
  const dir = join(settings.root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `replicas-${stamp}.md`), markdown);
  writeFileSync(join(dir, `replicas-${stamp}.json`), JSON.stringify({ meta, ...json }, null, 2));
  writeFileSync(join(dir, 'latest-replicas.md'), markdown);
  process.stdout.write(`${markdown}\n`);
}

/** The settings of `npm run bench -- --replicas N`, from the command line. */
export function replicaSettings(root: string, main: string): Settings {
  return {
    replicas: Number(option('replicas', '2')),
    rounds: Number(option('rounds', '3')),
    seconds: Number(option('seconds', '10')),
    warmup: Number(option('warmup', '15')),
    connections: Number(option('connections', '50')),
    parts: new Set(option('only', 'calls,handshakes,upstream').split(',')),
    root,
    main,
  };
}
