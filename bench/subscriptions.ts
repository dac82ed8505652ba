/**
 * npm run bench:subscriptions — how many upstream requests the resource subscriptions cost per
 * hour, with 0, 1, 100 and 1,000 subscribed clients, in compressed time. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeAareguru } from '../test/fake-upstream/fake-aareguru';
import { eventually } from '../test/support/eventually';
import { metric, metricTotal, option } from './lib/cli';
import { revision } from './lib/baseline';
import { CityChange, expectedUpdates } from './lib/expected-notifications';
import { BENCH_API_KEY, benchServerEnv } from './lib/our-server';
import { openFileLimit, pinLoadGenerator, rssBytes, startServer, Started } from './lib/processes';
import { agent } from './lib/raw-sessions';
import { openSubscribers, SubscriberSession } from './lib/subscriber-sessions';
import { fmt } from './lib/stats';

/** The deployed defaults that the run compresses. */
const REAL_TTL_SECONDS = 120;
const REAL_MEASUREMENT_SECONDS = 600;
const HOUR_SECONDS = 3600;

const TTL_SECONDS = Number(option('ttl', '1'));
/** Real time ÷ run time: CACHE_TTL_SECONDS=1 stands for the default 120 s. */
const COMPRESSION = REAL_TTL_SECONDS / TTL_SECONDS;
/** How long each scenario runs; 30 s at the default compression is one hour. */
const WINDOW_SECONDS = Number(option('seconds', String(HOUR_SECONDS / COMPRESSION)));
const MEASUREMENT_EVERY_MS = (REAL_MEASUREMENT_SECONDS / COMPRESSION) * 1000;
const COUNTS = option('subscribers', '0,1,100,1000').split(',').map(Number);
const ONE_RESOURCE = option('one-resource', 'aareguru://current/bern');
const ONE_RESOURCE_COUNT = Number(option('one-resource-count', String(Math.max(...COUNTS))));

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const AUTH = { 'x-api-key': BENCH_API_KEY };
const CITIES = ['brienz', 'interlaken', 'thun', 'bern', 'hagneck', 'biel', 'olten', 'brugg'];
/** Round-robin order: a city's current and today, city by city, then the widget and the list. */
const URIS = [
  ...CITIES.flatMap((city) => [`aareguru://current/${city}`, `aareguru://today/${city}`]),
  'aareguru://widget',
  'aareguru://cities',
];

const t0 = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${message}\n`);

interface Scenario {
  name: string;
  subscribers: number;
  uriOf: (index: number) => string;
}

interface Outcome {
  scenario: string;
  subscribers: number;
  /** Upstream requests in the window, scaled to one real hour. */
  perHour: {
    widget: number;
    current: number;
    currentByCity: Record<string, number>;
    today: number;
    cities: number;
    other: number;
    total: number;
  };
  /** Raw counts in the window (the scaling factor is windowSeconds / compressed hour). */
  inWindow: Record<string, number>;
  /** Poll cycles the server counted (mcp_subscription_polls_total), upstream asked or not. */
  pollCycles: number;
  cityChanges: number;
  notifications: {
    expected: number;
    delivered: number;
    sessionsShort: number;
    sessionsOver: number;
    otherNotifications: number;
  };
  rssMb: number;
  setupSeconds: number;
}

async function main(): Promise<void> {
  const needed = Math.max(...COUNTS, ONE_RESOURCE_COUNT) * 2 + 500;
  if (openFileLimit() < needed) {
    throw new Error(`the open-file limit is ${openFileLimit()}; ${needed} are needed (ulimit -n)`);
  }
  pinLoadGenerator(1);
  const scenarios: Scenario[] = [
    ...COUNTS.map((n) => ({
      name: n === 0 ? 'no subscriber' : `${n} spread over all ${URIS.length} URIs`,
      subscribers: n,
      uriOf: (i: number) => URIS[i % URIS.length],
    })),
    {
      name: `${ONE_RESOURCE_COUNT} all on ${ONE_RESOURCE}`,
      subscribers: ONE_RESOURCE_COUNT,
      uriOf: () => ONE_RESOURCE,
    },
  ];
  log(
    `time compressed ${COMPRESSION}×: CACHE_TTL_SECONDS=${TTL_SECONDS} stands for ${REAL_TTL_SECONDS} s, ` +
      `each city gets a new measurement every ${MEASUREMENT_EVERY_MS / 1000} s (= ${REAL_MEASUREMENT_SECONDS / 60} min), ` +
      `${WINDOW_SECONDS} s per scenario = ${fmt((WINDOW_SECONDS * COMPRESSION) / 60)} min`,
  );
  const outcomes: Outcome[] = [];
  try {
    for (const scenario of scenarios) outcomes.push(await run(scenario));
  } finally {
    agent.destroy();
  }
  report(outcomes);
  const problems = checks(outcomes);
  for (const problem of problems) log(`check failed: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
}

