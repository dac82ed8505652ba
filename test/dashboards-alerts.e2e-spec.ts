import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { dump, load } from 'js-yaml';
import * as aareguruMetrics from '../src/aareguru/aareguru.metrics';
import * as mcpMetrics from '../src/mcp/mcp.metrics';
import * as appMetrics from '../src/metrics/app.metrics';
import * as redisMetrics from '../src/redis/redis.metrics';
import * as sessionsMetrics from '../src/sessions/sessions.metrics';
import * as throttlingMetrics from '../src/throttling/throttling.metrics';
import * as subscriptionsMetrics from '../src/subscriptions/subscriptions.metrics';
import * as authMetrics from '../src/auth/auth.metrics';
import { connectClient } from './support/mcp-clients';
import { startApp, type RunningApp } from './support/http-app';

/**
 * The operator material in deploy/grafana and deploy/prometheus names only metrics the server
 * really exports (checked against a live /metrics), with labels those metrics carry and label
 * values they take, and Prometheus' own tool accepts the rules, their unit tests and every
 * dashboard query.
 */

const ROOT = join(__dirname, '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'aareguru-mcp.json');
const ALERTS = join(ROOT, 'deploy', 'prometheus', 'alerts.yaml');
const ALERT_TESTS = join(ROOT, 'deploy', 'prometheus', 'alerts.test.yaml');
const README = join(ROOT, 'README.md');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Words of PromQL that look like metric names but are not. */
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Clauses that name labels: of an aggregation (by, without) or of vector matching. */
const LABEL_CLAUSES = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

interface Token {
  kind: 'string' | 'number' | 'name' | 'op';
  text: string;
}

/** PromQL's tokens; ranges and subqueries (`[5m]`, `[$__rate_interval]`) are left out. */
function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\[[^\]]*\])|(\d[\w.]*)|([a-zA-Z_:][\w:]*)|(=~|!~|!=|==|>=|<=|\S)/g;
  for (const [, string, , number, name, op] of expr.matchAll(pattern)) {
    if (string) tokens.push({ kind: 'string', text: string.slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (number) tokens.push({ kind: 'number', text: number });
    else if (name) tokens.push({ kind: 'name', text: name });
    else if (op) tokens.push({ kind: 'op', text: op });
  }
  return tokens;
}

export interface Matcher {
  label: string;
  op: string;
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

/** Labels named by a clause, with the metrics they must be found on. */
export interface LabelClause {
  clause: string;
  labels: string[];
  /** Metrics of the clause's operand: each must carry every label (`some`: at least one). */
  metrics: string[];
  some: boolean;
}

/**
 * The selectors of a PromQL expression (metric and matchers) and its label clauses, each with
 * the metrics of the operand it applies to: for `by`/`without`, the aggregation's argument; for
 * vector matching, the innermost parenthesis around it (the whole expression at the top).
 */
export function parsePromql(expr: string): { selectors: Selector[]; clauses: LabelClause[] } {
  const tokens = tokenize(expr);
  const closing = new Map<number, number>();
  const opening = new Map<number, number>();
  const enclosing: number[] = [];
  const stack: number[] = [];
  tokens.forEach((token, index) => {
    enclosing[index] = stack.at(-1) ?? -1;
    if (token.text === '(') stack.push(index);
    if (token.text === ')') {
      const open = stack.pop()!;
      closing.set(open, index);
      opening.set(index, open);
    }
  });
  const selectors: (Selector & { at: number })[] = [];
  const clauses: { clause: string; labels: string[]; from: number; to: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const { kind, text } = tokens[i];
    if (kind !== 'name') continue;
    const next = tokens[i + 1]?.text;
    if (LABEL_CLAUSES.has(text) && next === '(') {
      const end = closing.get(i + 1)!;
      const labels = tokens
        .slice(i + 2, end)
        .filter((t) => t.kind === 'name')
        .map((t) => t.text);
      let from: number;
      let to: number;
      if (text === 'by' || text === 'without') {
        // `sum by (l) (arg)`, or `sum (arg) by (l)`.
        [from, to] =
          tokens[end + 1]?.text === '('
            ? [end + 1, closing.get(end + 1)!]
            : [opening.get(i - 1)!, i - 1];
      } else {
        const parent = enclosing[i];
        [from, to] = parent < 0 ? [-1, tokens.length] : [parent, closing.get(parent)!];
      }
      clauses.push({ clause: text, labels, from, to });
      i = end;
      continue;
    }
    if (
      PROMQL_KEYWORDS.has(text.toLowerCase()) ||
      next === '(' ||
      next === 'by' ||
      next === 'without'
    ) {
      continue;
    }
    const matchers: Matcher[] = [];
    if (next === '{') {
      let j = i + 2;
      for (; tokens[j] && tokens[j].text !== '}'; j++) {
        if (tokens[j].kind === 'name') {
          matchers.push({
            label: tokens[j].text,
            op: tokens[j + 1].text,
            value: tokens[j + 2].text,
          });
          j += 2;
        }
      }
      selectors.push({ metric: text, matchers, at: i });
      i = j;
    } else {
      selectors.push({ metric: text, matchers, at: i });
    }
  }
  return {
    selectors: selectors.map(({ metric, matchers }) => ({ metric, matchers })),
    clauses: clauses.map(({ clause, labels, from, to }) => ({
      clause,
      labels,
      metrics: selectors.filter(({ at }) => at > from && at < to).map(({ metric }) => metric),
      some: clause === 'group_left' || clause === 'group_right',
    })),
  };
}

/** The metric names a PromQL expression selects (functions, labels, numbers and strings aside). */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(parsePromql(expr).selectors.map(({ metric }) => metric))];
}

