import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConformanceFixturesModule } from './conformance/fixture-server.factory';
import { RunningApp, startApp } from './support/http-app';

const CLI = join(
  __dirname,
  '..',
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);
const BASELINE = join(__dirname, 'conformance', 'baseline.yml');

/** The suite opens a session per scenario, far faster than the default limits allow. */
const UNTHROTTLED = {
  RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_PER_HOUR: '100000',
  SESSION_OPEN_PER_MINUTE: '10000',
};

/** Scenarios that test any server, whatever its tools. */
const GENERIC = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'resources-list',
  'prompts-list',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  errorMessage?: string;
  details?: Record<string, unknown>;
}

interface SuiteRun {
  code: number | null;
  output: string;
  /** Checks per scenario, read from each scenario's checks.json. */
  checks: Map<string, Check[]>;
}

/** Runs the official conformance suite (active scenarios) against a URL. */
function runSuite(url: string, extraArgs: string[] = []): Promise<SuiteRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'conformance-'));
  return new Promise((resolve, reject) => {
    const results = join(cwd, 'results');
    const child = spawn(
      process.execPath,
      [CLI, 'server', '--url', url, '-o', results, ...extraArgs],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const checks = new Map<string, Check[]>();
      if (!existsSync(results)) {
        reject(new Error(`the suite wrote no results (exit ${code}):\n${output.slice(-3000)}`));
        return;
      }
      for (const dir of readdirSync(results)) {
        const scenario = /^server-(.+)-\d{4}-.*$/.exec(dir)?.[1] ?? dir;
        checks.set(scenario, JSON.parse(readFileSync(join(results, dir, 'checks.json'), 'utf8')));
      }
      resolve({ code, output, checks });
    });
  });
}

function failuresOf(run: SuiteRun): string[] {
  return [...run.checks.entries()].flatMap(([scenario, checks]) =>
    checks
      .filter((c) => c.status === 'FAILURE')
      .map((c) => `${scenario}/${c.id}: ${c.errorMessage}`),
  );
}

describe('The official MCP conformance suite', () => {
  jest.setTimeout(240_000);

  describe('against the Aare server', () => {
    let running: RunningApp;

    beforeAll(async () => {
      running = await startApp(UNTHROTTLED);
    });
    afterAll(() => running.close());

    it('passes every generic scenario; the fixture-named ones fail only as the baseline says', async () => {
      const run = await runSuite(`${running.url}/mcp`, ['--expected-failures', BASELINE]);
      expect({ code: run.code, tail: run.output.slice(-1500) }).toMatchObject({ code: 0 });
      for (const scenario of GENERIC) {
        const checks = run.checks.get(scenario);
        expect({ scenario, checks }).toEqual({
          scenario,
          checks: expect.arrayContaining([expect.objectContaining({ status: 'SUCCESS' })]),
        });
        expect(checks!.filter((c) => c.status === 'FAILURE')).toEqual([]);
      }
    });
  });

  describe('against the conformance fixtures on our transport stack', () => {
    let running: RunningApp;

    beforeAll(async () => {
      running = await startApp(UNTHROTTLED, undefined, undefined, ConformanceFixturesModule);
    });
    afterAll(() => running.close());

    it('passes every active scenario with 0 failures', async () => {
      const run = await runSuite(`${running.url}/mcp`);
      expect(failuresOf(run)).toEqual([]);
      expect(run.code).toBe(0);
      expect(run.checks.size).toBeGreaterThanOrEqual(30);
      expect(run.output).toMatch(/Total: \d+ passed, 0 failed/);

      // A missing tool also yields an isError text result; make sure the real fixtures answered.
      const simple = run.checks.get('tools-call-simple-text')![0];
      expect(JSON.stringify(simple.details)).toContain(
        'This is a simple text response for testing.',
      );
      const progress = run.checks.get('tools-call-with-progress')![0];
      expect(progress.details).toMatchObject({ progressCount: 3 });
      const logging = run.checks.get('tools-call-with-logging')![0];
      expect(logging.details).toMatchObject({ logCount: 3 });
    });
  });
});