/** What must hold whatever the machine: no subscriber, no request; every notification arrives once. */
function checks(outcomes: Outcome[]): string[] {
  const problems: string[] = [];
  for (const o of outcomes) {
    const n = o.notifications;
    if (o.subscribers === 0 && o.perHour.total > 0) {
      problems.push(`${o.scenario}: ${o.perHour.total} upstream requests per hour, expected none`);
    }
    if (n.delivered !== n.expected || n.sessionsShort || n.sessionsOver || n.otherNotifications) {
      problems.push(
        `${o.scenario}: ${n.delivered} of ${n.expected} notifications delivered ` +
          `(${n.sessionsShort} sessions short, ${n.sessionsOver} over, ${n.otherNotifications} other)`,
      );
    }
  }
  return problems;
}

/** One scenario on a fresh server and a fresh fake upstream. */
async function run(scenario: Scenario): Promise<Outcome> {
  log(`${scenario.name}: starting`);
  const fake = new FakeAareguru();
  const upstream = await fake.start();
  let server: Started | undefined;
  let subscribers: { session: SubscriberSession; uri: string }[] = [];
  try {
    server = await startServer(
      'ours',
      [MAIN],
      {
        ...benchServerEnv(upstream),
        CACHE_TTL_SECONDS: String(TTL_SECONDS),
        MAX_SUBSCRIPTIONS_PER_KEY: '1000000',
      },
      0,
      ROOT,
    );
    const url = server.url;
    const setupStarted = Date.now();
    subscribers = await openSubscribers(url, AUTH, scenario.subscribers, scenario.uriOf);
    if (scenario.subscribers > 0) {
      // A poll that saw every subscription has taken the baseline the window's changes are told against.
      await eventually(
        async () => (await metric(url, 'mcp_subscriptions')) === scenario.subscribers,
        30_000,
      );
      const polls = await metricTotal(url, 'mcp_subscription_polls_total');
      await eventually(
        async () => (await metricTotal(url, 'mcp_subscription_polls_total')) > polls,
        30_000,
      );
    }
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    log(`${scenario.name}: ${subscribers.length} subscribed in ${fmt(setupSeconds, 1)} s`);

    const start = fake.requests.length;
    const pollsBefore = await metricTotal(url, 'mcp_subscription_polls_total');
    const changes = await changeCitiesFor(fake, WINDOW_SECONDS * 1000);
    const end = fake.requests.length;
    const polls = (await metricTotal(url, 'mcp_subscription_polls_total')) - pollsBefore;
    const rssMb = rssBytes(server.pid) / 2 ** 20;

    // The last change is told at the next poll: wait for two more polls, then for delivery.
    const watched = subscribers.some((s) => s.uri !== 'aareguru://cities')
      ? '/v2018/widget'
      : '/v2018/cities';
    const pollsAfter = () => fake.requests.slice(end).filter((r) => r.path === watched).length;
    if (subscribers.length > 0) await eventually(() => pollsAfter() >= 2, 10_000 * TTL_SECONDS);
    const expected = expectedUpdates(fake.requests, changes);
    const expectedTotal = subscribers.reduce((sum, s) => sum + (expected.get(s.uri) ?? 0), 0);
    const delivered = () => subscribers.reduce((sum, s) => sum + s.session.totalReceived, 0);
    await eventually(() => delivered() >= expectedTotal, 10_000).catch(() => undefined);

    const outcome: Outcome = {
      scenario: scenario.name,
      subscribers: scenario.subscribers,
      ...upstreamPerHour(fake.requests.slice(start, end)),
      pollCycles: polls,
      cityChanges: changes.length,
      notifications: {
        expected: expectedTotal,
        delivered: delivered(),
        sessionsShort: subscribers.filter(
          (s) => s.session.received(s.uri) < (expected.get(s.uri) ?? 0),
        ).length,
        sessionsOver: subscribers.filter(
          (s) => s.session.totalReceived > (expected.get(s.uri) ?? 0),
        ).length,
        otherNotifications: subscribers.reduce(
          (sum, s) => sum + [...s.session.others.values()].reduce((a, b) => a + b, 0),
          0,
        ),
      },
      rssMb,
      setupSeconds,
    };
    log(
      `${scenario.name}: ${outcome.perHour.total} upstream requests/h, ` +
        `notifications ${outcome.notifications.delivered}/${outcome.notifications.expected}`,
    );
    return outcome;
  } finally {
    await Promise.allSettled(subscribers.map((s) => s.session.close()));
    await server?.stop();
    await fake.stop();
  }
}