/** `# TYPE name kind` of every metric family in a scrape. */
function metricTypes(scrape: string): Map<string, string> {
  return new Map([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** The family a series name belongs to: itself, or the histogram (or summary) it is part of. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const series = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!series) return undefined;
  const kind = types.get(series[1]);
  return kind === 'histogram' || (kind === 'summary' && series[2] !== 'bucket')
    ? series[1]
    : undefined;
}

/** Whether a name is exported: a family itself, or a histogram's (or summary's) series. */
function isExported(name: string, types: Map<string, string>): boolean {
  return familyOf(name, types) !== undefined;
}

/** Labels every series has once scraped: the server's default label and the target's. */
const TARGET_LABELS = ['app', 'job', 'instance'];
/** Labels whose values the deployment chooses: no value of theirs is checked. */
const DEPLOYMENT_LABELS = new Set(['job', 'instance']);

/** What the server says of each metric family: its help, labels and the values seen of each. */
interface Family {
  help: string;
  labels: Map<string, Set<string>>;
}

/** The metric configurations the server declares (`name`, `help`, `labelNames`). */
const DECLARED = [
  appMetrics,
  mcpMetrics,
  sessionsMetrics,
  aareguruMetrics,
  redisMetrics,
  throttlingMetrics,
  subscriptionsMetrics,
  authMetrics,
].flatMap((module) =>
  Object.values(module).filter(
    (value): value is { name: string; help: string; labelNames?: readonly string[] } =>
      typeof value === 'object' && value !== null && 'name' in value && 'help' in value,
  ),
);

/** Families of a scrape, with the declared label names of series that need traffic to appear. */
function familiesOf(scrape: string, types: Map<string, string>): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { help: '', labels: new Map() }));
    return found;
  };
  const label = (of: Family, name: string) => {
    let values = of.labels.get(name);
    if (!values) of.labels.set(name, (values = new Set()));
    return values;
  };
  for (const [, name, help] of scrape.matchAll(/^# HELP (\S+) (.*)$/gm)) family(name).help = help;
  for (const [, series, labels] of scrape.matchAll(/^([a-zA-Z_:][\w:]*)\{(.*)\} \S+$/gm)) {
    const name = familyOf(series, types);
    if (!name) continue;
    for (const [, labelName, value] of labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      // `le` belongs to the buckets only, not to the histogram's _sum and _count.
      if (labelName !== 'le') label(family(name), labelName).add(value);
    }
  }
  for (const { name, labelNames = [] } of DECLARED) {
    for (const labelName of labelNames) label(family(name), labelName);
  }
  return families;
}

/** The words of a README metrics table row: the label values it documents for that metric. */
function documentedValues(readme: string, metric: string): string[] {
  const row = readme.split('\n').find((line) => line.startsWith(`| \`${metric}\``));
  return [...(row ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/**
 * Problems with the labels an expression uses: a label a selector or a clause names that the
 * metric does not carry (in the scrape, or declared for series that need traffic), and a literal
 * value of a matcher that the metric never takes — neither seen in the scrape nor named by its
 * help or its README row. A regex matcher's value is checked when it is a plain alternation.
 */
function labelProblems(
  expr: string,
  types: Map<string, string>,
  families: Map<string, Family>,
  readme: string,
): string[] {
  const problems: string[] = [];
  const labelsOf = (metric: string): Set<string> => {
    const name = familyOf(metric, types);
    const labels = new Set([...TARGET_LABELS, ...(families.get(name ?? '')?.labels.keys() ?? [])]);
    if (metric.endsWith('_bucket')) labels.add('le');
    return labels;
  };
  const { selectors, clauses } = parsePromql(expr);
  for (const { metric, matchers } of selectors) {
    const name = familyOf(metric, types) ?? metric;
    for (const { label, op, value } of matchers) {
      if (!labelsOf(metric).has(label)) {
        problems.push(`${metric} has no label ${label}`);
        continue;
      }
      if (DEPLOYMENT_LABELS.has(label) || value === '' || value.includes('$')) continue;
      const literal = op === '=' || op === '!=';
      if (!literal && !/^[\w/.:-]+(\|[\w/.:-]+)*$/.test(value)) continue;
      const family = families.get(name);
      // The server's own label is on every series: its values are those of any family.
      const seen =
        label === 'app'
          ? [...families.values()].flatMap((other) => [...(other.labels.get('app') ?? [])])
          : (family?.labels.get(label) ?? []);
      const known = new Set([
        ...seen,
        ...(family?.help.match(/[\w/.:-]+/g) ?? []),
        ...documentedValues(readme, name),
      ]);
      for (const one of literal ? [value] : value.split('|')) {
        if (!known.has(one)) problems.push(`${metric}{${label}} never takes the value "${one}"`);
      }
    }
  }
  for (const { clause, labels, metrics, some } of clauses) {
    if (metrics.length === 0)
      problems.push(`${clause} (${labels.join(', ')}) applies to no metric`);
    for (const label of labels) {
      const carriers = metrics.filter((metric) => labelsOf(metric).has(label));
      if (some ? carriers.length === 0 : carriers.length < metrics.length) {
        problems.push(`${clause} (${label}): not a label of ${metrics.join(', ')}`);
      }
    }
  }
  return problems;
}

/** Every panel, those nested in collapsed rows too. */
function panelsOf(dashboard: Json): Json[] {
  return (dashboard.panels as Json[]).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function dashboardExprs(dashboard: Json): string[] {
  return panelsOf(dashboard).flatMap((panel) =>
    ((panel.targets ?? []) as Json[]).map((target) => String(target.expr)),
  );
}

/** The template variables' `label_values(metric{…}, label)` queries: selector and label. */
function variableQueries(dashboard: Json): { selector: string; metric: string; label: string }[] {
  return (dashboard.templating.list as Json[])
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = String(variable.query?.query ?? variable.query);
      const parts = /^label_values\(\s*(([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?),\s*(\w+)\s*\)$/.exec(
        query,
      );
      if (!parts) throw new Error(`unexpected variable query: ${query}`);
      return { selector: parts[1], metric: parts[2], label: parts[3] };
    });
}

/** Metric names of the template variables' queries. */
function variableMetrics(dashboard: Json): string[] {
  return variableQueries(dashboard).map(({ metric }) => metric);
}

function alertRules(): Json[] {
  const rules = load(readFileSync(ALERTS, 'utf8')) as Json;
  return (rules.groups as Json[]).flatMap((group) => group.rules as Json[]);
}

/** `promtool` from PROMTOOL or the PATH; undefined when there is none. */
function findPromtool(): string | undefined {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'promtool'))
    .find((path) => existsSync(path));
}

const PROMTOOL = findPromtool();
if (!PROMTOOL && !process.env.CI) {
  process.stderr.write(
    'promtool not found (PATH or PROMTOOL): skipping the promtool checks of deploy/prometheus. ' +
      "Debian's prometheus package ships it.\n",
  );
}
/** In CI a missing promtool fails; elsewhere those checks are skipped. */
const withPromtool = PROMTOOL || process.env.CI ? it : it.skip;

function promtool(...args: string[]): string {
  if (!PROMTOOL) throw new Error('promtool is required in CI (install Debian package prometheus)');
  return execFileSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
}

/** A dashboard query as Prometheus runs it: Grafana's variables replaced by what they stand for. */
function asPrometheusQuery(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replace(/\$(app|job|instance)\b/g, '.*');
}

/** The query of one target of a panel, found by title and refId. */
function panelExpr(dashboard: Json, title: string, refId: string): string {
  const panel = panelsOf(dashboard).find((p) => p.title === title);
  const target = ((panel?.targets ?? []) as Json[]).find((t) => t.refId === refId);
  if (!target) throw new Error(`no target ${refId} in panel "${title}"`);
  return asPrometheusQuery(String(target.expr));
}

/**
 * Runs `promtool test rules` on one query over the given series (sampled every minute; every
 * series gets `app="aareguru-mcp"`), expecting the given samples at minute 10.
 */
function evaluate(
  expr: string,
  series: [string, string][],
  expected: [labels: string, value: number][],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-query-'));
  try {
    const file = join(dir, 'query.test.yaml');
    const input = series.map(([selector, values]) => ({
      series: selector.replace(/\{/, '{app="aareguru-mcp", ').replace(', }', '}'),
      values,
    }));
    const test = {
      interval: '1m',
      input_series: input,
      promql_expr_test: [
        {
          expr,
          eval_time: '10m',
          exp_samples: expected.map(([labels, value]) => ({ labels, value })),
        },
      ],
    };
    writeFileSync(file, dump({ rule_files: [], evaluation_interval: '1m', tests: [test] }));
    return promtool('test', 'rules', file);
  } catch (error) {
    throw new Error(String((error as { stdout?: string }).stdout ?? error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('dashboards and alerts (deploy/grafana, deploy/prometheus)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
  const readme = readFileSync(README, 'utf8');
  let running: RunningApp;
  let types: Map<string, string>;
  let families: Map<string, Family>;

  beforeAll(async () => {
    running = await startApp();
    // Some traffic first, so the scrape is that of a server in use.
    const client = await connectClient('streamable-2025', { url: running.url });
    await client.client.callTool({ name: 'get_current_temperature', arguments: { city: 'bern' } });
    await client.client.readResource({ uri: 'aareguru://cities' });
    await client.close();
    const scrape = await (await fetch(`${running.url}/metrics`)).text();
    types = metricTypes(scrape);
    families = familiesOf(scrape, types);
  });
  afterAll(() => running.close());

  const problemsOf = (exprs: string[]) =>
    exprs.flatMap((expr) => labelProblems(expr, types, families, readme));

  it('finds the metric names of an expression, and only those', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, tool) (rate(a_seconds_bucket{x="y z", q=~"$v"}[$__rate_interval])))' +
          ' / on (instance) group_left(version) b_total > 1e9 and max(c) by (job) unless absent(d{e="f"})',
      ).sort(),
    ).toEqual(['a_seconds_bucket', 'b_total', 'c', 'd']);
    const known = new Map([
      ['h', 'histogram'],
      ['g', 'gauge'],
    ]);
    expect(['h_bucket', 'h_sum', 'h_count', 'g'].every((n) => isExported(n, known))).toBe(true);
    expect(['g_bucket', 'g_sum', 'x', 'h_total'].some((n) => isExported(n, known))).toBe(false);
  });

  it('finds labels a metric does not carry and values it never takes, typos included', () => {
    const scrape = [
      '# HELP calls_total Calls by outcome (ok, failed).',
      '# TYPE calls_total counter',
      'calls_total{outcome="ok",app="x"} 1',
      '# HELP took_seconds Durations.',
      '# TYPE took_seconds histogram',
      'took_seconds_bucket{le="1",tool="t",app="x"} 1',
      'took_seconds_sum{tool="t",app="x"} 1',
      'took_seconds_count{tool="t",app="x"} 1',
      '# HELP info Build.',
      '# TYPE info gauge',
      'info{version="1",app="x"} 1',
    ].join('\n');
    const scraped = metricTypes(scrape);
    const problems = (expr: string) =>
      labelProblems(
        expr,
        scraped,
        familiesOf(scrape, scraped),
        '| `info` | gauge | `version` | `2` too |',
      );
    for (const fine of [
      'sum by (outcome) (rate(calls_total{app=~"$app", job=~"$job", outcome="failed"}[5m]))',
      'sum(rate(calls_total{outcome!="ok"}[5m])) by (app, job, instance)',
      'histogram_quantile(0.9, sum by (le, tool) (rate(took_seconds_bucket{tool=~".*"}[5m])))',
      'calls_total{outcome=~"ok|failed"} / on (app, instance) group_left (version) info{version="2"}',
      'sum without (outcome) (calls_total)',
    ]) {
      expect(problems(fine)).toEqual([]);
    }
    expect(problems('calls_total{outcom="ok"}')).toEqual(['calls_total has no label outcom']);
    expect(problems('calls_total{outcome="okk"}')).toEqual([
      'calls_total{outcome} never takes the value "okk"',
    ]);
    expect(problems('calls_total{outcome!="faild"}')).toHaveLength(1);
    expect(problems('calls_total{outcome=~"ok|faild"}')).toHaveLength(1);
    expect(problems('sum by (outcme) (rate(calls_total[5m]))')).toEqual([
      'by (outcme): not a label of calls_total',
    ]);
    expect(problems('max(took_seconds_count) by (le)')).toHaveLength(1);
    expect(problems('sum by (le) (took_seconds_bucket)')).toEqual([]);
    expect(problems('calls_total and on (instnce) info')).toHaveLength(1);
    expect(problems('calls_total / on (app) group_left (versoin) info')).toHaveLength(1);
    // A label declared in the code is known before traffic brings its series.
    expect(labelProblems('mcp_tool_calls_total{failure="upstream"}', types, families, '')).toEqual(
      [],
    );
  });

  describe('the Grafana dashboard', () => {
    it('is a current dashboard with a Prometheus data source variable and app/job/instance', () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(dashboard.uid).toEqual(expect.any(String));
      const variables = dashboard.templating.list as Json[];
      expect(variables.find((v) => v.name === 'datasource')).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
      });
      expect(variables.map((v) => v.name)).toEqual(
        expect.arrayContaining(['datasource', 'app', 'job', 'instance']),
      );
    });

    it('gives every panel a unique id and queries through the data source variable', () => {
      const panels = panelsOf(dashboard);
      const ids = panels.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of panels.filter((p) => p.type !== 'row')) {
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.targets.length).toBeGreaterThan(0);
        for (const target of panel.targets as Json[]) {
          expect(target.datasource ?? panel.datasource).toEqual(panel.datasource);
          // Every query is narrowed to the chosen app, job and instances.
          expect(target.expr).toContain('app=~"$app", job=~"$job", instance=~"$instance"');
        }
      }
    });

    it('covers what an operator needs: tools, methods, errors, sessions, upstream, cache, runtime', () => {
      const names = new Set(dashboardExprs(dashboard).flatMap(metricNamesIn));
      for (const needed of [
        'mcp_requests_total',
        'mcp_tool_calls_total',
        'mcp_tool_call_duration_seconds_bucket',
        'mcp_sessions_open',
        'mcp_session_limit',
        'http_streams_open',
        'aareguru_circuit_state',
        'aareguru_upstream_request_duration_seconds_bucket',
        'aareguru_cache_events_total',
        'aareguru_cache_bytes',
        'aareguru_cache_max_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'process_resident_memory_bytes',
        'redis_connected',
        'redis_enabled',
        'http_throttled_requests_total',
      ]) {
        expect(names).toContain(needed);
      }
    });

    it('names only metrics the server exports', () => {
      const used = [
        ...dashboardExprs(dashboard).flatMap(metricNamesIn),
        ...variableMetrics(dashboard),
      ];
      expect(used.length).toBeGreaterThan(40);
      expect([...new Set(used)].filter((name) => !isExported(name, types))).toEqual([]);
    });

    it('selects and groups by labels its metrics carry, with values they take', () => {
      expect(problemsOf(dashboardExprs(dashboard))).toEqual([]);
      for (const { selector, metric, label } of variableQueries(dashboard)) {
        expect(problemsOf([selector])).toEqual([]);
        expect(problemsOf([`sum by (${label}) (${metric})`])).toEqual([]);
      }
    });

    withPromtool('reads the cache hit ratio as lookups answered from the cache', () => {
      // Per minute: 60 fresh hits, 60 misses, 30 of those answered stale (upstream failing).
      const ratio = panelExpr(dashboard, 'Cache hit ratio', 'A');
      expect(
        evaluate(
          ratio,
          [
            ['aareguru_cache_events_total{result="hit"}', '0+60x10'],
            ['aareguru_cache_events_total{result="miss"}', '0+60x10'],
            ['aareguru_cache_events_total{result="stale"}', '0+30x10'],
          ],
          [['{}', 0.75]],
        ),
      ).toContain('SUCCESS');
    });

    withPromtool(
      'sets sessions against MAX_SESSIONS per replica without Redis, per fleet with it',
      () => {
        const series = (job: string, instance: string, redis: number, open: number[]) => [
          [
            `mcp_sessions_open{job="${job}", instance="${instance}", transport="streamable-http", era="2025"}`,
            `${open[0]}x10`,
          ],
          [
            `mcp_sessions_open{job="${job}", instance="${instance}", transport="listen", era="2026"}`,
            `${open[1]}x10`,
          ],
          [`mcp_session_limit{job="${job}", instance="${instance}", limit="sessions"}`, '5000x10'],
          [`redis_enabled{job="${job}", instance="${instance}"}`, `${redis}x10`],
        ];
        const input = [
          ...series('solo', 'a:8000', 0, [4500, 100]),
          ...series('solo', 'b:8000', 0, [1000, 4000]),
          ...series('fleet', 'c:8000', 1, [3000, 100]),
          ...series('fleet', 'd:8000', 1, [1000, 4000]),
        ] as [string, string][];
        const title = 'Sessions against MAX_SESSIONS';
        expect(
          evaluate(panelExpr(dashboard, title, 'A'), input, [
            ['{job="solo", instance="a:8000"}', 0.9],
            ['{job="solo", instance="b:8000"}', 0.2],
          ]),
        ).toContain('SUCCESS');
        expect(
          evaluate(panelExpr(dashboard, title, 'B'), input, [['{job="fleet"}', 0.8]]),
        ).toContain('SUCCESS');
      },
    );

    withPromtool('has queries Prometheus parses', () => {
      // Each query as a recording rule, Grafana's variables replaced by what they stand for.
      const rules = dashboardExprs(dashboard).map((expr, index) => ({
        record: `dashboard:query_${index}`,
        expr: expr.replaceAll('$__rate_interval', '5m'),
      }));
      const dir = mkdtempSync(join(tmpdir(), 'dashboard-rules-'));
      try {
        const file = join(dir, 'queries.yaml');
        writeFileSync(file, dump({ groups: [{ name: 'dashboard', rules }] }));
        expect(promtool('check', 'rules', file)).toContain(`SUCCESS: ${rules.length} rules found`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('the Prometheus alert rules', () => {
    const rules = alertRules();

    it('each waits a while, has a severity, says what and why, and points to the runbook', () => {
      expect(rules.length).toBeGreaterThanOrEqual(8);
      for (const rule of rules) {
        expect(rule.alert).toMatch(/^Aareguru[A-Za-z]+$/);
        expect(rule.for).toMatch(/^\d+[smh]$/);
        expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
        expect(rule.annotations.summary).toEqual(expect.any(String));
        expect(rule.annotations.description).toEqual(expect.any(String));
        expect(rule.annotations.runbook_url).toBe('README.md#troubleshooting');
      }
      expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    });

    it('names only metrics the server exports', () => {
      const used = rules.flatMap((rule) => metricNamesIn(String(rule.expr)));
      expect(used).toEqual(expect.arrayContaining(['aareguru_circuit_state', 'mcp_session_limit']));
      expect([...new Set(used)].filter((name) => !isExported(name, types))).toEqual([]);
    });

    it('select and group by labels their metrics carry, with values they take', () => {
      expect(problemsOf(rules.map((rule) => String(rule.expr)))).toEqual([]);
    });

    withPromtool('pass promtool check rules', () => {
      expect(promtool('check', 'rules', ALERTS)).toContain(`SUCCESS: ${rules.length} rules found`);
    });

    withPromtool('pass their promtool unit tests', () => {
      expect(promtool('test', 'rules', ALERT_TESTS)).toContain('SUCCESS');
    });
  });
});
