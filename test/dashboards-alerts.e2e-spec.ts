import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { dump, load } from 'js-yaml';
import { connectClient } from './support/mcp-clients';
import { startApp, type RunningApp } from './support/http-app';

/**
 * The operator material in deploy/grafana and deploy/prometheus names only metrics the server
 * really exports (checked against a live /metrics), and Prometheus' own tool accepts the rules,
 * their unit tests and every dashboard query.
 */

const ROOT = join(__dirname, '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'aareguru-mcp.json');
const ALERTS = join(ROOT, 'deploy', 'prometheus', 'alerts.yaml');
const ALERT_TESTS = join(ROOT, 'deploy', 'prometheus', 'alerts.test.yaml');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Words of PromQL that look like metric names: keywords, and label lists are stripped before. */
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression selects (functions, labels, numbers and strings aside). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(\d[\w.]*)|([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, number, name, call] = match;
    if (number || call || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** `# TYPE name kind` of every metric family in a scrape. */
function metricTypes(scrape: string): Map<string, string> {
  return new Map([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** Whether a name is exported: a family itself, or a histogram's (or summary's) series. */
function isExported(name: string, types: Map<string, string>): boolean {
  if (types.has(name)) return true;
  const series = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!series) return false;
  const kind = types.get(series[1]);
  return kind === 'histogram' || (kind === 'summary' && series[2] !== 'bucket');
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

/** Metric names of the template variables' `label_values(metric{…}, label)` queries. */
function variableMetrics(dashboard: Json): string[] {
  return (dashboard.templating.list as Json[])
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = String(variable.query?.query ?? variable.query);
      const metric = /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query);
      if (!metric) throw new Error(`unexpected variable query: ${query}`);
      return metric[1];
    });
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

describe('dashboards and alerts (deploy/grafana, deploy/prometheus)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
  let running: RunningApp;
  let types: Map<string, string>;

  beforeAll(async () => {
    running = await startApp();
    // Some traffic first, so the scrape is that of a server in use.
    const client = await connectClient('streamable-2025', { url: running.url });
    await client.client.callTool({ name: 'get_current_temperature', arguments: { city: 'bern' } });
    await client.client.readResource({ uri: 'aareguru://cities' });
    await client.close();
    const response = await fetch(`${running.url}/metrics`);
    types = metricTypes(await response.text());
  });
  afterAll(() => running.close());

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

    withPromtool('pass promtool check rules', () => {
      expect(promtool('check', 'rules', ALERTS)).toContain(`SUCCESS: ${rules.length} rules found`);
    });

    withPromtool('pass their promtool unit tests', () => {
      expect(promtool('test', 'rules', ALERT_TESTS)).toContain('SUCCESS');
    });
  });
});