/**
 * Every city gets a new measurement every MEASUREMENT_EVERY_MS, the cities staggered evenly over
 * that interval, for `windowMs`. Each change is recorded with the fake's request count at that
 * moment: the requests from there on see it.
 */
async function changeCitiesFor(fake: FakeAareguru, windowMs: number): Promise<CityChange[]> {
  const changes: CityChange[] = [];
  const started = Date.now();
  const step = MEASUREMENT_EVERY_MS / CITIES.length;
  for (let k = 1; k * step < windowMs; k += 1) {
    // Scheduled against the start, so the steps do not drift.
    await new Promise((resolve) => setTimeout(resolve, started + k * step - Date.now()));
    const city = CITIES[(k - 1) % CITIES.length];
    fake.setCity(city, { temperature: 10 + ((k * 7) % 100) / 10 });
    changes.push({ city, requestsBefore: fake.requests.length });
  }
  await new Promise((resolve) => setTimeout(resolve, started + windowMs - Date.now()));
  return changes;
}

function upstreamPerHour(
  requests: FakeAareguru['requests'],
): Pick<Outcome, 'perHour' | 'inWindow'> {
  const scale = HOUR_SECONDS / COMPRESSION / WINDOW_SECONDS;
  const inWindow: Record<string, number> = {};
  for (const r of requests) {
    const key = r.query.city ? `${r.path}?city=${r.query.city}` : r.path;
    inWindow[key] = (inWindow[key] ?? 0) + 1;
  }
  const count = (path: string) =>
    requests.filter((r) => r.path === `/v2018/${path}`).length * scale;
  const currentByCity = Object.fromEntries(
    CITIES.map((city) => [
      city,
      requests.filter((r) => r.path === '/v2018/current' && r.query.city === city).length * scale,
    ]),
  );
  const known = ['widget', 'current', 'today', 'cities'].map((p) => `/v2018/${p}`);
  return {
    inWindow,
    perHour: {
      widget: count('widget'),
      current: count('current'),
      currentByCity,
      today: count('today'),
      cities: count('cities'),
      other: requests.filter((r) => !known.includes(r.path)).length * scale,
      total: requests.length * scale,
    },
  };
}

function report(outcomes: Outcome[]): void {
  const commit = revision(ROOT);
  const meta =
    `${new Date().toISOString()}, commit ${commit}, Node ${process.version}. Time compressed ` +
    `${COMPRESSION}×: CACHE_TTL_SECONDS=${TTL_SECONDS} stands for the default ${REAL_TTL_SECONDS} s, every city ` +
    `gets a new measurement every ${MEASUREMENT_EVERY_MS / 1000} s (upstream's ${REAL_MEASUREMENT_SECONDS / 60} min, ` +
    `the cities staggered), and each scenario runs ${WINDOW_SECONDS} s = ` +
    `${fmt((WINDOW_SECONDS * COMPRESSION) / 60)} min of real time; requests are given per real hour. ` +
    `Production build on core 0, fresh server and fake upstream per scenario, 2025 Streamable HTTP ` +
    `sessions with their GET stream open, one subscription each.`;
  const header = [
    '| Subscribers | /widget | /current (all cities) | /today | /cities | Total | Notifications delivered / expected | RSS |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const lines = outcomes.map((o) => {
    const n = o.notifications;
    const misses =
      n.sessionsShort || n.sessionsOver || n.otherNotifications
        ? ` (${n.sessionsShort} sessions short, ${n.sessionsOver} over, ${n.otherNotifications} other)`
        : '';
    return (
      `| ${o.scenario} | ${fmt(o.perHour.widget)} | ${fmt(o.perHour.current)} | ` +
      `${fmt(o.perHour.today)} | ${fmt(o.perHour.cities)} | ${fmt(o.perHour.total)} | ` +
      `${n.delivered} / ${n.expected}${misses} | ${fmt(o.rssMb)} MB |`
    );
  });
  const markdown = [
    `# Subscriptions: upstream requests per hour`,
    '',
    meta,
    '',
    ...header,
    ...lines,
    '',
  ].join('\n');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `subscriptions-${stamp}.md`), markdown);
  writeFileSync(
    join(dir, `subscriptions-${stamp}.json`),
    JSON.stringify(
      {
        meta,
        commit,
        compression: COMPRESSION,
        ttlSeconds: TTL_SECONDS,
        windowSeconds: WINDOW_SECONDS,
        measurementEveryMs: MEASUREMENT_EVERY_MS,
        outcomes,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, 'latest-subscriptions.md'), markdown);
  process.stdout.write(`${markdown}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
